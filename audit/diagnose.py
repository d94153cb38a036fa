"""Naming what is wrong once the fast pass has stopped at a line.

Runs once per export, so it may read the whole file. Every conclusion rests on a MAC that
verifies, never on the claimed ``seq`` alone: "the next line chains from the previous MAC" is
proof that the failing line is extra; "the next line chains from this line's MAC" is proof that
this line is the original event with its content altered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from audit.findings import Finding, Kind
from audit.format import ChainMac, InputError
from audit.lines import EventLine, parse_event_line


class _Lines:
    """Event lines parsed on demand; a malformed neighbour is simply not evidence."""

    def __init__(self, raw: Sequence[bytes]) -> None:
        self.raw = raw
        self._cache: dict[int, EventLine | None] = {}

    def get(self, index: int) -> EventLine | None:
        if not 0 <= index < len(self.raw):
            return None
        if index not in self._cache:
            try:
                self._cache[index] = parse_event_line(self.raw[index], self.lineno(index))
            except InputError:
                self._cache[index] = None
        return self._cache[index]

    def lineno(self, index: int) -> int:
        return index + 2

    def find(self, needle: bytes, *, skip: int, start: int = 0) -> list[int]:
        """Indexes of lines at or after ``start`` (except ``skip``) containing ``needle``."""
        return [j for j in range(start, len(self.raw)) if j != skip and needle in self.raw[j]]


def diagnose(raw_lines: Sequence[bytes], index: int, n: int, prev: bytes, chain: ChainMac,
             checkpoint_macs: Mapping[int, bytes], header_prev: bytes) -> Finding:
    """Explain why the event line at ``index`` (where seq ``n`` was expected after ``prev``) fails.

    ``raw_lines`` are the export's event lines; ``header_prev`` is the header's prev_mac.
    """
    lines = _Lines(raw_lines)
    cur = lines.get(index)
    if cur is None:  # the scan parses the failing line first, so this is only a safety net
        raise InputError(f"line {lines.lineno(index)}: malformed export line")
    s = cur.seq
    claimed = f"seq {s}" if s is not None else f"a non-integer seq {cur.event.get('seq')!r}"

    def chains(line: EventLine | None, after: bytes) -> bool:
        return line is not None and chain.mac(after, line.canonical) == line.mac

    if chains(cur, prev):
        return Finding(n, Kind.SEQUENCE, f"the event verifies but carries {claimed}, expected {n}")
    if index == 0 and _no_link_verifies(lines, chain):
        raise InputError("no event in the export verifies with this key, not even against its predecessor's MAC: "
                         "the key file does not hold the key the export was sealed with (or every event was altered)")
    nxt = lines.get(index + 1)
    if nxt is not None and nxt.seq == n and chains(nxt, prev):
        # The next line is the real event n, so this line is extra.
        copy = _copy_of(lines, index, cur)
        if copy is not None:
            return Finding(n, Kind.DUPLICATED, f"a copy of event seq {copy} (line {lines.lineno(index)}) "
                                               f"appears before seq {n}")
        if s == n + 1 and chains(cur, nxt.mac):
            return Finding(n, Kind.REORDERED, f"events seq {n} and {n + 1} are swapped")
        if s is not None and chains(cur, _mac_before(lines, s, n - index, header_prev)):
            return Finding(n, Kind.REORDERED, f"event seq {s} is authentic but out of order: it appears before seq {n}")
        return Finding(n, Kind.INSERTED, f"line {lines.lineno(index)} ({claimed}) is not part of the chain; "
                                         f"the real event seq {n} follows it")
    if (nxt is not None and nxt.seq == n + 1 and chains(nxt, cur.mac)) or checkpoint_macs.get(n) == cur.mac:
        altered = "its seq was changed to " + claimed.removeprefix("seq ") if s != n else "its content was changed"
        return Finding(n, Kind.EDITED, f"event seq {n} does not match its MAC: {altered} after sealing")
    if s is not None and s > n:
        later = _later_event(lines, index, n, prev, chain)
        if later is not None:
            return Finding(n, Kind.REORDERED, f"event seq {n} appears later, at line {lines.lineno(later)}, "
                                              f"after seq {s}")
        missing = f"seq {n}" if s == n + 1 else f"seqs {n}..{s - 1}"
        return Finding(n, Kind.DELETED, f"event {missing} missing: seq {s} follows seq {n - 1}")
    if s is not None and s < n:
        copy = _copy_of(lines, index, cur)
        if copy is not None:
            return Finding(n, Kind.DUPLICATED, f"a copy of event seq {copy} appears where seq {n} was expected")
    return Finding(n, Kind.EDITED, f"the event at line {lines.lineno(index)} ({claimed}) does not match its MAC "
                                   f"(edited or forged)")


def _copy_of(lines: _Lines, index: int, cur: EventLine) -> int | None:
    """The seq of another line carrying the same MAC and event, if any."""
    for j in lines.find(cur.mac.hex().encode(), skip=index):
        other = lines.get(j)
        if other is not None and other.mac == cur.mac and other.canonical == cur.canonical:
            return other.seq
    return None


def _mac_before(lines: _Lines, s: int, first_seq: int, header_prev: bytes) -> bytes:
    """The MAC the file gives for seq ``s - 1`` (zeros if it has none, which verifies nothing)."""
    if s == first_seq:
        return header_prev
    for j in lines.find(b'"seq":%d,' % (s - 1), skip=-1):
        line = lines.get(j)
        if line is not None and line.seq == s - 1:
            return line.mac
    return bytes(32)


def _later_event(lines: _Lines, index: int, n: int, prev: bytes, chain: ChainMac) -> int | None:
    """Index of a later line that is the authentic event ``n`` (chains from ``prev``), if any."""
    for j in lines.find(b'"seq":%d,' % n, skip=index, start=index + 1):
        line = lines.get(j)
        if line is not None and line.seq == n and chain.mac(prev, line.canonical) == line.mac:
            return j
    return None


def _no_link_verifies(lines: _Lines, chain: ChainMac, sample: int = 8) -> bool:
    """True when none of the first lines chains from the MAC its predecessor line states.

    One edited, deleted, inserted or moved line breaks at most three such links; with the wrong
    key all of them fail. Needs four links to tell the cases apart.
    """
    links = 0
    for j in range(1, min(len(lines.raw), sample)):
        before, line = lines.get(j - 1), lines.get(j)
        if before is None or line is None:
            continue
        links += 1
        if chain.mac(before.mac, line.canonical) == line.mac:
            return False
    return links >= 4
