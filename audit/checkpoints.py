"""Loading and checking signed checkpoints.

A checkpoint that fails any check is reported (exit 1) and is not used: a forged checkpoint
must neither pass nor be trusted to judge the chain. Files not named like checkpoints are
listed in a note but otherwise ignored (a writer's temporary files live in the same folder).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.findings import Finding, Kind
from audit.format import CHECKPOINT_KEYS, CHECKPOINT_NAME_RE, HEX_MAC_RE, TIMESTAMP_RE, InputError, checkpoint_payload


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    mac: bytes
    created_at: str
    name: str


@dataclass
class Checkpoints:
    #: Valid checkpoints by seq.
    valid: dict[int, Checkpoint] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def load_checkpoints(directory: str | os.PathLike[str], public_key: Ed25519PublicKey, key_id: str) -> Checkpoints:
    """Read every ``checkpoint-<12 digits>.json`` in ``directory`` and check it.

    :raises InputError: the directory or a checkpoint file cannot be read.
    """
    result = Checkpoints()
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as exc:
        raise InputError(f"cannot read the checkpoint directory {os.fspath(directory)!r}: "
                         f"{exc.strerror or exc}") from exc
    for entry in entries:
        match = CHECKPOINT_NAME_RE.fullmatch(entry.name)
        if not match:
            result.ignored.append(entry.name)
            continue
        try:
            raw = Path(entry.path).read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read checkpoint {entry.name}: {exc.strerror or exc}") from exc
        seq = int(match.group(1))
        problem, checkpoint = _check(raw, entry.name, seq, public_key, key_id)
        if problem:
            result.findings.append(Finding(seq, Kind.CHECKPOINT_INVALID, f"checkpoint {entry.name}: {problem}"))
        else:
            assert checkpoint is not None
            result.valid[seq] = checkpoint
    return result


def _check(raw: bytes, name: str, seq: int, public_key: Ed25519PublicKey, key_id: str,
           ) -> tuple[str | None, Checkpoint | None]:
    """Return ``(problem, None)`` or ``(None, checkpoint)``."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return "not valid JSON (corrupt or truncated file)", None
    if not isinstance(data, dict) or set(data) != CHECKPOINT_KEYS:
        return f"fields must be exactly {sorted(CHECKPOINT_KEYS)}", None
    if type(data["seq"]) is not int or not isinstance(data["key_id"], str):
        return "seq must be an integer and key_id a string", None
    if not isinstance(data["mac"], str) or not HEX_MAC_RE.fullmatch(data["mac"]):
        return "mac must be 64 lower-case hex digits", None
    if not isinstance(data["created_at"], str) or not TIMESTAMP_RE.fullmatch(data["created_at"]):
        return "created_at is not a timestamp like 2025-01-31T12:00:00.000000Z", None
    try:
        signature = base64.b64decode(data["signature"], validate=True) if isinstance(data["signature"], str) else b""
    except binascii.Error:
        signature = b""
    if len(signature) != 64:
        return "signature is not base64 of a 64-byte Ed25519 signature", None
    try:
        public_key.verify(signature, checkpoint_payload(data))
    except InvalidSignature:
        return "signature does not verify with the given public key (forged, edited or signed by another key)", None
    except ValueError:  # canonical encoding impossible (lone surrogate): cannot have been signed by us
        return "content cannot be encoded canonically", None
    if data["seq"] != seq:
        return f"file name says seq {seq} but the signed content says seq {data['seq']}", None
    if data["key_id"] != key_id:
        return f"signed for audit key {data['key_id']!r}, but the key file holds {key_id!r}", None
    return None, Checkpoint(seq, bytes.fromhex(data["mac"]), data["created_at"], name)
