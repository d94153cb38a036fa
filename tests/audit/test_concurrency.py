"""Several app processes writing audit events at once still produce one valid, gap-free chain."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from audit.cli import main as verify_main
from tests.conftest import build_app, dedicated_database, migrate_fresh

WORKERS = 4
EVENTS_PER_WORKER = 40


def _worker(url: str, instance: str, worker: int) -> None:
    from sspf.audit import AuditAction, record
    from sspf.audit.sealing import seal_pending
    from sspf.extensions import db

    app = build_app(url, Path(instance))
    with app.app_context():
        for i in range(EVENTS_PER_WORKER):
            record(AuditAction.ACCESS_DENIED, target_type="test", target_id=f"{worker}-{i}")
            db.session.commit()
            seal_pending()
        db.engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_processes_build_one_gap_free_chain(backend, tmp_path):
    url = dedicated_database(backend, tmp_path, "concurrency")
    app = build_app(url, tmp_path)
    migrate_fresh(app)
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_worker, args=(url, str(tmp_path), n)) for n in range(WORKERS)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
    assert [p.exitcode for p in procs] == [0] * WORKERS

    out = tmp_path / "export.jsonl"
    result = app.test_cli_runner().invoke(args=["audit", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    events = WORKERS * EVENTS_PER_WORKER + 1  # + the export's own event
    assert len(lines) == events + 1
    assert [int(line.split('"seq":', 1)[1].split(",", 1)[0]) for line in lines[1:]] == list(range(1, events + 1))
    cfg = app.config
    assert verify_main(["verify", str(out), "--checkpoints", cfg["SSPF_CHECKPOINT_DIR"], "--key-file",
                        cfg["SSPF_AUDIT_KEY_FILE"], "--public-key",
                        str(cfg["SSPF_AUDIT_SIGNING_KEY_FILE"]).replace(".pem", ".pub.pem")]) == 0
    with app.app_context():
        from sspf.extensions import db

        db.engine.dispose()
    assert os.path.exists(out)
