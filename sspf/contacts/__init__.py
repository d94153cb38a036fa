"""The contact log: what each party did with the youth, and when."""
