"""Checkpoints: every forgery is caught and never trusted; valid ones catch re-sealing and cut tails."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.findings import Kind
from sspf.audit import chain


def first(report) -> tuple[int, Kind] | None:
    return (report.findings[0].seq, report.findings[0].kind) if report.findings else None


def forgeries(kit, seq: int) -> Iterator[tuple[str, bytes]]:
    """Replacement contents for the checkpoint file of ``seq``."""
    cp = kit.checkpoints[seq]
    other_mac = kit.macs[seq - 2].hex()

    def enc(value: object) -> bytes:
        return chain.canonical_bytes(value) + b"\n"  # type: ignore[arg-type]

    signature = base64.b64decode(cp["signature"])
    yield "seq edited", enc({**cp, "seq": seq + 1})
    yield "seq edited to a string", enc({**cp, "seq": str(seq)})
    yield "mac edited", enc({**cp, "mac": other_mac})
    yield "created_at edited", enc({**cp, "created_at": "2031-01-01T00:00:00.000000Z"})
    yield "key_id edited", enc({**cp, "key_id": "audit-other"})
    yield "signature bit flipped", enc({**cp, "signature": base64.b64encode(bytes([signature[0] ^ 1]) + signature[1:])
                                        .decode()})
    yield "signature of another checkpoint", enc({**cp, "signature": kit.checkpoints[50 if seq != 50 else 120]
                                                  ["signature"]})
    yield "signature not base64", enc({**cp, "signature": "not base64!"})
    yield "signature missing", enc({k: v for k, v in cp.items() if k != "signature"})
    yield "extra field", enc({**cp, "note": "trust me"})
    other = Ed25519PrivateKey.generate()
    yield "signed by another key", enc(chain.make_checkpoint(seq, kit.macs[seq - 1], cp["created_at"],
                                                             kit.key.key_id, other))
    yield "forged mac signed by another key", enc(chain.make_checkpoint(seq, other_mac, cp["created_at"],
                                                                        kit.key.key_id, other))
    yield "truncated file", enc(cp)[:-20]
    yield "empty file", b""
    yield "not JSON", b"checkpoint\n"
    yield "JSON list", b"[]\n"


def test_every_checkpoint_forgery_is_detected_and_not_trusted(kit):
    misjudged, count = [], 0
    for seq in kit.checkpoints:
        for label, data in forgeries(kit, seq):
            files = kit.checkpoint_files()
            files[chain.checkpoint_filename(seq)] = data
            report = kit.verify(checkpoint_dir=kit.write_checkpoints(files))
            count += 1
            if first(report) != (seq, Kind.CHECKPOINT_INVALID) or len(report.findings) != 1:
                misjudged.append(f"{label} at {seq}: {[str(f) for f in report.findings]}")
    assert not misjudged, f"{len(misjudged)} of {count} forgeries misjudged:\n" + "\n".join(misjudged)


def test_checkpoint_renamed_to_another_seq(kit):
    files = kit.checkpoint_files()
    files[chain.checkpoint_filename(130)] = files.pop(chain.checkpoint_filename(120))
    report = kit.verify(checkpoint_dir=kit.write_checkpoints(files))
    assert first(report) == (130, Kind.CHECKPOINT_INVALID)
    assert "file name says seq 130 but the signed content says seq 120" in report.findings[0].message


def test_forged_checkpoint_beyond_the_end_is_not_truncation(kit):
    files = kit.checkpoint_files()
    forged = chain.make_checkpoint(300, bytes(32), "2025-04-01T00:00:00.000000Z", kit.key.key_id,
                                   Ed25519PrivateKey.generate())
    files[chain.checkpoint_filename(300)] = chain.canonical_bytes(forged)
    report = kit.verify(checkpoint_dir=kit.write_checkpoints(files))
    assert [(f.seq, f.kind) for f in report.findings] == [(300, Kind.CHECKPOINT_INVALID)]


def test_checkpoint_for_another_audit_key(kit):
    files = kit.checkpoint_files()
    cp = chain.make_checkpoint(120, kit.macs[119], "2025-04-01T00:00:00.000000Z", "audit-other", kit.signing)
    files[chain.checkpoint_filename(120)] = chain.canonical_bytes(cp)
    report = kit.verify(checkpoint_dir=kit.write_checkpoints(files))
    assert first(report) == (120, Kind.CHECKPOINT_INVALID)
    assert "audit-other" in report.findings[0].message


def resealed(kit, edit_seq: int) -> list[bytes]:
    """What someone holding the HMAC key (but not the signing key) can do: edit, then re-seal."""
    lines = list(kit.lines[: edit_seq - 1])
    prev = kit.macs[edit_seq - 2]
    for event in kit.events[edit_seq - 1:]:
        if event["seq"] == edit_seq:
            event = {**event, "outcome": "allowed", "flagged": False, "purpose": "rutinkontroll"}
        canonical, prev = chain.seal_event(kit.key.hmac_key, prev, event)
        lines.append(chain.event_line(canonical, prev))
    return lines


def test_resealed_chain_is_caught_at_the_next_checkpoint(kit):
    for edit_seq, checkpoint in ((2, 50), (70, 120), (121, 200), (200, 200)):
        report = kit.verify(resealed(kit, edit_seq))
        assert first(report) == (checkpoint, Kind.CHECKPOINT_MISMATCH), (edit_seq, report.findings)
    assert "in seqs 51..120 was altered" in kit.verify(resealed(kit, 70)).findings[0].message


def test_valid_signature_over_a_different_mac(kit):
    """A genuinely signed checkpoint that disagrees with the chain: the chain was replaced."""
    files = kit.checkpoint_files()
    cp = chain.make_checkpoint(120, kit.macs[0], "2025-04-01T00:00:00.000000Z", kit.key.key_id, kit.signing)
    files[chain.checkpoint_filename(120)] = chain.canonical_bytes(cp)
    report = kit.verify(checkpoint_dir=kit.write_checkpoints(files))
    assert first(report) == (120, Kind.CHECKPOINT_MISMATCH)


def test_partial_export_uses_the_checkpoint_before_it(kit):
    report = kit.verify(kit.lines[50:], header=kit.header(first_seq=51))
    assert report.ok, report.findings
    assert report.summary() == "OK: 150 events verified (seq 51..200), 3 checkpoints checked"

    report = kit.verify(kit.lines[100:], header=kit.header(first_seq=101))
    assert report.ok and report.checkpoints_checked == 2
    assert any("1 earlier checkpoint(s)" in note for note in report.notes)


def test_partial_export_with_a_forged_prev_mac(kit):
    report = kit.verify(kit.lines[50:], header=kit.header(first_seq=51, prev_mac=bytes(range(32))))
    assert first(report) == (50, Kind.CHECKPOINT_MISMATCH)
    assert (report.findings[1].seq, report.findings[1].kind) == (51, Kind.EDITED)


def test_head_cut_and_header_rewritten_is_a_valid_partial_export(kit):
    """Anyone can start an export later (prev_mac is public); the summary shows where it starts."""
    report = kit.verify(kit.lines[60:], header=kit.header(first_seq=61, prev_mac=kit.macs[59]))
    assert report.ok
    assert "(seq 61..200)" in report.summary()


def test_tail_without_checkpoint_is_noted(kit):
    files = {k: v for k, v in kit.checkpoint_files().items() if "200" not in k}
    report = kit.verify(checkpoint_dir=kit.write_checkpoints(files))
    assert report.ok
    assert any("after seq 120" in note for note in report.notes)
    report = kit.verify(kit.lines[:130], checkpoint_dir=kit.write_checkpoints(files))
    assert report.ok, "truncation after the last checkpoint cannot be detected, by design"


def test_no_checkpoints_at_all(kit):
    report = kit.verify(checkpoint_dir=kit.write_checkpoints({}))
    assert report.ok and report.checkpoints_checked == 0
    assert any("in this export" in note for note in report.notes)


def test_other_files_in_the_checkpoint_directory_are_ignored_and_noted(kit):
    files = kit.checkpoint_files()
    files[".checkpoint-abc.tmp"] = b"partial"
    files["checkpoint-120.json"] = b"{}"
    report = kit.verify(checkpoint_dir=kit.write_checkpoints(files))
    assert report.ok and report.checkpoints_checked == 3
    assert any("ignored 2 file(s)" in note for note in report.notes)


def test_empty_export_below_a_checkpoint_is_truncated(kit):
    report = kit.verify([])
    assert first(report) == (1, Kind.TRUNCATED)
    assert "events 1..200 are missing" in report.findings[0].message


def test_checkpoint_json_is_what_chain_writes(kit):
    data = json.loads((kit.checkpoint_dir / chain.checkpoint_filename(50)).read_bytes())
    assert set(data) == {"seq", "mac", "created_at", "key_id", "signature"}
    assert data["mac"] == kit.macs[49].hex()
