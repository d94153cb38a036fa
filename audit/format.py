"""The export and checkpoint format, as the verifier reads it.

This repeats a few lines of ``sspf.audit.chain`` on purpose: the verifier must run with nothing
but Python and ``cryptography``, and a verifier that imported the code it checks would share
that code's mistakes. ``tests/audit_verifier`` asserts that both definitions produce the same
bytes on sample events.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

MAC_SIZE = 32
GENESIS_MAC = bytes(MAC_SIZE)
EXPORT_TYPE = "sspf-audit-export"
EXPORT_VERSION = 1
HEADER_KEYS = frozenset({"exported_at", "first_seq", "key_id", "prev_mac", "type", "version"})
CHECKPOINT_KEYS = frozenset({"created_at", "key_id", "mac", "seq", "signature"})
CHECKPOINT_NAME_RE = re.compile(r"checkpoint-(\d{12})\.json")
TIMESTAMP_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
HEX_MAC_RE = re.compile(r"[0-9a-f]{64}")

#: An event line is LINE_PREFIX + canonical event bytes + LINE_MAC + 64 hex digits + LINE_END.
LINE_PREFIX = b'{"event":'
LINE_MAC = b',"mac":"'
LINE_END = b'"}\n'
#: Length of everything after the canonical bytes: LINE_MAC, the hex MAC and LINE_END.
LINE_TAIL = len(LINE_MAC) + 2 * MAC_SIZE + len(LINE_END)


class InputError(Exception):
    """The input cannot be verified at all (missing file, wrong key, malformed line): exit 2."""


def canonical_bytes(value: Mapping[str, object]) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8 (not ASCII escapes)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


class ChainMac:
    """HMAC-SHA256 with the key's inner and outer pads hashed once (RFC 2104).

    ``hmac.digest`` re-derives both pads and looks the hash up again for every call, which costs
    about twice as much as the hashing of a typical event; copying two prepared hash states does
    not. The result is the same HMAC, which the tests check against ``hmac``.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) > 64:  # SHA-256 block size; longer keys would be hashed first, ours never are
            raise ValueError("HMAC key longer than 64 bytes")
        block = key.ljust(64, b"\0")
        #: SHA-256 states after the inner and outer key pads; copy, never update.
        self.inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self.outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def mac(self, prev_mac: bytes, canonical: bytes) -> bytes:
        inner = self.inner.copy()
        inner.update(prev_mac)
        inner.update(canonical)
        outer = self.outer.copy()
        outer.update(inner.digest())
        return outer.digest()


@dataclass(frozen=True)
class AuditKey:
    key_id: str
    hmac_key: bytes = field(repr=False)


@dataclass(frozen=True)
class Header:
    first_seq: int
    prev_mac: bytes
    exported_at: str
    key_id: str


def _read(path: str | os.PathLike[str], what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the {what} {os.fspath(path)!r}: {exc.strerror or exc}") from exc


def load_audit_key(path: str | os.PathLike[str]) -> AuditKey:
    """Read the HMAC key file ``{"key_id": "...", "hmac_key": "<base64 of 32 bytes>"}``."""
    try:
        data = json.loads(_read(path, "key file"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"key file {os.fspath(path)!r} is not JSON") from exc
    if not isinstance(data, dict) or set(data) != {"key_id", "hmac_key"}:
        raise InputError(f'key file {os.fspath(path)!r} must hold exactly {{"key_id": ..., "hmac_key": ...}}')
    key_id, encoded = data["key_id"], data["hmac_key"]
    if not isinstance(key_id, str) or not key_id:
        raise InputError(f"key file {os.fspath(path)!r}: key_id must be a non-empty string")
    try:
        key = base64.b64decode(encoded, validate=True) if isinstance(encoded, str) else b""
    except binascii.Error:
        key = b""
    if len(key) != MAC_SIZE:
        raise InputError(f"key file {os.fspath(path)!r}: hmac_key must be base64 of {MAC_SIZE} bytes")
    return AuditKey(key_id, key)


def load_public_key(path: str | os.PathLike[str]) -> Ed25519PublicKey:
    """Read the checkpoint public key (Ed25519, SubjectPublicKeyInfo PEM)."""
    raw = _read(path, "public key")
    try:
        key = serialization.load_pem_public_key(raw)
    except (ValueError, TypeError) as exc:
        raise InputError(f"public key {os.fspath(path)!r} is not a PEM public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(f"public key {os.fspath(path)!r} is not an Ed25519 key")
    return key


def parse_header(line: bytes) -> Header:
    """Parse and check the first line of an export; any deviation is an :class:`InputError`."""
    if not line:
        raise InputError("the export is empty: no header line")
    try:
        data = json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"line 1: the header is not JSON ({exc})") from exc
    if not isinstance(data, dict) or data.get("type") != EXPORT_TYPE:
        raise InputError(f'line 1: not an sspf audit export (expected "type": "{EXPORT_TYPE}")')
    if data.get("version") != EXPORT_VERSION:
        raise InputError(f"line 1: export version {data.get('version')!r} is not supported (expected {EXPORT_VERSION})")
    if set(data) != HEADER_KEYS:
        missing, extra = sorted(HEADER_KEYS - set(data)), sorted(set(data) - HEADER_KEYS)
        raise InputError(f"line 1: header keys differ from the format: missing {missing}, unexpected {extra}")
    first_seq, prev_mac = data["first_seq"], data["prev_mac"]
    if isinstance(first_seq, bool) or not isinstance(first_seq, int) or first_seq < 1:
        raise InputError(f"line 1: first_seq must be a positive integer, got {first_seq!r}")
    if not isinstance(prev_mac, str) or not HEX_MAC_RE.fullmatch(prev_mac):
        raise InputError("line 1: prev_mac must be 64 lower-case hex digits")
    if first_seq == 1 and prev_mac != GENESIS_MAC.hex():
        raise InputError("line 1: an export starting at seq 1 must have prev_mac of 64 zeros")
    if not isinstance(data["exported_at"], str) or not TIMESTAMP_RE.fullmatch(data["exported_at"]):
        raise InputError("line 1: exported_at must look like 2025-01-31T12:00:00.000000Z")
    if not isinstance(data["key_id"], str) or not data["key_id"]:
        raise InputError("line 1: key_id must be a non-empty string")
    return Header(first_seq, bytes.fromhex(prev_mac), data["exported_at"], data["key_id"])


def checkpoint_payload(checkpoint: Mapping[str, object]) -> bytes:
    """What a checkpoint's signature covers: canonical JSON of every field but the signature."""
    return canonical_bytes({k: checkpoint[k] for k in ("created_at", "key_id", "mac", "seq")})
