"""Organisation: agencies (the SSPF parties), districts and the users' place in them."""
