"""Benchmark of the independent audit verifier (``python -m audit verify``).

Generates an export of ``--events`` events (default 500,000) with checkpoints every 10,000
events in a temporary directory, then times the verifier three times in-process and three times
as the command an auditor runs, and prints the medians in events per second. The target is
200,000 events/s on one core. It also prints the cost of the HMAC alone, the floor that bounds
any verifier of this format in CPython.

    .venv/bin/python bench/bench_audit_verifier.py [--events N]
"""

from __future__ import annotations

import argparse
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from audit.format import ChainMac, load_audit_key
from audit.verify import verify_export
from sspf.audit import chain

ACTIONS = ("case.read", "case.update", "contact.create", "auth.login.success", "plan.read", "meeting.read")
CHECKPOINT_EVERY = 10_000
RUNS = 3


def generate(directory: Path, count: int) -> Path:
    """Write keys, checkpoints and an export of ``count`` realistic events; return the export."""
    chain.generate_audit_keys(directory)
    key = chain.load_audit_key(directory / chain.HMAC_KEY_FILE)
    signing = chain.load_signing_key(directory / chain.SIGNING_KEY_FILE)
    checkpoints = directory / "checkpoints"
    checkpoints.mkdir()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    export = directory / "export.jsonl"
    prev = chain.GENESIS_MAC
    with export.open("wb") as out:
        out.write(chain.header_line(chain.export_header(first_seq=1, prev_mac=prev, exported_at=start,
                                                        key_id=key.key_id)))
        for seq in range(1, count + 1):
            event = chain.build_event(
                seq=seq, event_id=uuid.uuid4(), at=start + timedelta(milliseconds=37 * seq),
                action=ACTIONS[seq % len(ACTIONS)], outcome="denied" if seq % 97 == 0 else "allowed",
                actor_id=str(uuid.UUID(int=seq % 400 + 1)), actor_agency="Socialtjänsten", actor_role="handläggare",
                actor_districts=["centrum", "norr"], target_type="case", target_id=str(uuid.UUID(int=seq % 9000 + 1)),
                subject_ref=f"Y-{seq % 9000:06d}", purpose="SoL 5 kap. 1 c §", fields=["notes", "status"],
                flagged=seq % 503 == 0, request_id=uuid.uuid4().hex, client_addr="10.20.30.40",
                detail={"page": seq % 7} if seq % 3 == 0 else {},
            )
            canonical, prev = chain.seal_event(key.hmac_key, prev, event)
            out.write(chain.event_line(canonical, prev))
            if seq % CHECKPOINT_EVERY == 0 or seq == count:
                chain.write_checkpoint(checkpoints, chain.make_checkpoint(seq, prev, start, key.key_id, signing))
    return export


def hmac_floor(export: Path, key_file: Path) -> float:
    """Events/s of the HMAC chain alone (precomputed pads) over the same lines, no other checks."""
    mac = ChainMac(load_audit_key(key_file).hmac_key)
    with export.open("rb") as fh:
        fh.readline()
        bodies = [line[9:-75] for line in fh]
    prev = bytes(32)
    started = time.perf_counter()
    for body in bodies:
        prev = mac.mac(prev, body)
    return len(bodies) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500_000)
    count = parser.parse_args().events
    with tempfile.TemporaryDirectory(prefix="sspf-audit-bench-") as tmp:
        directory = Path(tmp)
        started = time.perf_counter()
        export = generate(directory, count)
        size_mb = export.stat().st_size / 1e6
        print(f"generated {count:,} events ({size_mb:.0f} MB, {count // CHECKPOINT_EVERY} checkpoints) "
              f"in {time.perf_counter() - started:.1f} s")
        args = (export, directory / "checkpoints", directory / chain.HMAC_KEY_FILE,
                directory / chain.PUBLIC_KEY_FILE)

        in_process = []
        for _ in range(RUNS):
            started = time.perf_counter()
            report = verify_export(*args)
            in_process.append(time.perf_counter() - started)
            assert report.ok and report.events == count, report.summary()
        command = [sys.executable, "-m", "audit", "verify", str(export), "--checkpoints", str(args[1]),
                   "--key-file", str(args[2]), "--public-key", str(args[3])]
        cli = []
        for _ in range(RUNS):
            started = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            cli.append(time.perf_counter() - started)
            assert done.returncode == 0, done.stdout + done.stderr
        floor = hmac_floor(export, args[2])

    for label, times in (("verify_export (in-process)", in_process), ("python -m audit verify", cli)):
        median = statistics.median(times)
        print(f"{label:28} median of {RUNS}: {median:6.2f} s  {count / median:10,.0f} events/s  "
              f"{size_mb / median:6.0f} MB/s")
    print(f"{'HMAC chain alone':28}              {floor:10,.0f} events/s  (floor for this format in CPython)")
    print(f"target 200,000 events/s: {'met' if count / statistics.median(cli) >= 200_000 else 'NOT met'}; "
          f"Python {sys.version.split()[0]}, {ssl.OPENSSL_VERSION}")
    print(f"verifier output: {done.stdout.strip()}")


if __name__ == "__main__":
    main()
