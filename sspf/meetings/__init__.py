"""The weekly SSPF meeting: series, single meetings, the self-building agenda, and the minutes."""
