"""Events recorded by requests are sealed into a gap-free chain that the outside verifier accepts."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from audit.cli import main as verify_main
from sspf.audit.models import AuditChainHead, AuditEvent, AuditSeal
from tests import factories


def test_requests_leave_sealed_gap_free_events(app, client, org, session):
    factories.login(client, "admin")
    factories.login(app.test_client(), "nobody", "fel lösenord 123")
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    seqs = session.scalars(select(AuditSeal.seq).order_by(AuditSeal.seq)).all()
    assert seqs == list(range(1, events + 1))
    head = session.get(AuditChainHead, 1)
    assert head.seq == events


def test_export_verifies_and_an_edit_is_caught(app, client, org, session, tmp_path):
    factories.login(client, "admin")
    out = tmp_path / "export.jsonl"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    cfg = app.config
    args = [str(out), "--checkpoints", cfg["SSPF_CHECKPOINT_DIR"], "--key-file", cfg["SSPF_AUDIT_KEY_FILE"],
            "--public-key", str(cfg["SSPF_AUDIT_SIGNING_KEY_FILE"]).replace(".pem", ".pub.pem")]
    assert verify_main(["verify", *args]) == 0

    lines = out.read_text(encoding="utf-8").splitlines()
    tampered = json.loads(lines[2])
    tampered["event"]["actor_role"] = "admin"
    tampered["event"]["outcome"] = "denied" if tampered["event"]["outcome"] == "allowed" else "allowed"
    lines[2] = json.dumps(tampered, separators=(",", ":"), ensure_ascii=False)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert verify_main(["verify", *args]) == 1


def test_no_name_or_password_in_audit_rows(client, org, session):
    factories.login(client, "admin", "mitt hemliga fel lösenord")
    rows = session.execute(select(AuditEvent)).scalars().all()
    dump = json.dumps([[r.detail, r.fields, r.purpose] for r in rows], ensure_ascii=False)
    assert "mitt hemliga" not in dump


def test_background_sealer_seals_without_the_request_waiting(tmp_path):
    """Production's path: the request only wakes the sealer thread, which seals shortly after."""
    import time

    from tests.conftest import build_app, migrate_fresh

    app = build_app(f"sqlite:///{tmp_path / 'bg.db'}", tmp_path, SSPF_AUDIT_SEAL_SYNC=False)
    migrate_fresh(app)
    with app.app_context():
        from sspf.extensions import db

        factories.make_org()
        db.session.commit()  # the org's events wait in the queue: no request has run yet
        assert db.session.scalar(select(func.count()).select_from(AuditSeal)) == 0
        factories.login(app.test_client(), "admin")
        total = db.session.scalar(select(func.count()).select_from(AuditEvent))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            sealed = db.session.scalar(select(func.count()).select_from(AuditSeal))
            db.session.rollback()  # SQLite: never sleep holding the write lock the sealer needs
            if sealed == total:
                break
            time.sleep(0.05)
        assert db.session.scalars(select(AuditSeal.seq).order_by(AuditSeal.seq)).all() == list(range(1, total + 1))
        assert app.extensions["sspf_audit"].sealer.thread.is_alive()
