"""``sspf.audit.chain``: one definition of events, checkpoints and key files, strict on input."""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import stat
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sspf.audit import chain

AT = datetime(2025, 6, 1, 12, 30, 5, 42, tzinfo=UTC)


class Role(enum.StrEnum):
    CASE_WORKER = "case_worker"


def minimal(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {"seq": 1, "event_id": uuid.UUID(int=1), "at": AT, "action": "case.read",
                                 "outcome": "allowed"}
    values.update(overrides)
    return chain.build_event(**values)  # type: ignore[arg-type]


def test_build_event_normalises_what_databases_return():
    event = minimal(event_id=uuid.UUID(int=255), at=AT.astimezone(timezone(timedelta(hours=2))),
                    actor_districts=("söder", "centrum", "söder"), fields={"status", "anteckning"},
                    actor_role=Role.CASE_WORKER, target_id=uuid.UUID(int=2))
    assert event["event_id"] == "00000000-0000-0000-0000-0000000000ff"
    assert event["at"] == "2025-06-01T12:30:05.000042Z"
    assert event["actor_districts"] == ["centrum", "söder"]
    assert event["fields"] == ["anteckning", "status"]
    assert type(event["actor_role"]) is str and event["actor_role"] == "case_worker"
    assert event["target_id"] == "00000000-0000-0000-0000-000000000002"
    assert tuple(event) == chain.EVENT_KEYS
    assert event == {**event, "actor_id": None, "detail": {}, "flagged": False, "purpose": None}
    assert chain.validate_event(event) == event


BAD_VALUES = {
    "seq": [0, -1, True, 1.0, "1", 2**53],
    "event_id": ["not-a-uuid", str(uuid.UUID(int=255)).upper(), None],
    "at": [datetime(2025, 1, 1), "2025-01-01T00:00:00Z", "2025-13-01T00:00:00.000000Z", 1700000000],
    "action": ["Case.Read", "read", "case read", "", None],
    "outcome": ["ok", None, True],
    "flagged": [1, "false", None],
    "actor_id": [5, b"bytes"],
    "subject_ref": ["\ud800 lone surrogate"],
    "actor_districts": ["söder", [1], None],
    "fields": ["status", [None]],
    "detail": [{"x": 1.5}, {"x": float("nan")}, {"x": [1]}, {"x": {"y": 1}}, {"": 1}, {1: "x"},
               {"x": "a" * 257}, {f"k{i}": i for i in range(33)}, {"x": 2**53}, "text"],
}


@pytest.mark.parametrize("name", BAD_VALUES)
def test_build_event_refuses_bad_values(name):
    for value in BAD_VALUES[name]:
        with pytest.raises(chain.AuditFormatError):
            minimal(**{name: value})
            pytest.fail(f"{name}={value!r} accepted")


def test_validate_event_refuses_non_canonical_or_incomplete():
    event = minimal(actor_districts=["a", "b"])
    with pytest.raises(chain.AuditFormatError, match="actor_districts is not in canonical form"):
        chain.validate_event({**event, "actor_districts": ["b", "a"]})
    with pytest.raises(chain.AuditFormatError, match="flagged must be a bool"):
        chain.validate_event({**event, "flagged": 0})
    with pytest.raises(chain.AuditFormatError, match=r"missing \['seq'\], unexpected \['sequence'\]"):
        chain.validate_event({**{k: v for k, v in event.items() if k != "seq"}, "sequence": 1})


def test_timestamps_round_trip_and_refuse_naive():
    assert chain.parse_timestamp(chain.format_timestamp(AT)) == AT
    assert chain.format_timestamp(datetime(5, 1, 2, tzinfo=UTC)) == "0005-01-02T00:00:00.000000Z"
    with pytest.raises(chain.AuditFormatError, match="timezone-aware"):
        chain.format_timestamp(datetime(2025, 1, 1))
    with pytest.raises(chain.AuditFormatError):
        chain.parse_timestamp("2025-02-30T00:00:00.000000Z")


def test_canonical_bytes_are_sorted_compact_utf8_single_line():
    event = minimal(purpose="a\nb \u2028 ä", detail={"z": 1, "a": None})
    data = chain.canonical_bytes(event)
    assert data.startswith(b'{"action":"case.read","actor_agency":null,"actor_districts":[],')
    assert b'"detail":{"a":null,"z":1}' in data and b"\n" not in data and "ä".encode() in data
    assert json.loads(data) == event


def test_mac_chain():
    key = bytes(32)
    first, second = minimal(seq=1), minimal(seq=2)
    c1, m1 = chain.seal_event(key, chain.GENESIS_MAC, first)
    c2, m2 = chain.seal_event(key, m1, second)
    assert m1 == hmac.new(key, bytes(32) + c1, hashlib.sha256).digest()
    assert m2 == hmac.new(key, m1 + c2, hashlib.sha256).digest()
    with pytest.raises(chain.AuditFormatError):
        chain.compute_mac(key, b"short", c1)
    assert chain.mac_from_hex(m1.hex()) == m1
    with pytest.raises(chain.AuditFormatError):
        chain.mac_from_hex(m1.hex().upper())


def test_export_lines():
    key = bytes(32)
    events, prev = [], chain.GENESIS_MAC
    for seq in (1, 2, 3):
        event = minimal(seq=seq)
        _, prev = chain.seal_event(key, prev, event)
        events.append((event, prev))
    header = chain.export_header(first_seq=1, prev_mac=chain.GENESIS_MAC, exported_at=AT, key_id="k1")
    lines = list(chain.export_lines(header, events))
    assert json.loads(lines[0]) == {"type": "sspf-audit-export", "version": 1, "first_seq": 1, "prev_mac": "0" * 64,
                                    "exported_at": "2025-06-01T12:30:05.000042Z", "key_id": "k1"}
    event, mac = events[1]
    assert lines[2] == b'{"event":' + chain.canonical_bytes(event) + b',"mac":"' + mac.hex().encode() + b'"}\n'
    assert all(line.endswith(b"\n") and line.count(b"\n") == 1 for line in lines)
    with pytest.raises(chain.AuditFormatError, match="expected seq 2, got 3"):
        list(chain.export_lines(header, [events[0], events[2]]))
    with pytest.raises(chain.AuditFormatError, match="64 zeros"):
        chain.export_header(first_seq=1, prev_mac=b"\x01" * 32, exported_at=AT, key_id="k1")


def test_checkpoint_sign_verify_and_tamper():
    signing = Ed25519PrivateKey.generate()
    cp = chain.make_checkpoint(7, b"\x07" * 32, AT, "k1", signing)
    assert set(cp) == set(chain.CHECKPOINT_KEYS)
    assert cp == chain.make_checkpoint(7, (b"\x07" * 32).hex(), AT, "k1", signing), "Ed25519 is deterministic"
    assert chain.verify_checkpoint(cp, signing.public_key())
    for changes in ({"seq": 8}, {"mac": "00" * 32}, {"key_id": "k2"}, {"created_at": "x"}, {"signature": "!"}):
        assert not chain.verify_checkpoint({**cp, **changes}, signing.public_key())
    assert not chain.verify_checkpoint(cp, Ed25519PrivateKey.generate().public_key())
    assert not chain.verify_checkpoint({"seq": 7}, signing.public_key())
    assert chain.checkpoint_filename(7) == "checkpoint-000000000007.json"


def test_write_checkpoint_is_atomic_idempotent_and_never_overwrites(tmp_path: Path):
    signing = Ed25519PrivateKey.generate()
    cp = chain.make_checkpoint(42, b"\x01" * 32, AT, "k1", signing)
    path = chain.write_checkpoint(tmp_path, cp)
    assert path == tmp_path / "checkpoint-000000000042.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert chain.read_checkpoint(path) == cp
    assert chain.write_checkpoint(tmp_path, cp) == path  # the same checkpoint again: harmless
    other = chain.make_checkpoint(42, b"\x02" * 32, AT, "k1", signing)
    with pytest.raises(chain.CheckpointConflictError):
        chain.write_checkpoint(tmp_path, other)
    assert chain.read_checkpoint(path) == cp
    assert [p.name for p in tmp_path.iterdir()] == [path.name], "no temporary files left behind"


def test_generate_and_load_audit_keys(tmp_path: Path):
    files = chain.generate_audit_keys(tmp_path)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert modes == {"audit_hmac.json": 0o600, "audit_signing.pem": 0o600, "audit_signing.pub.pem": 0o644}
    key = chain.load_audit_key(files.hmac_key)
    assert len(key.hmac_key) == 32 and key.key_id.startswith("audit-") and "hmac_key" not in repr(key)
    signing, public = chain.load_signing_key(files.signing_key), chain.load_public_key(files.public_key)
    assert public.public_bytes_raw() == signing.public_key().public_bytes_raw()
    before = files.hmac_key.read_bytes()
    with pytest.raises(FileExistsError, match="audit_hmac.json"):
        chain.generate_audit_keys(tmp_path)
    assert files.hmac_key.read_bytes() == before


def test_key_loaders_say_what_is_wrong(tmp_path: Path):
    files = chain.generate_audit_keys(tmp_path / "keys")
    bad = tmp_path / "bad"
    cases = [
        (chain.load_audit_key, b"{", "not JSON"),
        (chain.load_audit_key, b'{"key_id": "k", "hmac_key": "AAAA"}', "base64 of 32 bytes"),
        (chain.load_audit_key, b'{"key_id": "k"}', "must hold exactly"),
        (chain.load_signing_key, files.public_key.read_bytes(), "not an unencrypted PEM private key"),
        (chain.load_public_key, files.signing_key.read_bytes(), "not a PEM public key"),
    ]
    for loader, data, message in cases:
        bad.write_bytes(data)
        with pytest.raises(chain.AuditKeyError, match=message):
            loader(bad)
    with pytest.raises(chain.AuditKeyError, match="cannot read"):
        chain.load_audit_key(tmp_path / "missing.json")
