"""Mutation testing of the verifier: every single tampering of a good export must be caught,
at the right seq and with the right name.

Each test enumerates a whole class of mutations (every deletion, every adjacent swap, ...) and
asserts that 100% are judged correctly, listing the misjudged ones otherwise. Mutations are made
the way an attacker without the HMAC key would: events are edited as JSON and re-encoded
canonically, so only the MAC can give them away.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator

from audit.findings import Kind
from sspf.audit import chain

SAMPLE_SEQS = (1, 2, 3, 17, 49, 50, 51, 99, 119, 120, 121, 150, 198, 199, 200)

Case = tuple[str, list[bytes], int, Kind]


def judge_all(kit, cases: Iterable[Case]) -> int:
    """Verify every case; fail listing those not reported as (seq, kind) first."""
    misjudged, count = [], 0
    for label, lines, seq, kind in cases:
        count += 1
        report = kit.verify(lines)
        got = report.findings[0] if report.findings else None
        if got is None or (got.seq, got.kind) != (seq, kind):
            misjudged.append(f"{label}: expected seq {seq} {kind}, got {got or 'OK (undetected)'}")
    assert not misjudged, f"{len(misjudged)} of {count} mutations misjudged:\n" + "\n".join(misjudged[:25])
    return count


def alternatives(name: str, value: object) -> list[object]:
    """Different values for one field, type-preserving first, then type-changing."""
    if name == "seq":
        assert isinstance(value, int)
        return [value + 1, value - 1, value + 1000, str(value)]
    if name == "event_id":
        return [str(uuid.UUID(int=uuid.UUID(str(value)).int ^ 1))]
    if name == "at":
        assert isinstance(value, str)
        return [value[:-2] + ("1" if value[-2] != "1" else "2") + "Z"]
    if name == "outcome":
        return ["denied" if value == "allowed" else "allowed"]
    if name == "flagged":
        return [not value, int(bool(value))]
    if isinstance(value, list):
        return [[*value, "extra"], []] if value else [["extra"]]
    if name == "detail":
        assert isinstance(value, dict)
        return [{**value, "extra": 1}, {}] if value else [{"k": "v"}]
    return [value + "x", None] if isinstance(value, str) else ["x"]


def edited_line(kit, seq: int, name: str, new: object) -> list[bytes]:
    event = dict(kit.events[seq - 1])
    event[name] = new
    lines = list(kit.lines)
    lines[seq - 1] = chain.event_line(chain.canonical_bytes(event), kit.macs[seq - 1])
    return lines


def field_edits(kit, seqs: Iterable[int], names: Iterable[str], per_field: int = 99) -> Iterator[Case]:
    for seq in seqs:
        for name in names:
            for new in alternatives(name, kit.events[seq - 1][name])[:per_field]:
                yield f"edit seq {seq} {name}={new!r}", edited_line(kit, seq, name, new), seq, Kind.EDITED


def test_unchanged_export_verifies(kit):
    report = kit.verify()
    assert report.ok, report.findings
    assert (report.events, report.first_seq, report.last_seq) == (200, 1, 200)
    assert report.checkpoints_checked == 3
    assert report.summary() == "OK: 200 events verified (seq 1..200), 3 checkpoints checked"


def test_every_field_of_sampled_events_edited(kit):
    assert judge_all(kit, field_edits(kit, SAMPLE_SEQS, chain.EVENT_KEYS)) > len(SAMPLE_SEQS) * len(chain.EVENT_KEYS)


def test_seq_and_subject_of_every_event_edited(kit):
    """``seq`` is the field whose edit most resembles a deletion or reordering."""
    assert judge_all(kit, field_edits(kit, range(1, 201), ("seq", "subject_ref"), per_field=1)) == 200 * 2


def test_mac_of_every_event_edited(kit):
    def cases() -> Iterator[Case]:
        for seq in range(1, 201):
            event_line = kit.lines[seq - 1]
            # Odd seqs get another event's genuine MAC, even seqs one flipped bit.
            new = kit.macs[seq % 200] if seq % 2 else bytes([kit.macs[seq - 1][0] ^ 1]) + kit.macs[seq - 1][1:]
            lines = list(kit.lines)
            lines[seq - 1] = event_line[:-67] + new.hex().encode() + b'"}\n'
            yield f"mac of seq {seq}", lines, seq, Kind.EDITED

    assert judge_all(kit, cases()) == 200


def test_every_single_deletion(kit):
    def cases() -> Iterator[Case]:
        for seq in range(1, 201):
            lines = kit.lines[: seq - 1] + kit.lines[seq:]
            yield f"delete seq {seq}", lines, seq, Kind.TRUNCATED if seq == 200 else Kind.DELETED

    assert judge_all(kit, cases()) == 200


def test_runs_of_deletions(kit):
    def cases() -> Iterator[Case]:
        for seq in (1, 48, 50, 100, 117, 190):
            for length in (2, 3, 7):
                lines = kit.lines[: seq - 1] + kit.lines[seq - 1 + length:]
                yield f"delete {length} from seq {seq}", lines, seq, Kind.DELETED

    assert judge_all(kit, cases()) == 18


def test_every_forged_insertion(kit, make_event):
    """A fresh event with a plausible seq and a MAC made with another key, at every position."""
    wrong_key = bytes(range(32))

    def cases() -> Iterator[Case]:
        for pos in range(201):  # before event pos + 1; pos 200 appends after the last event
            n = pos + 1
            prev = kit.macs[pos - 1] if pos else chain.GENESIS_MAC
            for claimed in (n, n + 1):
                forged = make_event(claimed, event_id=uuid.UUID(int=10**9 + pos), subject_ref="Y-FORGED")
                canonical, mac = chain.seal_event(wrong_key, prev, forged)
                lines = [*kit.lines[:pos], chain.event_line(canonical, mac), *kit.lines[pos:]]
                # Appended after the end nothing follows to tell inserted from edited: the finding
                # is "does not match its MAC (edited or forged)".
                kind = Kind.INSERTED
                if pos == 200:  # seq 202 where 201 was expected is a gap, as if 201 had been deleted
                    kind = Kind.EDITED if claimed == n else Kind.DELETED
                yield f"forged seq {claimed} at position {pos}", lines, n, kind

    assert judge_all(kit, cases()) == 402


def test_every_copied_insertion(kit):
    """A verbatim copy of another event (which carries a genuine MAC) at every position."""

    def cases() -> Iterator[Case]:
        for pos in range(201):
            for src in {pos, (pos + 37) % 200 + 1} - {0}:
                lines = [*kit.lines[:pos], kit.lines[src - 1], *kit.lines[pos:]]
                # A copy of the very next event passes as that event; its original is then the extra one.
                seq = pos + 2 if src == pos + 1 else pos + 1
                yield f"copy of seq {src} at position {pos}", lines, seq, Kind.DUPLICATED

    assert judge_all(kit, cases()) >= 400


def test_every_adjacent_swap(kit):
    def cases() -> Iterator[Case]:
        for seq in range(1, 200):
            lines = list(kit.lines)
            lines[seq - 1], lines[seq] = lines[seq], lines[seq - 1]
            yield f"swap seq {seq} and {seq + 1}", lines, seq, Kind.REORDERED

    assert judge_all(kit, cases()) == 199


def test_events_moved_far(kit):
    def cases() -> Iterator[Case]:
        for src, dst in ((10, 60), (60, 10), (1, 200), (150, 3)):
            lines = list(kit.lines)
            lines.insert(dst - 1, lines.pop(src - 1))
            yield f"move seq {src} to position {dst}", lines, min(src, dst), Kind.REORDERED

    assert judge_all(kit, cases()) == 4


def test_every_tail_truncation(kit):
    def cases() -> Iterator[Case]:
        for cut in range(1, 201):
            yield f"cut last {cut}", kit.lines[: 200 - cut], 201 - cut, Kind.TRUNCATED

    assert judge_all(kit, cases()) == 200


def test_reformatted_line_is_not_tampering(kit):
    """Whitespace or key order in a line does not change the event; the slow path accepts it."""
    lines = list(kit.lines)
    for seq in (1, 50, 77, 200):
        data = json.loads(lines[seq - 1])
        lines[seq - 1] = json.dumps({"mac": data["mac"], "event": data["event"]}, indent=None).encode() + b"\n"
    lines[-1] = lines[-1].rstrip(b"\n")  # and no newline at the end of the file
    report = kit.verify(lines)
    assert report.ok, report.findings


def test_byte_flip_inside_a_string_is_an_edit(kit):
    lines = list(kit.lines)
    lines[41] = lines[41].replace(b"handl\xc3\xa4ggare", b"handl\xc3\xa5ggare", 1)
    assert lines[41] != kit.lines[41]
    report = kit.verify(lines)
    assert (report.findings[0].seq, report.findings[0].kind) == (42, Kind.EDITED)
