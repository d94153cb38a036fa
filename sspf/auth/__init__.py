"""Accounts, sessions, login, second factor, roles and permissions."""
