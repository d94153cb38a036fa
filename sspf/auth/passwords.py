"""Password hashing (argon2id) and the password policy.

The policy follows NIST SP 800-63B: a minimum length and a check against known common
passwords, and no composition rules (they push people towards predictable patterns).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _

MIN_LENGTH = 12
MAX_LENGTH = 256


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    key = (cfg["SSPF_ARGON2_TIME_COST"], cfg["SSPF_ARGON2_MEMORY_KIB"])
    return _hasher_for(*key)


@cache
def _hasher_for(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


_DUMMY_HASHES: dict[tuple[int, int], str] = {}


def burn_verification_time(password: str) -> None:
    """Spend the time a real check would, so an unknown username cannot be told apart by timing."""
    cfg = current_app.config
    key = (cfg["SSPF_ARGON2_TIME_COST"], cfg["SSPF_ARGON2_MEMORY_KIB"])
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES[key] = _hasher().hash("not-a-real-password-000")
    verify_password(_DUMMY_HASHES[key], password)


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("sspf").joinpath("data/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def password_problems(password: str, *, username: str | None = None) -> list[str]:
    """Reasons (user-facing, translated) why ``password`` is not acceptable; empty if it is."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_("Lösenordet måste vara minst %(n)d tecken.", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        problems.append(_("Lösenordet får vara högst %(n)d tecken.", n=MAX_LENGTH))
    lowered = password.lower()
    if lowered in common_passwords() or (username and username.lower() in lowered):
        problems.append(_("Lösenordet är för vanligt eller för likt användarnamnet. Välj ett annat."))
    return problems
