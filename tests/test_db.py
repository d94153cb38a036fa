"""The pool's ping of idle connections (``sspf.db``), which replaces ``pool_pre_ping`` on every checkout."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, exc, text

from sspf import db as sspf_db


class _Record:
    def __init__(self, idle_for: float | None) -> None:
        self.info = {} if idle_for is None else {sspf_db._IDLE_SINCE: time.monotonic() - idle_for}


class _Dialect:
    def __init__(self, fail: bool = False) -> None:
        self.pings, self.fail = 0, fail

    def do_ping(self, dbapi_connection) -> bool:
        self.pings += 1
        if self.fail:
            raise OSError("server closed the connection unexpectedly")
        return True


@pytest.mark.parametrize("idle_for", [None, 0.0, sspf_db.PING_AFTER_IDLE_SECONDS - 1])
def test_a_connection_fresh_or_just_returned_is_not_pinged(idle_for):
    dialect = _Dialect(fail=True)
    sspf_db._idle_ping(dialect)(object(), _Record(idle_for), None)
    assert dialect.pings == 0


def test_an_idle_connection_is_pinged_and_a_dead_one_is_replaced_by_the_pool():
    alive = _Dialect()
    sspf_db._idle_ping(alive)(object(), _Record(sspf_db.PING_AFTER_IDLE_SECONDS + 1), None)
    assert alive.pings == 1
    dead = _Dialect(fail=True)
    with pytest.raises(exc.DisconnectionError):  # the pool's signal to discard it and check out another
        sspf_db._idle_ping(dead)(object(), _Record(sspf_db.PING_AFTER_IDLE_SECONDS + 1), None)


def test_no_pre_ping_on_every_checkout():
    from config import Config

    assert not Config.SQLALCHEMY_ENGINE_OPTIONS.get("pool_pre_ping")


def test_a_postgresql_connection_killed_while_idle_is_replaced_before_use(backend, monkeypatch):
    """End to end: the server ends an idle pooled connection; the next checkout still works."""
    if backend != "postgresql":
        pytest.skip("the idle ping is installed for client-server databases only")
    from tests.conftest import PG_URL

    engine = create_engine(PG_URL, pool_size=1, max_overflow=0)
    sspf_db.configure_engine(engine)
    sspf_db.configure_engine(engine)  # idempotent
    try:
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        killer = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with killer.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        killer.dispose()
        monkeypatch.setattr(sspf_db, "PING_AFTER_IDLE_SECONDS", 0.0)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    finally:
        engine.dispose()


def _pg_session():
    from sqlalchemy.orm import Session

    from tests.conftest import PG_URL

    engine = create_engine(PG_URL, pool_size=1, max_overflow=0)
    return engine, Session(engine)


def _in_transaction(session) -> bool:
    from psycopg.pq import TransactionStatus

    return session.connection().connection.driver_connection.info.transaction_status != TransactionStatus.IDLE


def test_reads_outside_the_transaction_open_none_and_the_next_statement_opens_one(backend):
    if backend != "postgresql":
        pytest.skip("the round trips saved are PostgreSQL's")
    engine, session = _pg_session()
    try:
        with sspf_db.outside_transaction(session):
            assert session.execute(text("SELECT 1")).scalar() == 1
        assert not _in_transaction(session)  # no BEGIN was sent for the read
        driver = session.connection().connection.driver_connection
        assert driver.autocommit is False  # the connection is back to normal before anything else runs
        session.execute(text("SELECT 1"))
        assert _in_transaction(session)  # the next statement opens the transaction as usual
        with sspf_db.outside_transaction(session):  # inside a transaction: nothing changes
            assert driver.autocommit is False
            session.execute(text("SELECT 1"))
        assert _in_transaction(session)
        session.rollback()
    finally:
        session.close()
        engine.dispose()


def test_a_failed_read_outside_the_transaction_leaves_no_autocommit_behind(backend):
    if backend != "postgresql":
        pytest.skip("the round trips saved are PostgreSQL's")
    engine, session = _pg_session()
    try:
        driver = session.connection().connection.driver_connection
        with pytest.raises(exc.ProgrammingError), sspf_db.outside_transaction(session):
            session.execute(text("SELECT * FROM no_such_table"))
        assert driver.autocommit is False
        session.rollback()
        session.execute(text("CREATE TEMP TABLE t (x int)"))
        session.rollback()  # a write after it is still rolled back: the connection is transactional again
        with pytest.raises(exc.ProgrammingError):
            session.execute(text("SELECT * FROM t"))
    finally:
        session.close()
        engine.dispose()


def test_a_single_statement_commits_by_itself_unless_something_else_is_pending(backend):
    if backend != "postgresql":
        pytest.skip("the round trips saved are PostgreSQL's")
    from sspf.org.models import District

    engine, session = _pg_session()
    try:
        driver = session.connection().connection.driver_connection
        session.execute(text("CREATE TABLE IF NOT EXISTS single_statement_probe (x int)"))
        session.commit()
        with sspf_db.single_statement(session):
            assert driver.autocommit is True
            session.execute(text("INSERT INTO single_statement_probe VALUES (1)"))
        assert driver.autocommit is False and not _in_transaction(session)
        session.rollback()  # too late: the statement committed itself
        assert session.execute(text("SELECT count(*) FROM single_statement_probe")).scalar() == 1
        session.rollback()
        # A pending object would be flushed by the statement's autoflush, apart from the rest of the request:
        # the statement then joins the request's transaction instead, and a rollback undoes both.
        session.add(District(code="ZZZ", name="Provdistrikt"))
        with session.no_autoflush, sspf_db.single_statement(session):
            assert driver.autocommit is False
            session.execute(text("INSERT INTO single_statement_probe VALUES (2)"))
        session.rollback()
        assert session.execute(text("SELECT count(*) FROM single_statement_probe")).scalar() == 1
    finally:
        session.rollback()
        session.execute(text("DROP TABLE IF EXISTS single_statement_probe"))
        session.commit()
        session.close()
        engine.dispose()
