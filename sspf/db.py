"""Declarative base, naming convention and column mixins shared by every domain package.

Constraint names are fixed by a naming convention so that Alembic migrations are reproducible
on SQLite and PostgreSQL alike (unnamed constraints cannot be dropped portably).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData, TypeDecorator, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Timezone-aware current time in UTC; the only clock models use."""
    return datetime.now(UTC)


def parse_uuid(value: object) -> uuid.UUID | None:
    """An id from a URL or a form, or None if it is not one: callers answer 404, as for a missing row."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always returned timezone-aware.

    SQLite has no time zones and returns naive values; without this type a naive datetime from
    SQLite and an aware one from PostgreSQL would compare differently in the same code.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime(), uuid.UUID: Uuid()},
    )


class UuidPk:
    """A client-generated UUID primary key.

    Tables that hold encrypted values need this: the ciphertext is bound to its row id, so the
    id must exist before the INSERT (an autoincrement integer does not).
    """

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("id", uuid.uuid4())
        super().__init__(**kwargs)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def _sqlite_on_connect(dbapi_connection, connection_record) -> None:
    """Make SQLite behave like a real transactional database.

    pysqlite opens transactions on its own schedule, which breaks SAVEPOINT and hides when the
    write lock is taken; SQLAlchemy's documented fix is to turn that off and emit BEGIN itself.
    SQLite is the embedded default for one machine; PostgreSQL is the database for real load.
    Foreign keys are off by default in SQLite; WAL lets readers run beside one writer.
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    if cursor.execute("PRAGMA database_list").fetchone()[2]:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_on_begin(conn) -> None:
    # IMMEDIATE takes the write lock at the start: a deferred transaction that read first and then
    # writes after another process committed fails at once (SQLITE_BUSY_SNAPSHOT) instead of waiting.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


#: A pooled connection that sat idle longer than this is pinged before use (a restarted database, a
#: firewall or ``idle_session_timeout`` may have closed it). A busy pool hands out connections that
#: were in use a moment ago and skips that round trip, which ``pool_pre_ping`` makes on every checkout.
PING_AFTER_IDLE_SECONDS = 10.0
_IDLE_SINCE = "sspf_idle_since"


def _mark_idle(dbapi_connection, connection_record) -> None:
    connection_record.info[_IDLE_SINCE] = time.monotonic()


def _idle_ping(dialect):
    def ping_if_idle(dbapi_connection, connection_record, connection_proxy) -> None:
        """Pessimistic disconnect handling for idle connections only (SQLAlchemy's checkout-event recipe).

        Raising ``DisconnectionError`` makes the pool discard this connection and check out another
        (a fresh one if need be), so a dead connection never reaches a request.
        """
        from sqlalchemy import exc

        idle_since = connection_record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as err:
            raise exc.DisconnectionError(f"idle connection failed its ping: {type(err).__name__}") from err

    return ping_if_idle


def configure_engine(engine) -> None:
    """Install the SQLite fixes, and the idle-connection ping elsewhere, on ``engine``; idempotent."""
    from sqlalchemy import event

    if engine.dialect.name != "sqlite":
        if not event.contains(engine.pool, "checkin", _mark_idle):
            event.listen(engine.pool, "checkin", _mark_idle)
            event.listen(engine.pool, "checkout", _idle_ping(engine.dialect))
        return
    if event.contains(engine, "connect", _sqlite_on_connect):
        return
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)


@contextmanager
def outside_transaction(session) -> Iterator[None]:
    """Run the enclosed reads on ``session``'s connection without opening a database transaction.

    Every request first reads its login session. Inside a transaction that read costs a BEGIN, and
    at the end of the request a COMMIT: two more round trips to PostgreSQL, which a page that reads
    nothing else (the start page) pays for nothing. A lone SELECT needs no transaction (under READ
    COMMITTED each statement takes its own snapshot anyway), so on psycopg the connection is put in
    autocommit for the enclosed reads, as SQLAlchemy's own ping does, and taken out again before
    anything else runs: the request's next statement opens its transaction as usual, and writes stay
    atomic. Enclose reads only. Where the connection is already in a transaction (a test's outer
    transaction, an earlier statement) or is not psycopg's (SQLite), this changes nothing.
    """
    with _autocommit(session):
        yield


@contextmanager
def single_statement(session) -> Iterator[None]:
    """Run one statement that is the request's whole write as a transaction of its own.

    A single statement is atomic in PostgreSQL, so in autocommit it commits (or fails) by itself,
    without the BEGIN and COMMIT round trips, and durably before the response is sent (the request's
    COMMIT then finds nothing to do). For the most frequent small writes only, where everything that
    must stand or fall together is in that one statement (e.g. a row and its audit event:
    :class:`sspf.audit.service.RowWithEvent`) and nothing else in the request writes. Where a
    transaction is already open (an earlier write, a test's outer transaction) or on SQLite, the
    statement simply joins the request's transaction, committed at the boundary as usual.
    """
    with _autocommit(session):
        yield


@contextmanager
def _autocommit(session) -> Iterator[None]:
    if session.new or session.dirty or session.deleted:
        # The statement's autoflush would write these in autocommit, apart from the rest of the request.
        yield
        return
    connection = session.connection()
    if connection.dialect.driver != "psycopg":
        yield
        return
    from psycopg.pq import TransactionStatus

    driver = connection.connection.driver_connection
    if driver.autocommit or driver.info.transaction_status != TransactionStatus.IDLE:
        yield
        return
    driver.autocommit = True
    try:
        yield
    finally:
        try:
            driver.autocommit = False
        except Exception:  # noqa: BLE001 (a broken connection): it must not go back to the pool in autocommit
            connection.invalidate()
