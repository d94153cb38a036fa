"""Blind indexes: exact-match search over encrypted values without decrypting them.

The index is HMAC-SHA256 over the *normalised* plaintext under a subkey derived from the
blind-index root key for one purpose. Equal inputs give equal outputs, which is the point (and the
leak: see the README section "Blind index leakage").

Stored value: 0x01 || key-id length || key id || 32-byte MAC. Lookups compute the MAC under every
blind-index key in the keyring and match any of them, so search keeps working while
``sspf keys rotate`` is rebuilding the indexes under a new key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, false
from sqlalchemy.orm import QueryableAttribute, Session

from sspf.crypto.aead import key_header
from sspf.crypto.context import get_keyring
from sspf.crypto.keyring import Keyring
from sspf.crypto.types import BlindIndex


def normalize_text(value: str) -> str:
    """NFC, trimmed, inner whitespace collapsed, case-folded: for names and e-mail addresses."""
    return " ".join(unicodedata.normalize("NFC", value).split()).casefold()


def digits_only(value: str) -> str:
    """Keep only the digits: "19900101-1234" and "199001011234" index alike."""
    return re.sub(r"\D", "", value)


def compute_blind_index(keyring: Keyring, purpose: str, normalized: str, *, key_id: str | None = None) -> bytes:
    """The stored index value of an already normalised string under one key (default: active)."""
    key_id = key_id or keyring.active_blind_index_key
    mac = hmac.new(keyring.blind_index_key(key_id, purpose), normalized.encode("utf-8"), hashlib.sha256)
    return key_header(key_id) + mac.digest()


def blind_index(
    purpose: str,
    value: str,
    *,
    normalizer: Callable[[str], str] | None = None,
    keyring: Keyring | None = None,
    key_id: str | None = None,
) -> bytes:
    """The blind index of ``value`` for ``purpose`` under the active blind-index key."""
    keyring = keyring or get_keyring()
    return compute_blind_index(keyring, purpose, normalizer(value) if normalizer else value, key_id=key_id)


def blind_index_key_id(value: bytes) -> str | None:
    if len(value) < 3 or value[0] != 1:
        return None
    return value[2 : 2 + value[1]].decode("ascii", errors="replace")


def _column_of(attr: Any):
    if isinstance(attr, QueryableAttribute):
        return attr.property.columns[0]
    return attr


def blind_index_match(
    attr: Any, value: str | None, *, keyring: Keyring | None = None, session: Session | None = None
) -> ColumnElement[bool]:
    """A WHERE clause matching rows whose blind-index column ``attr`` was computed from ``value``.

    ``select(Youth).where(blind_index_match(Youth.personnummer_bidx, "19900101-1234"))``; the
    column's normalizer is applied, so callers pass the value as the user typed it. The keyring is
    ``keyring``, else the one installed on ``session``, else the current app's.
    """
    column = _column_of(attr)
    bidx = column.type
    if not isinstance(bidx, BlindIndex):
        raise TypeError(f"{column} is not a BlindIndex column")
    if value is None:
        return false()
    keyring = keyring or get_keyring(session)
    purpose = bidx.purpose_for(column.table.name)
    normalized = bidx.normalizer(value)
    candidates = [compute_blind_index(keyring, purpose, normalized, key_id=k) for k in keyring.blind_index_keys]
    return column.in_(candidates)
