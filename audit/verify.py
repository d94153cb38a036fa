"""Verify an export against the HMAC key and the signed checkpoints.

Order of work: keys and header first (anything wrong there is bad input, exit 2), then the
checkpoints (each forged one is a finding), then one fast pass over the events, and only if it
stops, a diagnosis that names the first bad seq. The export is opened read-only and nothing is
ever written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import BinaryIO

from audit.checkpoints import Checkpoints, load_checkpoints
from audit.diagnose import diagnose
from audit.findings import Finding, Kind
from audit.format import ChainMac, Header, InputError, load_audit_key, load_public_key, parse_header
from audit.scan import ScanResult, scan

#: Read buffer for the export; large reads matter at hundreds of MB.
_BUFFER = 1 << 20


@dataclass
class Report:
    first_seq: int
    #: Events verified; all of them when there are no findings.
    events: int
    checkpoints_checked: int = 0
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def last_seq(self) -> int:
        return self.first_seq + self.events - 1

    def summary(self) -> str:
        if self.findings:
            return f"FAIL: {self.findings[0]}"
        span = f"seq {self.first_seq}..{self.last_seq}" if self.events else f"no events after seq {self.first_seq - 1}"
        # Fixed wording (no singular forms), so that scripts can match the line.
        return f"OK: {self.events} events verified ({span}), {self.checkpoints_checked} checkpoints checked"


def verify_export(export: str | os.PathLike[str], checkpoint_dir: str | os.PathLike[str],
                  key_file: str | os.PathLike[str], public_key_file: str | os.PathLike[str]) -> Report:
    """Verify ``export``; findings are returned, bad input raises.

    :raises InputError: a key, the checkpoint directory or the export cannot be read or is malformed.
    """
    key = load_audit_key(key_file)
    public_key = load_public_key(public_key_file)
    try:
        fh = open(export, "rb", buffering=_BUFFER)  # noqa: SIM115 - the with below closes it
    except OSError as exc:
        raise InputError(f"cannot read the export {os.fspath(export)!r}: {exc.strerror or exc}") from exc
    with fh:
        header = parse_header(fh.readline())
        if header.key_id != key.key_id:
            raise InputError(f"the export was sealed with audit key {header.key_id!r} but the key file holds "
                             f"{key.key_id!r}: wrong key file")
        checkpoints = load_checkpoints(checkpoint_dir, public_key, key.key_id)
        chain = ChainMac(key.hmac_key)
        macs = {seq: cp.mac for seq, cp in checkpoints.valid.items()}
        try:
            result = scan(fh, chain, header.first_seq, header.prev_mac, macs)
        except OSError as exc:
            raise InputError(f"cannot read the export {os.fspath(export)!r}: {exc.strerror or exc}") from exc
        report = Report(header.first_seq, result.verified)
        report.findings.extend(checkpoints.findings)
        if result.stopped_at is not None:
            report.findings.append(_stop_finding(fh, header, result, chain, macs))
    _compare_edges(report, header, checkpoints, result)
    report.findings.sort(key=lambda f: f.seq)
    return report


def _stop_finding(fh: BinaryIO, header: Header, result: ScanResult, chain: ChainMac, macs: dict[int, bytes]) -> Finding:
    n = result.stopped_at
    assert n is not None
    if result.checkpoint_mismatch:
        since = max((seq for seq in macs if header.first_seq <= seq < n), default=header.first_seq - 1)
        return Finding(n, Kind.CHECKPOINT_MISMATCH,
                       f"the events chain correctly, but the MAC at seq {n} differs from the signed checkpoint: "
                       f"the chain was re-sealed with the HMAC key after an event in seqs {since + 1}..{n} was "
                       "altered, inserted or removed")
    fh.seek(0)
    raw = fh.read().split(b"\n")[1:]
    raw = [line + b"\n" for line in raw[:-1]] + ([raw[-1]] if raw[-1] else [])
    return diagnose(raw, result.verified, n, result.last_mac, chain, macs, header.prev_mac)


def _compare_edges(report: Report, header: Header, checkpoints: Checkpoints, result: ScanResult) -> None:
    """Checkpoints outside the scanned range: the header's prev_mac below, truncation above."""
    first, last = header.first_seq, report.last_seq
    before = checkpoints.valid.get(first - 1)
    if before is not None:
        if before.mac != header.prev_mac:
            report.findings.append(Finding(first - 1, Kind.CHECKPOINT_MISMATCH,
                                           f"the header's prev_mac differs from the signed checkpoint {before.name}"))
        else:
            report.checkpoints_checked += 1
    if result.stopped_at is not None:
        return
    report.checkpoints_checked += sum(1 for seq in checkpoints.valid if first <= seq <= last)
    beyond = [seq for seq in checkpoints.valid if seq > last]
    if beyond:
        top = max(beyond)
        report.findings.append(Finding(last + 1, Kind.TRUNCATED,
                                       f"the export ends at seq {last} but a signed checkpoint exists for seq {top}: "
                                       f"events {last + 1}..{top} are missing"))
    earlier = sum(1 for seq in checkpoints.valid if seq < first - 1)
    if earlier:
        report.notes.append(f"{earlier} earlier checkpoint(s) precede the export; their signatures are valid")
    covered = max((seq for seq in checkpoints.valid if seq <= last), default=None)
    if not beyond and (covered is None or covered < last):
        since = f"after seq {covered}" if covered is not None else "in this export"
        report.notes.append(f"no signed checkpoint covers the events {since}: their truncation would go unnoticed")
    if checkpoints.ignored:
        report.notes.append(f"ignored {len(checkpoints.ignored)} file(s) in the checkpoint directory not named "
                            f"checkpoint-<12 digits>.json: {', '.join(checkpoints.ignored[:5])}")
