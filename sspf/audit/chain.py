"""The audit chain format: canonical event bytes, MAC chaining, checkpoints, key files, exports.

Everything here is a pure definition of bytes on disk (stdlib and ``cryptography`` only, no
Flask, no database), because three parties must agree on it byte for byte: the sealer, which
MACs events as they are committed; the exporter, which re-encodes them from database columns;
and the outside auditor's verifier (top-level ``audit`` package), which repeats the definition
on purpose so that it never imports ``sspf``. ``tests/audit_verifier`` asserts the two agree.

The format, in short:

* An event is a flat JSON object with exactly the keys of :data:`EVENT_KEYS`, built and
  type-checked by :func:`build_event`. Its canonical bytes are
  ``json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` in UTF-8:
  one obvious rule that any JSON library can reproduce, and no newline can occur in it (JSON
  escapes control characters), so it can sit verbatim on one line of an export.
* ``mac(n) = HMAC-SHA256(audit_key, mac(n-1) || canonical(n))`` with ``mac(0)`` = 32 zero bytes.
  ``seq`` is inside the MAC'd bytes, so a deletion, insertion or reordering breaks the chain.
* An export line is ``{"event":<canonical bytes>,"mac":"<64 hex>"}``: the verifier slices the
  MAC'd bytes out of the line instead of parsing and re-serialising each event, which is what
  makes verification run at hundreds of thousands of events per second.
* A checkpoint is a small signed statement "the chain had MAC m at seq n". The HMAC key alone
  cannot show that the tail of an export was cut off, nor that someone holding the HMAC key
  re-sealed the chain; an Ed25519 signature by a separate key, kept in files outside the
  database, can.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import json
import os
import re
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sspf.audit.keys import (  # noqa: F401  (re-exported: the chain's users load keys through here)
    HMAC_KEY_FILE,
    PUBLIC_KEY_FILE,
    SIGNING_KEY_FILE,
    AuditKey,
    AuditKeyError,
    AuditKeyFiles,
    generate_audit_keys,
    load_audit_key,
    load_public_key,
    load_signing_key,
)
from sspf.fsutil import fsync_dir

MAC_SIZE = 32
#: ``prev_mac`` of the event with seq 1.
GENESIS_MAC = bytes(MAC_SIZE)
EXPORT_TYPE = "sspf-audit-export"
EXPORT_VERSION = 1
OUTCOMES = frozenset({"allowed", "denied"})
#: Every event has exactly these keys, in this (sorted, hence canonical) order.
EVENT_KEYS = (
    "action", "actor_agency", "actor_districts", "actor_id", "actor_role", "at", "client_addr", "detail",
    "event_id", "fields", "flagged", "outcome", "purpose", "request_id", "seq", "subject_ref", "target_id",
    "target_type",
)  # fmt: skip
HEADER_KEYS = ("exported_at", "first_seq", "key_id", "prev_mac", "type", "version")
CHECKPOINT_KEYS = ("created_at", "key_id", "mac", "seq", "signature")
#: Largest integer every JSON implementation reads exactly (IEEE 754 doubles).
MAX_JSON_INT = 2**53 - 1
#: Detail is for short plain values (a failed username, a count), never free text or personal data.
DETAIL_MAX_KEYS = 32
DETAIL_MAX_CHARS = 256

_TIMESTAMP_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
_ACTION_RE = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+")
_HEX_MAC_RE = re.compile(r"[0-9a-f]{64}")
_EVENT_LINE_PREFIX = b'{"event":'
_EVENT_LINE_MAC = b',"mac":"'


class AuditFormatError(ValueError):
    """A value does not fit the chain format; the message names the field and the rule."""


class CheckpointConflictError(FileExistsError):
    """A different checkpoint already exists for this seq: a checkpoint is never rewritten."""


# --------------------------------------------------------------------------- timestamps


def format_timestamp(value: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC.

    Fixed width with microseconds always present, so the same instant always has the same bytes
    whatever the database returns. Naive datetimes are refused: their zone is a guess.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise AuditFormatError("timestamp must be timezone-aware")
    v = value.astimezone(UTC)
    return (f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}"
            f".{v.microsecond:06d}Z")


def parse_timestamp(text: str) -> datetime:
    """Inverse of :func:`format_timestamp`; refuses every other spelling of a time."""
    if not isinstance(text, str) or not _TIMESTAMP_RE.fullmatch(text):
        raise AuditFormatError(f"timestamp must look like 2025-01-31T12:00:00.000000Z, got {text!r}")
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise AuditFormatError(f"timestamp {text!r} is not a valid date and time") from exc


def _timestamp(name: str, value: datetime | str) -> str:
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, str):
        parse_timestamp(value)
        return value
    raise AuditFormatError(f"{name} must be a datetime or a timestamp string, got {type(value).__name__}")


# --------------------------------------------------------------------------- events


def _text(name: str, value: object, *, nullable: bool = True, max_chars: int | None = None) -> str | None:
    if value is None and nullable:
        return None
    if isinstance(value, uuid.UUID):
        value = str(value)
    if not isinstance(value, str):
        raise AuditFormatError(f"{name} must be a string{' or None' if nullable else ''}, got {type(value).__name__}")
    value = str.__str__(value)  # a StrEnum member becomes its plain value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise AuditFormatError(f"{name} is not encodable as UTF-8 (lone surrogate?)") from exc
    if max_chars is not None and len(value) > max_chars:
        raise AuditFormatError(f"{name} is longer than {max_chars} characters")
    return value


def _text_set(name: str, values: Iterable[str]) -> list[str]:
    """Sorted, de-duplicated list: the order of districts or field names carries no meaning,
    and a fixed order lets the exporter rebuild the same bytes from any database."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise AuditFormatError(f"{name} must be a list of strings")
    return sorted({_text(f"{name}[]", v, nullable=False) for v in values})  # type: ignore[misc]


def _int(name: str, value: object, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise AuditFormatError(f"{name} must be an integer, got {type(value).__name__}")
    if not minimum <= value <= MAX_JSON_INT:
        raise AuditFormatError(f"{name} must be between {minimum} and {MAX_JSON_INT}, got {value}")
    return value


def _uuid_text(name: str, value: uuid.UUID | str) -> str:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            if str(uuid.UUID(value)) == value:
                return value
    raise AuditFormatError(f"{name} must be a UUID in lower-case hyphenated form, got {value!r}")


def _detail(value: Mapping[str, object] | None) -> dict[str, str | int | bool | None]:
    """Flat mapping of short plain values. Floats are refused: their text form differs between
    JSON libraries and database JSON types, and one changed digit would break the chain."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise AuditFormatError("detail must be a mapping")
    if len(value) > DETAIL_MAX_KEYS:
        raise AuditFormatError(f"detail has more than {DETAIL_MAX_KEYS} keys")
    out: dict[str, str | int | bool | None] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise AuditFormatError("detail keys must be non-empty strings")
        _text("detail key", key, nullable=False, max_chars=DETAIL_MAX_CHARS)
        if item is None or isinstance(item, bool):
            out[key] = item
        elif isinstance(item, int):
            out[key] = _int(f"detail[{key!r}]", item, minimum=-MAX_JSON_INT)
        elif isinstance(item, str):
            out[key] = _text(f"detail[{key!r}]", item, nullable=False, max_chars=DETAIL_MAX_CHARS)
        else:
            raise AuditFormatError(f"detail[{key!r}] must be a string, integer, boolean or None, "
                                   f"got {type(item).__name__}")
    return out


def build_event(
    *,
    seq: int,
    event_id: uuid.UUID | str,
    at: datetime | str,
    action: str,
    outcome: str,
    actor_id: str | uuid.UUID | None = None,
    actor_agency: str | None = None,
    actor_role: str | None = None,
    actor_districts: Iterable[str] = (),
    target_type: str | None = None,
    target_id: str | uuid.UUID | None = None,
    subject_ref: str | None = None,
    purpose: str | None = None,
    fields: Iterable[str] = (),
    flagged: bool = False,
    request_id: str | None = None,
    client_addr: str | None = None,
    detail: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """The one definition of an event, shared by the sealer, the exporter and the tests.

    Values are normalised (UUIDs and datetimes to text, districts and field names sorted) so
    that the bytes depend only on what happened, not on how the caller or database holds it.

    :raises AuditFormatError: a value has the wrong type or shape.
    """
    if not isinstance(action, str) or not _ACTION_RE.fullmatch(action):
        raise AuditFormatError(f"action must be dotted lower-case words like 'case.read', got {action!r}")
    outcome = str.__str__(outcome) if isinstance(outcome, str) else outcome
    if outcome not in OUTCOMES:
        raise AuditFormatError(f"outcome must be one of {sorted(OUTCOMES)}, got {outcome!r}")
    if not isinstance(flagged, bool):
        raise AuditFormatError(f"flagged must be a bool, got {type(flagged).__name__}")
    return {
        "action": str.__str__(action),
        "actor_agency": _text("actor_agency", actor_agency),
        "actor_districts": _text_set("actor_districts", actor_districts),
        "actor_id": _text("actor_id", actor_id),
        "actor_role": _text("actor_role", actor_role),
        "at": _timestamp("at", at),
        "client_addr": _text("client_addr", client_addr),
        "detail": _detail(detail),
        "event_id": _uuid_text("event_id", event_id),
        "fields": _text_set("fields", fields),
        "flagged": flagged,
        "outcome": outcome,
        "purpose": _text("purpose", purpose),
        "request_id": _text("request_id", request_id),
        "seq": _int("seq", seq, minimum=1),
        "subject_ref": _text("subject_ref", subject_ref),
        "target_id": _text("target_id", target_id),
        "target_type": _text("target_type", target_type),
    }


def validate_event(event: Mapping[str, object]) -> dict[str, object]:
    """Check that ``event`` is exactly what :func:`build_event` would produce, and return it.

    Used on events read back from an export or built elsewhere: an event that is merely
    *equivalent* (unsorted districts, a UUID object) would encode to different bytes.
    """
    if not isinstance(event, Mapping):
        raise AuditFormatError("event must be a mapping")
    keys = set(event)
    if keys != set(EVENT_KEYS):
        missing, extra = sorted(set(EVENT_KEYS) - keys), sorted(keys - set(EVENT_KEYS))
        raise AuditFormatError(f"event keys differ from the format: missing {missing}, unexpected {extra}")
    rebuilt = build_event(**event)  # type: ignore[arg-type]
    for key in EVENT_KEYS:
        if rebuilt[key] != event[key] or type(rebuilt[key]) is not type(event[key]):
            raise AuditFormatError(f"{key} is not in canonical form: {event[key]!r}")
    return rebuilt


def canonical_bytes(event: Mapping[str, object]) -> bytes:
    """The bytes that are MAC'd and that appear verbatim in an export line.

    Pure encoding, no validation (the sealer and exporter run it on every event): pass an event
    from :func:`build_event`.
    """
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def compute_mac(hmac_key: bytes, prev_mac: bytes, canonical: bytes) -> bytes:
    """``HMAC-SHA256(hmac_key, prev_mac || canonical)``, 32 bytes."""
    if len(prev_mac) != MAC_SIZE:
        raise AuditFormatError(f"prev_mac must be {MAC_SIZE} bytes")
    return hmac.digest(hmac_key, prev_mac + canonical, "sha256")


def seal_event(hmac_key: bytes, prev_mac: bytes, event: Mapping[str, object]) -> tuple[bytes, bytes]:
    """Return ``(canonical_bytes, mac)`` of ``event`` following ``prev_mac`` in the chain."""
    canonical = canonical_bytes(event)
    return canonical, compute_mac(hmac_key, prev_mac, canonical)


def mac_from_hex(text: str) -> bytes:
    """Parse a MAC as stored in the database and in files (64 lower-case hex digits)."""
    if not isinstance(text, str) or not _HEX_MAC_RE.fullmatch(text):
        raise AuditFormatError(f"a MAC must be 64 lower-case hex digits, got {text!r}")
    return bytes.fromhex(text)


def _mac_hex(mac: bytes | str) -> str:
    if isinstance(mac, str):
        mac_from_hex(mac)
        return mac
    if len(mac) != MAC_SIZE:
        raise AuditFormatError(f"a MAC must be {MAC_SIZE} bytes")
    return mac.hex()


# --------------------------------------------------------------------------- export


def export_header(*, first_seq: int, prev_mac: bytes | str, exported_at: datetime | str, key_id: str) -> dict:
    """The first line of an export.

    ``prev_mac`` is the MAC of event ``first_seq - 1`` (zeros when starting at 1), so a partial
    export can be verified on its own. ``key_id`` names the HMAC key, so that an auditor handed
    the wrong key file is told so instead of seeing every event fail.
    """
    first_seq = _int("first_seq", first_seq, minimum=1)
    prev_hex = _mac_hex(prev_mac)
    if first_seq == 1 and prev_hex != GENESIS_MAC.hex():
        raise AuditFormatError("an export starting at seq 1 has prev_mac of 64 zeros")
    return {
        "type": EXPORT_TYPE,
        "version": EXPORT_VERSION,
        "first_seq": first_seq,
        "prev_mac": prev_hex,
        "exported_at": _timestamp("exported_at", exported_at),
        "key_id": _text("key_id", key_id, nullable=False),
    }


def header_line(header: Mapping[str, object]) -> bytes:
    """The header in the order :func:`export_header` builds it, so ``head -1`` reads naturally.

    The header is not MAC'd and needs no canonical order: a wrong ``first_seq`` or ``prev_mac``
    already makes the first event fail, and a wrong ``key_id`` makes the verifier refuse the key.
    """
    return json.dumps(dict(header), separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def event_line(canonical: bytes, mac: bytes | str) -> bytes:
    """``{"event":<canonical>,"mac":"<hex>"}`` plus newline: the canonical bytes verbatim."""
    return b"".join((_EVENT_LINE_PREFIX, canonical, _EVENT_LINE_MAC, _mac_hex(mac).encode(), b'"}\n'))


def export_lines(header: Mapping[str, object], events_with_macs: Iterable[tuple[Mapping[str, object], bytes | str]],
                 ) -> Iterator[bytes]:
    """Yield the lines of an export file: the header, then one line per ``(event, mac)``.

    Refuses a gap or reordering in ``seq`` on the way out, since the verifier would only report
    it as tampering later.

    :raises AuditFormatError: the events do not follow ``header['first_seq']`` one by one.
    """
    yield header_line(header)
    expected = _int("first_seq", header["first_seq"], minimum=1)
    for event, mac in events_with_macs:
        if event["seq"] != expected:
            raise AuditFormatError(f"export expected seq {expected}, got {event['seq']}")
        yield event_line(canonical_bytes(event), mac)
        expected += 1


# --------------------------------------------------------------------------- checkpoints


def checkpoint_payload(checkpoint: Mapping[str, object]) -> bytes:
    """The bytes a checkpoint signature covers: canonical JSON of seq, mac, created_at, key_id."""
    return canonical_bytes({k: checkpoint[k] for k in ("created_at", "key_id", "mac", "seq")})


def make_checkpoint(seq: int, mac: bytes | str, created_at: datetime | str, key_id: str,
                    signing_key: Ed25519PrivateKey) -> dict:
    """A signed statement that the chain's MAC at ``seq`` was ``mac``.

    ``key_id`` is the id of the HMAC key the chain is sealed with (the one in the export header).
    Ed25519 signatures are deterministic, so re-making a checkpoint gives the same file.
    """
    checkpoint: dict[str, object] = {
        "seq": _int("seq", seq, minimum=1),
        "mac": _mac_hex(mac),
        "created_at": _timestamp("created_at", created_at),
        "key_id": _text("key_id", key_id, nullable=False),
    }
    checkpoint["signature"] = base64.b64encode(signing_key.sign(checkpoint_payload(checkpoint))).decode("ascii")
    return checkpoint


def verify_checkpoint(checkpoint: Mapping[str, object], public_key: Ed25519PublicKey) -> bool:
    """True when the signature is valid; never raises on a malformed checkpoint."""
    try:
        signature = base64.b64decode(str(checkpoint["signature"]), validate=True)
        public_key.verify(signature, checkpoint_payload(checkpoint))
    except (KeyError, TypeError, ValueError, binascii.Error, InvalidSignature):
        return False
    return True


def checkpoint_filename(seq: int) -> str:
    """``checkpoint-<seq, 12 digits>.json``: names sort in seq order."""
    return f"checkpoint-{_int('seq', seq, minimum=1):012d}.json"


def read_checkpoint(path: str | os.PathLike[str]) -> dict:
    return json.loads(Path(path).read_bytes())


def write_checkpoint(directory: str | os.PathLike[str], checkpoint: Mapping[str, object]) -> Path:
    """Write ``checkpoint`` atomically into ``directory`` (mode 0644) and return its path.

    The file is written to a temporary name and hard-linked into place, which fails instead of
    replacing an existing file: a checkpoint is evidence and is never rewritten. Writing the
    identical checkpoint again is a no-op, so a retried job is harmless.

    :raises CheckpointConflictError: a different checkpoint exists for the same seq.
    """
    if set(checkpoint) != set(CHECKPOINT_KEYS):
        raise AuditFormatError(f"a checkpoint has exactly the keys {list(CHECKPOINT_KEYS)}")
    target = Path(directory) / checkpoint_filename(checkpoint["seq"])  # type: ignore[arg-type]
    data = canonical_bytes(checkpoint) + b"\n"
    fd, tmp_name = tempfile.mkstemp(prefix=".checkpoint-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, 0o644)
        try:
            os.link(tmp_name, target)
        except FileExistsError:
            if target.read_bytes() != data:
                raise CheckpointConflictError(f"a different checkpoint already exists: {target.name}") from None
    finally:
        os.unlink(tmp_name)
    fsync_dir(Path(directory))
    return target

