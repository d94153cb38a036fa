"""The migrations are the only way the schema changes: they must build exactly what the models say."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from sspf.extensions import db


def test_models_and_migrations_agree(app, session):
    context = MigrationContext.configure(session.connection(), opts={"compare_type": True})
    diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models differ from migrations; run `sspf db migrate`: {diff}"


def test_downgrade_and_upgrade_round_trip(tmp_path):
    """On SQLite only: the DDL is generic, and the PostgreSQL schema is in use by the other tests."""
    from flask_migrate import downgrade, upgrade

    from tests.conftest import build_app

    app = build_app(f"sqlite:///{tmp_path / 'round.db'}", tmp_path)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert db.inspect(db.engine).get_table_names() == ["alembic_version"]
        upgrade()
        assert "users" in db.inspect(db.engine).get_table_names()
