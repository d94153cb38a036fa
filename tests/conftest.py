"""Test harness: one app per database backend, one transaction per test (rolled back).

Every database test runs on SQLite and, when SSPF_TEST_DATABASE_URL names a PostgreSQL database,
on PostgreSQL too: the ``app`` fixture is parametrised by backend, so the same tests run twice.
With SSPF_TEST_STRICT=1 (CI) a missing backend or browser fails instead of skipping.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import text

from config import TestConfig
from sspf import create_app
from sspf.calendar import use_local_calendar
from sspf.extensions import db, limiter
from tests import factories

# Before any test module computes "today": the app's dates are Swedish, and so are the tests'.
use_local_calendar()

STRICT = os.environ.get("SSPF_TEST_STRICT") == "1"
PG_URL = os.environ.get("SSPF_TEST_DATABASE_URL")


def missing(reason: str) -> None:
    """Skip, or fail under SSPF_TEST_STRICT: CI must not pass by skipping what it should test."""
    if STRICT:
        pytest.fail(f"required by SSPF_TEST_STRICT but unavailable: {reason}")
    pytest.skip(reason)


def build_app(url: str, instance: Path, **overrides) -> Flask:
    cfg = {"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_DIR": instance, "WTF_CSRF_ENABLED": True}
    cfg.update(overrides)
    return create_app(TestConfig, cfg)


def migrate_fresh(app: Flask) -> None:
    """Drop everything and build the schema the only way production does: with the migrations."""
    from flask_migrate import upgrade

    with app.app_context():
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()


def dedicated_database(backend: str, tmp_path: Path, name: str) -> str:
    """A fresh database of its own, for tests that must really commit (other processes, pg_dump)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / (name + '.db')}"
    if not PG_URL:
        missing("SSPF_TEST_DATABASE_URL is not set")
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    url = make_url(PG_URL)
    database = f"{url.database}_{name}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    admin.dispose()
    return url.set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request) -> str:
    if request.param == "postgresql" and not PG_URL:
        missing("SSPF_TEST_DATABASE_URL is not set")
    return request.param


@pytest.fixture(scope="session")
def app(backend: str, tmp_path_factory) -> Iterator[Flask]:
    instance = tmp_path_factory.mktemp(f"instance-{backend}")
    url = PG_URL if backend == "postgresql" else f"sqlite:///{instance / 'test.db'}"
    app = build_app(url, instance)
    migrate_fresh(app)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def session(app: Flask) -> Iterator:
    """An app context whose ``db.session`` runs inside one outer transaction, rolled back after the test.

    Commits in the code under test release savepoints, so they behave as in production without
    leaking rows into the next test.
    """
    with app.app_context():
        engines = db._app_engines[app]  # Flask-SQLAlchemy routes every session through this map
        engine = engines[None]
        connection = engine.connect()
        outer = connection.begin()
        factory = db.session.session_factory
        saved_kw = dict(factory.kw)
        db.session.remove()
        engines[None] = connection
        factory.configure(join_transaction_mode="create_savepoint")
        limiter.reset()
        try:
            yield db.session
        finally:
            db.session.remove()
            engines[None] = engine
            factory.kw.clear()
            factory.kw.update(saved_kw)
            outer.rollback()
            connection.close()


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in a fresh context, as it would in production.

    Flask reuses an already pushed app context for a request, so without this the test's own
    context (and its ``g`` and database session) would leak into every request it makes.
    After each request the test's session is expired, so it reads what the request committed.
    """

    def open(self, *args, **kwargs):
        if not has_app_context():  # a redirect being followed: already isolated
            return super().open(*args, **kwargs)
        response = contextvars.Context().run(super().open, *args, **kwargs)
        db.session.expire_all()
        return response


@pytest.fixture
def client(app: Flask, session) -> FlaskClient:
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def org(session) -> factories.Org:
    return factories.make_org()


@pytest.fixture
def login(client: FlaskClient):
    """``login(user)`` logs ``client`` in through the real form (CSRF token and all)."""

    def do_login(user, password: str = factories.PASSWORD, *, follow: bool = False):
        return factories.login(client, user.username, password, follow=follow)

    return do_login
