"""A known-good audit export built with ``sspf.audit.chain``, and helpers to tamper with it.

The export is built once per module (keys, 200 events, checkpoints at 50, 120 and 200); each
test writes its tampered copy to its own directory and runs the independent verifier on it.
The checkpoint at the last seq is deliberate: without one, cutting off the tail is undetectable
by design, and the verifier only notes it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.verify import Report, verify_export
from sspf.audit import chain

EVENT_COUNT = 200
CHECKPOINT_SEQS = (50, 120, 200)
START = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
ACTIONS = ("case.read", "case.update", "auth.login.success", "contact.create", "access.denied")


def sample_event(seq: int, **overrides: object) -> dict[str, object]:
    """A varied, realistic event: nulls, empty and non-empty lists, Swedish text, detail."""
    values: dict[str, object] = dict(
        seq=seq,
        event_id=uuid.UUID(int=seq * 7919 + 1),
        at=START + timedelta(seconds=13 * (seq % 10**6), microseconds=seq % 10**6),
        action=ACTIONS[seq % len(ACTIONS)],
        outcome="denied" if seq % 11 == 0 else "allowed",
        actor_id=None if seq % 17 == 0 else str(uuid.UUID(int=seq % 9 + 1)),
        actor_agency=None if seq % 17 == 0 else ("Socialtjänsten", "Polisen", "Skolan", "Fritid")[seq % 4],
        actor_role=None if seq % 17 == 0 else "handläggare",
        actor_districts=[] if seq % 5 == 0 else ["söder", "centrum"][: seq % 2 + 1],
        target_type="case" if seq % 3 else None,
        target_id=str(uuid.UUID(int=seq % 23 + 100)) if seq % 3 else None,
        subject_ref=f"Y-{seq % 31:05d}" if seq % 3 else None,
        purpose="SoL 12 kap. 10 §" if seq % 4 == 0 else None,
        fields=["anteckning", "status"] if seq % 2 else [],
        flagged=seq % 29 == 0,
        request_id=f"req-{seq:06d}" if seq % 7 else None,
        client_addr="192.0.2.10" if seq % 7 else None,
        detail={"page": seq % 5, "note": "kontroll \"å\" \\ \u2028"} if seq % 6 == 0 else {},
    )
    values.update(overrides)
    return chain.build_event(**values)  # type: ignore[arg-type]


@dataclass
class Kit:
    """Keys, the good chain and writers for tampered variants of it."""

    base: Path
    key: chain.AuditKey
    signing: Ed25519PrivateKey
    events: list[dict[str, object]] = field(default_factory=list)
    macs: list[bytes] = field(default_factory=list)
    lines: list[bytes] = field(default_factory=list)
    checkpoints: dict[int, dict] = field(default_factory=dict)
    _counter: int = 0

    @property
    def key_file(self) -> Path:
        return self.base / chain.HMAC_KEY_FILE

    @property
    def public_key_file(self) -> Path:
        return self.base / chain.PUBLIC_KEY_FILE

    def header(self, first_seq: int = 1, prev_mac: bytes | None = None) -> bytes:
        if prev_mac is None:
            prev_mac = chain.GENESIS_MAC if first_seq == 1 else self.macs[first_seq - 2]
        return chain.header_line(chain.export_header(first_seq=first_seq, prev_mac=prev_mac, exported_at=START,
                                                     key_id=self.key.key_id))

    def line(self, event: dict[str, object], mac: bytes) -> bytes:
        return chain.event_line(chain.canonical_bytes(event), mac)

    @property
    def checkpoint_dir(self) -> Path:
        """The good checkpoints, written once and shared (the verifier never writes)."""
        return self.base / "checkpoints"

    def checkpoint_files(self) -> dict[str, bytes]:
        return {chain.checkpoint_filename(seq): chain.canonical_bytes(cp) + b"\n"
                for seq, cp in self.checkpoints.items()}

    def write_checkpoints(self, files: dict[str, bytes]) -> Path:
        """A fresh checkpoint folder holding exactly ``files`` (name to bytes)."""
        self._counter += 1
        path = self.base / f"checkpoints-{self._counter}"
        path.mkdir()
        for name, data in files.items():
            (path / name).write_bytes(data)
        return path

    def write_export(self, lines: list[bytes] | None = None, *, header: bytes | None = None) -> Path:
        self._counter += 1
        export = self.base / f"export-{self._counter}.jsonl"
        export.write_bytes((header or self.header()) + b"".join(self.lines if lines is None else lines))
        return export

    def verify(self, lines: list[bytes] | None = None, *, header: bytes | None = None,
               checkpoint_dir: Path | None = None) -> Report:
        export = self.write_export(lines, header=header)
        try:
            return verify_export(export, checkpoint_dir or self.checkpoint_dir, self.key_file, self.public_key_file)
        finally:
            export.unlink()

    def cli_args(self, export: Path | None = None, checkpoint_dir: Path | None = None) -> list[str]:
        export = export or self.write_export()
        return ["verify", str(export), "--checkpoints", str(checkpoint_dir or self.checkpoint_dir),
                "--key-file", str(self.key_file), "--public-key", str(self.public_key_file)]


def build_kit(base: Path) -> Kit:
    chain.generate_audit_keys(base)
    kit = Kit(base, chain.load_audit_key(base / chain.HMAC_KEY_FILE),
              chain.load_signing_key(base / chain.SIGNING_KEY_FILE))
    prev = chain.GENESIS_MAC
    for seq in range(1, EVENT_COUNT + 1):
        event = sample_event(seq)
        canonical, prev = chain.seal_event(kit.key.hmac_key, prev, event)
        kit.events.append(event)
        kit.macs.append(prev)
        kit.lines.append(chain.event_line(canonical, prev))
        if seq in CHECKPOINT_SEQS:
            kit.checkpoints[seq] = chain.make_checkpoint(seq, prev, START + timedelta(hours=seq), kit.key.key_id,
                                                         kit.signing)
    kit.checkpoint_dir.mkdir()
    for cp in kit.checkpoints.values():
        chain.write_checkpoint(kit.checkpoint_dir, cp)
    return kit


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Kit:
    return build_kit(tmp_path_factory.mktemp("audit-kit"))


@pytest.fixture(scope="session")
def make_event():
    """``make_event(seq, **overrides)``: a valid, varied event (see :func:`sample_event`)."""
    return sample_event
