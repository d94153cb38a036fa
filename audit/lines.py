"""Reading one event line fully: the slow path, taken only when the fast slice does not verify."""

from __future__ import annotations

import json
from dataclasses import dataclass

from audit.format import HEX_MAC_RE, InputError, canonical_bytes


@dataclass(frozen=True)
class EventLine:
    event: dict
    #: The event re-encoded canonically: what its MAC must cover.
    canonical: bytes
    mac: bytes
    #: ``event["seq"]`` when it is an integer, else None (a tampered type is still a finding).
    seq: int | None


def parse_event_line(line: bytes, lineno: int) -> EventLine:
    """Parse ``{"event": {...}, "mac": "<64 hex>"}``.

    Only the outer shape is checked: a line that is JSON of the right shape but carries a wrong
    value is a finding about the chain (exit 1), not bad input (exit 2).

    :raises InputError: the line is not JSON or not of that shape.
    """
    try:
        data = json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"line {lineno}: malformed export line: not JSON ({exc})") from exc
    if not isinstance(data, dict) or set(data) != {"event", "mac"}:
        raise InputError(f'line {lineno}: malformed export line: expected {{"event": {{...}}, "mac": "..."}}')
    event, mac = data["event"], data["mac"]
    if not isinstance(event, dict):
        raise InputError(f"line {lineno}: malformed export line: event is not a JSON object")
    if not isinstance(mac, str) or not HEX_MAC_RE.fullmatch(mac):
        raise InputError(f"line {lineno}: malformed export line: mac is not 64 lower-case hex digits")
    try:
        canonical = canonical_bytes(event)
    except ValueError as exc:  # NaN or Infinity: JSON extensions Python reads but the format excludes
        raise InputError(f"line {lineno}: malformed export line: {exc}") from exc
    seq = event.get("seq")
    return EventLine(event, canonical, bytes.fromhex(mac), seq if type(seq) is int else None)
