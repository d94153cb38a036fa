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


def test_0010_leaves_only_the_latest_consent_of_a_case_in_force_and_keeps_the_rest(backend, tmp_path):
    """Before 0010 every consent in force shared at once; the upgrade marks each earlier one replaced by the next
    one recorded after it, at that one's recording time, as ``record_consent`` now does. A withdrawn consent stays
    withdrawn, a lone consent untouched, and nothing else of the consents (their scopes) is lost on the way."""
    from datetime import timedelta

    from flask_migrate import downgrade, upgrade
    from sqlalchemy import func, select

    from sspf.consent.models import Consent, ConsentScope
    from tests import factories
    from tests.case_factories import Cases
    from tests.conftest import build_app, dedicated_database, migrate_fresh

    app = build_app(dedicated_database(backend, tmp_path, "backfill"), tmp_path)
    migrate_fresh(app)
    with app.app_context():
        world = Cases(factories.make_org())
        hour, today = timedelta(hours=1), world.today

        def legacy(case, hours_ago: int, *, withdrawn_hours_ago: int | None = None, days_left: int = 30) -> Consent:
            """A consent row as before 0010: recorded ``hours_ago``, never replaced."""
            consent = world.insert_consent(case, {"police": {"police"}, "soc": {"social_services"}},
                                           signed_on=today - timedelta(days=100),
                                           valid_until=today + timedelta(days=days_left),
                                           withdrawn_at=None if withdrawn_hours_ago is None
                                           else world.now - withdrawn_hours_ago * hour)
            consent.recorded_at = world.now - hours_ago * hour
            return consent

        renewed, after_withdrawal, single = world.open_case(), world.open_case(), world.open_case()
        a, b, c = legacy(renewed, 3), legacy(renewed, 2), legacy(renewed, 1, withdrawn_hours_ago=0)
        w, d = legacy(after_withdrawal, 2, withdrawn_hours_ago=1), legacy(after_withdrawal, 1)
        s = legacy(single, 5)
        late_paper = world.open_case()  # a paper consent registered after it ran out replaces nothing
        p, q = legacy(late_paper, 3), legacy(late_paper, 1, days_left=-5)
        db.session.commit()
        ids = {name: consent.id for name, consent in zip("abcwdspq", (a, b, c, w, d, s, p, q), strict=True)}
        recorded = {name: consent.recorded_at for name, consent in zip("abcwdspq", (a, b, c, w, d, s, p, q),
                                                                       strict=True)}
        scopes = db.session.scalar(select(func.count()).select_from(ConsentScope))
        db.session.remove()

        downgrade(revision="0009")
        upgrade()

        by_id = {consent.id: consent for consent in db.session.scalars(select(Consent))}
        got = {name: (by_id[cid].replaced_by_id, by_id[cid].replaced_at) for name, cid in ids.items()}
        assert got == {"a": (ids["b"], recorded["b"]), "b": (ids["c"], recorded["c"]), "c": (None, None),
                       "w": (None, None), "d": (None, None), "s": (None, None), "p": (None, None), "q": (None, None)}
        assert by_id[ids["c"]].withdrawn_at is not None
        assert db.session.scalar(select(func.count()).select_from(ConsentScope)) == scopes == 16
        db.session.remove()
        db.engine.dispose()
