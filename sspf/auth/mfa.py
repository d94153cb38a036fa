"""TOTP second factor (RFC 6238) with replay protection, and one-time recovery codes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
import segno

from sspf.auth.models import MfaCredential
from sspf.crypto import is_unreadable

STEP_SECONDS = 30
#: Accept the previous and next time step too: phones' clocks drift.
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_secret() -> str:
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, *, username: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """An inline SVG of the QR code (no script, no external request: it fits the CSP)."""
    return segno.make(uri, error="m").svg_inline(scale=5, dark="#111", light="#fff", title="QR")


def accept_code(credential: MfaCredential, code: str, *, now: float | None = None) -> bool:
    """True and advance ``last_step`` if ``code`` is valid for a step not used before.

    Storing the highest accepted step refuses a replay of the same code (and of any older one)
    even within its 30-second window.
    """
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6 or is_unreadable(credential.secret):
        return False  # an unreadable secret was logged by sspf.crypto; the recovery codes still work
    totp = pyotp.TOTP(credential.secret)
    current = int((time.time() if now is None else now) // STEP_SECONDS)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if step <= credential.last_step:
            continue
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            credential.last_step = step
            return True
    return False


def normalise_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def hash_recovery_code(code: str) -> str:
    return hashlib.sha256(normalise_recovery_code(code).encode()).hexdigest()


def new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12))
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    return codes
