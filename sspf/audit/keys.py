"""The audit trail's key files: the HMAC key, the checkpoint signing key and its public half.

Split from :mod:`sspf.audit.chain` (which re-exports these names): the format of the chain and
the handling of key files change for different reasons.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

#: Bytes of the HMAC key (the size of SHA-256's output, as the MAC itself).
HMAC_KEY_SIZE = 32
HMAC_KEY_FILE = "audit_hmac.json"
SIGNING_KEY_FILE = "audit_signing.pem"
PUBLIC_KEY_FILE = "audit_signing.pub.pem"


class AuditKeyError(ValueError):
    """A key file is missing, unreadable or not in the expected format."""


@dataclass(frozen=True)
class AuditKey:
    key_id: str
    hmac_key: bytes = field(repr=False)


@dataclass(frozen=True)
class AuditKeyFiles:
    hmac_key: Path
    signing_key: Path
    public_key: Path


def _read_key_file(path: str | os.PathLike[str], what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise AuditKeyError(f"cannot read the {what} {os.fspath(path)!r}: {exc.strerror or exc}") from exc


def load_audit_key(path: str | os.PathLike[str]) -> AuditKey:
    """Read ``{"key_id": "...", "hmac_key": "<base64 of 32 bytes>"}``."""
    raw = _read_key_file(path, "audit HMAC key file")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise AuditKeyError("the audit HMAC key file is not JSON") from exc
    if not isinstance(data, dict) or set(data) != {"key_id", "hmac_key"}:
        raise AuditKeyError('the audit HMAC key file must hold exactly {"key_id": ..., "hmac_key": ...}')
    key_id, encoded = data["key_id"], data["hmac_key"]
    if not isinstance(key_id, str) or not key_id:
        raise AuditKeyError("key_id in the audit HMAC key file must be a non-empty string")
    try:
        key = base64.b64decode(encoded, validate=True) if isinstance(encoded, str) else b""
    except binascii.Error:
        key = b""
    if len(key) != HMAC_KEY_SIZE:
        raise AuditKeyError(f"hmac_key in the audit HMAC key file must be base64 of {HMAC_KEY_SIZE} bytes")
    return AuditKey(key_id=key_id, hmac_key=key)


def load_signing_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """Read the checkpoint signing key (Ed25519, PKCS8 PEM, unencrypted)."""
    raw = _read_key_file(path, "checkpoint signing key")
    try:
        key = serialization.load_pem_private_key(raw, password=None)
    except (ValueError, TypeError) as exc:
        raise AuditKeyError("the checkpoint signing key is not an unencrypted PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditKeyError("the checkpoint signing key is not an Ed25519 key")
    return key


def load_public_key(path: str | os.PathLike[str]) -> Ed25519PublicKey:
    """Read the checkpoint verification key (Ed25519, SubjectPublicKeyInfo PEM)."""
    raw = _read_key_file(path, "checkpoint public key")
    try:
        key = serialization.load_pem_public_key(raw)
    except (ValueError, TypeError) as exc:
        raise AuditKeyError("the checkpoint public key is not a PEM public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise AuditKeyError("the checkpoint public key is not an Ed25519 key")
    return key


def _create_file(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fh.fileno(), mode)  # the umask must not widen or narrow what we meant
        fh.write(data)


def generate_audit_keys(directory: str | os.PathLike[str]) -> AuditKeyFiles:
    """Create a fresh HMAC key and checkpoint key pair in ``directory``.

    Writes ``audit_hmac.json`` and ``audit_signing.pem`` (0600) and ``audit_signing.pub.pem``
    (0644, the file an auditor receives); creates ``directory`` (0700) if needed. Refuses to touch
    existing files: replacing a key silently would make every earlier event and checkpoint
    unverifiable.

    :raises FileExistsError: one of the three files already exists; nothing is written.
    """
    base = Path(directory)
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    files = AuditKeyFiles(base / HMAC_KEY_FILE, base / SIGNING_KEY_FILE, base / PUBLIC_KEY_FILE)
    existing = [p.name for p in (files.hmac_key, files.signing_key, files.public_key) if p.exists()]
    if existing:
        raise FileExistsError(f"refusing to overwrite audit key files in {base}: {', '.join(existing)}")
    key_id = f"audit-{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(4)}"
    hmac_key = base64.b64encode(secrets.token_bytes(HMAC_KEY_SIZE)).decode()
    hmac_json = json.dumps({"key_id": key_id, "hmac_key": hmac_key})
    signing = Ed25519PrivateKey.generate()
    private_pem = signing.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
    public_pem = signing.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    _create_file(files.hmac_key, hmac_json.encode() + b"\n", 0o600)
    _create_file(files.signing_key, private_pem, 0o600)
    _create_file(files.public_key, public_pem, 0o644)
    return files
