"""Consent, other legal bases and the disclosure register."""
