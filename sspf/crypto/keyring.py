"""Root keys: the keyring file, its JSON format, and the per-column subkeys derived from it.

The keyring lives outside the database (a file named by ``SSPF_KEYRING_FILE`` or the JSON itself in
``SSPF_KEYRING``) so that a stolen database dump, backup or replica is useless without it, and it is
never derived from ``SECRET_KEY`` so that rotating the session secret cannot destroy data.

File format (JSON, UTF-8, mode 0600)::

    {
      "format": "sspf-keyring/1",
      "data":        {"active": "d-20250101-a1b2c3",
                      "keys": {"d-20250101-a1b2c3": {"key": "<base64, 32 bytes>",
                                                     "created_at": "2025-01-01T09:00:00+00:00"}}},
      "blind_index": {"active": "b-20250101-d4e5f6", "keys": {"b-20250101-d4e5f6": {...}}}
    }

``data`` keys encrypt values (AES-256-GCM); ``blind_index`` keys compute the HMAC blind indexes.
They are separate so that the index key can be rotated, or handed to a search service, without
touching the data keys. Subkeys are derived with HKDF-SHA256 per (table, column) and per
blind-index purpose, so a single leaked subkey exposes one column, not the database.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sspf.crypto.errors import KeyringError

logger = logging.getLogger("sspf.crypto")

FORMAT = "sspf-keyring/1"
KEY_BYTES = 32
#: Key ids travel in every ciphertext header, so they are short, ASCII and unambiguous.
KEY_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class KeySet(StrEnum):
    """The two independent sets of root keys in a keyring."""

    DATA = "data"
    BLIND_INDEX = "blind_index"


def length_prefixed(*parts: bytes) -> bytes:
    """Concatenate with a 4-byte big-endian length before each part.

    Length prefixes make the encoding injective: ("ab", "c") and ("a", "bc") never collide, which
    matters for both the HKDF ``info`` and the AEAD associated data.
    """
    return b"".join(len(p).to_bytes(4, "big") + p for p in parts)


def _hkdf(root: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=KEY_BYTES, salt=None, info=info).derive(root)


@dataclass(frozen=True)
class KeyEntry:
    key: bytes = field(repr=False)
    created_at: str


@dataclass(frozen=True)
class Keyring:
    """An immutable set of root keys plus caches of what is derived from them.

    Immutable so that a reload or a CLI change produces a new object that concurrent requests can
    pick up atomically; the caches live and die with the keys they were derived from.
    """

    data_keys: Mapping[str, KeyEntry]
    active_data_key: str
    blind_index_keys: Mapping[str, KeyEntry]
    active_blind_index_key: str
    _aeads: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _bidx: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for kind in KeySet:
            keys, active = self.keys(kind), self.active(kind)
            if active not in keys:
                raise KeyringError(f"active {kind} key {active!r} is not in the keyring")
            for key_id, entry in keys.items():
                if not KEY_ID_RE.match(key_id):
                    raise KeyringError(f"invalid key id {key_id!r}")
                if len(entry.key) != KEY_BYTES:
                    raise KeyringError(f"key {key_id!r} must be {KEY_BYTES} bytes")
        if set(self.data_keys) & set(self.blind_index_keys):
            raise KeyringError("a key id is used both as data key and as blind-index key")

    def keys(self, kind: KeySet) -> Mapping[str, KeyEntry]:
        return self.data_keys if kind is KeySet.DATA else self.blind_index_keys

    def active(self, kind: KeySet) -> str:
        return self.active_data_key if kind is KeySet.DATA else self.active_blind_index_key

    def field_aead(self, key_id: str, table: str, column: str) -> AESGCM:
        """The AES-GCM cipher for one column under one root key (cached: HKDF costs ~20 µs)."""
        cache_key = (key_id, table, column)
        aead = self._aeads.get(cache_key)
        if aead is None:
            info = b"sspf/field/v1" + length_prefixed(table.encode(), column.encode())
            aead = AESGCM(_hkdf(self.data_keys[key_id].key, info))
            self._aeads[cache_key] = aead
        return aead

    def blind_index_key(self, key_id: str, purpose: str) -> bytes:
        """The HMAC key for one blind-index purpose under one root key (cached)."""
        cache_key = (key_id, purpose)
        key = self._bidx.get(cache_key)
        if key is None:
            info = b"sspf/blind-index/v1" + length_prefixed(purpose.encode())
            key = _hkdf(self.blind_index_keys[key_id].key, info)
            self._bidx[cache_key] = key
        return key

    # -- changes (each returns a new keyring) -------------------------------------------------

    def _replace(self, kind: KeySet, keys: Mapping[str, KeyEntry], active: str) -> Keyring:
        if kind is KeySet.DATA:
            return Keyring(keys, active, self.blind_index_keys, self.active_blind_index_key)
        return Keyring(self.data_keys, self.active_data_key, keys, active)

    def with_new_key(self, kind: KeySet) -> tuple[Keyring, str]:
        """Add a fresh random key (not active) and return the new keyring and the key id."""
        key_id = new_key_id(kind)
        keys = {**self.keys(kind), key_id: _new_entry()}
        return self._replace(kind, keys, self.active(kind)), key_id

    def with_active(self, kind: KeySet, key_id: str) -> Keyring:
        if key_id not in self.keys(kind):
            raise KeyringError(f"no {kind} key {key_id!r} in the keyring")
        return self._replace(kind, self.keys(kind), key_id)

    def without_key(self, kind: KeySet, key_id: str) -> Keyring:
        if key_id not in self.keys(kind):
            raise KeyringError(f"no {kind} key {key_id!r} in the keyring")
        if key_id == self.active(kind):
            raise KeyringError(f"{key_id!r} is the active {kind} key; activate another key first")
        keys = {k: v for k, v in self.keys(kind).items() if k != key_id}
        return self._replace(kind, keys, self.active(kind))

    # -- serialisation ---------------------------------------------------------------------------

    def to_json(self) -> str:
        def section(kind: KeySet) -> dict:
            return {
                "active": self.active(kind),
                "keys": {
                    k: {"key": base64.b64encode(e.key).decode(), "created_at": e.created_at}
                    for k, e in sorted(self.keys(kind).items())
                },
            }

        return json.dumps({"format": FORMAT, **{kind.value: section(kind) for kind in KeySet}}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Keyring:
        """Parse the keyring JSON; every problem is a :class:`KeyringError` naming no key material."""
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise KeyringError(f"keyring is not valid JSON (line {getattr(exc, 'lineno', '?')})") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise KeyringError(f"keyring format must be {FORMAT!r}")
        sections = []
        for kind in KeySet:
            sec = doc.get(kind.value)
            if not isinstance(sec, dict) or not isinstance(sec.get("keys"), dict):
                raise KeyringError(f"keyring section {kind.value!r} is missing or malformed")
            keys = {}
            for key_id, entry in sec["keys"].items():
                try:
                    raw = base64.b64decode(entry["key"], validate=True)
                except (KeyError, TypeError, binascii.Error):
                    raise KeyringError(f"key {key_id!r} is not valid base64") from None
                keys[key_id] = KeyEntry(raw, str(entry.get("created_at", "")))
            sections += [keys, sec.get("active")]
        return cls(*sections)


def new_key_id(kind: KeySet) -> str:
    prefix = "d" if kind is KeySet.DATA else "b"
    return f"{prefix}-{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(3)}"


def _new_entry() -> KeyEntry:
    return KeyEntry(secrets.token_bytes(KEY_BYTES), datetime.now(UTC).isoformat(timespec="seconds"))


def generate_keyring() -> Keyring:
    """A fresh keyring with one random active data key and one blind-index key."""
    data_id, bidx_id = new_key_id(KeySet.DATA), new_key_id(KeySet.BLIND_INDEX)
    return Keyring({data_id: _new_entry()}, data_id, {bidx_id: _new_entry()}, bidx_id)
