"""AES-256-GCM encryption of single field values, bound to their table, column and row.

Ciphertext format (version 1), stored as one binary value::

    +---------+-----------+-------------------+-----------+----------------------------+
    | version | id length | key id (ASCII)    | nonce     | ciphertext || GCM tag      |
    | 0x01    | 1 byte n  | n bytes, 1 ≤ n≤64 | 12 bytes  | len(plaintext) + 16 bytes  |
    +---------+-----------+-------------------+-----------+----------------------------+

* The version byte comes first so that the format can change without guessing.
* The key id names the root key; decryption uses exactly that key and never tries others, so a
  wrong key is an error and not a silent fallback.
* The nonce is 96 random bits, fresh for every encryption. Each (root key, table, column) has its
  own HKDF subkey, so the 2^32-encryptions-per-key limit of random GCM nonces applies per column.
* The associated data (authenticated, not stored) is::

      b"sspf/field/v1" || lp(table) || lp(column) || lp(str(row id)) || lp(header)

  where ``lp`` is a 4-byte big-endian length prefix and ``header`` is version || n || key id. A
  ciphertext copied to another row, column or table, or with an edited header, fails to decrypt.
* Plaintext is never compressed: compression before encryption leaks content through length.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag

from sspf.crypto.errors import DecryptionError, UnknownKeyIdError
from sspf.crypto.keyring import Keyring, length_prefixed

VERSION = 1
NONCE_BYTES = 12
TAG_BYTES = 16
_AD_DOMAIN = b"sspf/field/v1"


@lru_cache(maxsize=256)
def key_header(key_id: str) -> bytes:
    """The header bytes that start every ciphertext under ``key_id`` (also used for prefix queries)."""
    raw = key_id.encode("ascii")
    if not 1 <= len(raw) <= 64:
        raise ValueError("key id must be 1 to 64 ASCII characters")
    return bytes((VERSION, len(raw))) + raw


@lru_cache(maxsize=1024)
def _ad_prefix(table: str, column: str) -> bytes:
    return _AD_DOMAIN + length_prefixed(table.encode(), column.encode())


def row_part(row_id: Any) -> bytes:
    """The row's share of the associated data; compute once per row when decrypting many columns."""
    raw = str(row_id).encode()
    return len(raw).to_bytes(4, "big") + raw


def associated_data(table: str, column: str, row_id: Any, header: bytes) -> bytes:
    return _ad_prefix(table, column) + row_part(row_id) + len(header).to_bytes(4, "big") + header


def encrypt(
    keyring: Keyring, table: str, column: str, row_id: Any, plaintext: bytes, *, key_id: str | None = None
) -> bytes:
    """Encrypt one value under the active data key (or ``key_id``) for (table, column, row_id)."""
    if row_id is None:
        raise ValueError(f"cannot encrypt {table}.{column} without a row id")
    key_id = key_id or keyring.active_data_key
    header = key_header(key_id)
    nonce = os.urandom(NONCE_BYTES)
    aead = keyring.field_aead(key_id, table, column)
    return header + nonce + aead.encrypt(nonce, plaintext, associated_data(table, column, row_id, header))


def ciphertext_key_id(blob: bytes) -> str | None:
    """The key id named in a ciphertext header, or None if the header is malformed."""
    if len(blob) < 3 or blob[0] != VERSION:
        return None
    try:
        return blob[2 : 2 + blob[1]].decode("ascii")
    except UnicodeDecodeError:
        return None


def decrypt(keyring: Keyring, table: str, column: str, row_id: Any, blob: bytes, *, row: bytes | None = None) -> bytes:
    """Authenticate and decrypt one value; any mismatch raises :class:`DecryptionError`.

    ``row`` may carry a precomputed :func:`row_part` (the ORM load path decrypts several columns
    per row and this is a measurable share of the per-value cost).
    """
    if len(blob) < 2 or blob[0] != VERSION:
        raise DecryptionError(table, column, row_id, "unknown ciphertext version")
    end = 2 + blob[1]
    if blob[1] == 0 or len(blob) < end + NONCE_BYTES + TAG_BYTES:
        raise DecryptionError(table, column, row_id, "ciphertext too short")
    try:
        key_id = blob[2:end].decode("ascii")
    except UnicodeDecodeError:
        raise DecryptionError(table, column, row_id, "malformed key id") from None
    aead = keyring._aeads.get((key_id, table, column))
    if aead is None:
        if key_id not in keyring.data_keys:
            raise UnknownKeyIdError(table, column, row_id, f"key {key_id!r} is not in the keyring")
        aead = keyring.field_aead(key_id, table, column)
    ad = _ad_prefix(table, column) + (row or row_part(row_id)) + end.to_bytes(4, "big") + blob[:end]
    try:
        return aead.decrypt(blob[end : end + NONCE_BYTES], blob[end + NONCE_BYTES :], ad)
    except InvalidTag:
        raise DecryptionError(table, column, row_id, "authentication failed") from None
