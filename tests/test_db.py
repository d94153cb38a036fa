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
