"""Youths and their SSPF cases: signal, triage, consent, active, closed."""
