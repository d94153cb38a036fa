"""Key changes are admin changes: each is in the audit trail, flagged for the log reviewer."""

from __future__ import annotations

from sqlalchemy import select

from sspf.audit.models import AuditEvent


def test_key_add_and_activate_are_audited(tmp_path):
    from tests.conftest import build_app, migrate_fresh

    isolated = build_app(f"sqlite:///{tmp_path / 'keys.db'}", tmp_path)  # its own keyring file, not the suite's
    migrate_fresh(isolated)
    runner = isolated.test_cli_runner()
    added = runner.invoke(args=["keys", "add"])
    assert added.exit_code == 0, added.output
    key_id = added.output.split(" key ", 1)[1].split()[0]
    assert runner.invoke(args=["keys", "activate", key_id]).exit_code == 0
    with isolated.app_context():
        from sspf.extensions import db

        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "crypto.keys.changed")).all()
        assert [e.detail["operation"] for e in events] == ["add", "activate"]
        assert all(e.flagged and e.detail["key_id"] == key_id for e in events)
        assert all(e.seal is not None for e in events)
