"""Encrypted columns through a real session: SQLite always, PostgreSQL with SSPF_TEST_DATABASE_URL."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pytest
from sqlalchemy import exc, insert, select, text, update
from sqlalchemy.orm import sessionmaker

from sspf.crypto import (
    Ciphertext,
    KeySet,
    PlaintextWriteError,
    UnreadableValue,
    UnreadableWriteError,
    blind_index_match,
    decrypt,
    is_unreadable,
)
from sspf.crypto.aead import ciphertext_key_id

MARKER = "Unik-markör-7f3a9c"


def _raw(session, table: str, column: str, row_id: uuid.UUID):
    """The stored bytes, bypassing the column types (as an attacker with the database sees them)."""
    stmt = text(f"SELECT {column} FROM {table} WHERE id = :id")
    bind = row_id.hex if session.bind.dialect.name == "sqlite" else row_id
    value = session.execute(stmt, {"id": bind}).scalar_one()
    return None if value is None else bytes(value)


def _set_raw(session, table: str, column: str, row_id: uuid.UUID, value: bytes) -> None:
    bind = row_id.hex if session.bind.dialect.name == "sqlite" else row_id
    session.execute(text(f"UPDATE {table} SET {column} = :v WHERE id = :id"), {"v": value, "id": bind})
    session.commit()


def test_round_trip(session_factory: sessionmaker, m, keyring) -> None:
    with session_factory() as s:
        p = m.Person(name=f"Kim {MARKER}", note="Ärende om ö", scan=b"\x00\x01PDF", city="Malmö")
        s.add(p)
        s.flush()
        # after the flush the object holds plaintext again, and is clean
        assert p.name == f"Kim {MARKER}" and p.scan == b"\x00\x01PDF"
        assert not s.is_modified(p)
        s.commit()
        pid = p.id
    with session_factory() as s:
        p = s.get(m.Person, pid)
        assert (p.name, p.note, p.scan, p.city) == (f"Kim {MARKER}", "Ärende om ö", b"\x00\x01PDF", "Malmö")
        assert not s.dirty and not s.is_modified(p)  # loading does not make objects dirty
        raw = _raw(s, "crypto_test_people", "name", pid)
        assert MARKER.encode() not in raw and ciphertext_key_id(raw) == keyring.active_data_key
        assert decrypt(keyring, "crypto_test_people", "name", pid, raw).decode() == f"Kim {MARKER}"


def test_null_stays_null_and_unchanged_values_are_not_rewritten(session_factory, m) -> None:
    with session_factory() as s:
        p = m.Person(name="A", note=None)
        s.add(p)
        s.commit()
        pid = p.id
        before = _raw(s, "crypto_test_people", "name", pid)
        assert _raw(s, "crypto_test_people", "note", pid) is None
        p.note = "now set"
        p.name = "A"  # same value: no new ciphertext
        s.commit()
        assert _raw(s, "crypto_test_people", "name", pid) == before
        assert _raw(s, "crypto_test_people", "note", pid) is not None
        p.note = None
        s.commit()
        assert _raw(s, "crypto_test_people", "note", pid) is None
        s.expire_all()
        assert p.note is None and p.name == "A"


def test_update_and_refresh(session_factory, m) -> None:
    with session_factory() as s:
        p = m.Person(name="first")
        s.add(p)
        s.commit()  # expires: the next access goes through the refresh event
        assert p.name == "first"
        p.name = "second"
        s.commit()
        s.refresh(p)
        assert p.name == "second"
        rows = s.execute(select(m.Person).execution_options(populate_existing=True)).scalars().all()
        assert rows[0].name == "second" and not s.is_modified(rows[0])


def test_orm_update_of_a_loaded_row_keeps_its_encrypted_fields_readable(session_factory, m) -> None:
    """An ORM-enabled UPDATE synchronises the loaded object through the refresh event, whose context has no
    session: the hook must still find one (it used to fail with AttributeError)."""
    with session_factory() as s:
        p = m.Person(name="Kim", city="Nacka")
        s.add(p)
        s.commit()
        assert p.name == "Kim"
        s.execute(update(m.Person).where(m.Person.id == p.id).values(city="Malmö")
                  .execution_options(synchronize_session="fetch"))
        assert p.city == "Malmö" and p.name == "Kim"


def test_id_assigned_if_missing(session_factory, m) -> None:
    with session_factory() as s:
        p = m.Person(name="x")
        p.id = None
        s.add(p)
        s.commit()
        assert isinstance(p.id, uuid.UUID) and p.name == "x"


def test_raw_database_has_no_plaintext(session_factory, m, engine, sqlite_path: Path) -> None:
    with session_factory() as s:
        for i in range(20):
            s.add(m.Person(name=f"{MARKER}-{i}", note=MARKER * 3, scan=MARKER.encode(), personnummer="19900101-1234"))
            s.add(m.Note(body=MARKER))
        s.commit()
        for table in ("crypto_test_people", "crypto_test_notes"):
            for row in s.execute(text(f"SELECT * FROM {table}")):
                for value in row:
                    raw = value if isinstance(value, bytes | memoryview) else str(value).encode()
                    assert b"Unik-mark" not in bytes(raw) and b"19900101" not in bytes(raw)
    engine.dispose()
    if engine.dialect.name != "sqlite":
        return
    data = b"".join(p.read_bytes() for p in sqlite_path.parent.iterdir() if p.name.startswith(sqlite_path.name))
    for needle in (MARKER.encode(), MARKER.encode("utf-16-le"), b"19900101", b"Unik-mark"):
        assert data.count(needle) == 0


def test_tampered_value_loads_as_unreadable_and_is_logged(session_factory, m, caplog) -> None:
    with session_factory() as s:
        p = m.Person(name="Kim", note="secret note")
        s.add(p)
        s.commit()
        pid = p.id
        raw = bytearray(_raw(s, "crypto_test_people", "note", pid))
        raw[-5] ^= 0x40
        _set_raw(s, "crypto_test_people", "note", pid, bytes(raw))
    caplog.set_level(logging.ERROR, logger="sspf.crypto")
    with session_factory() as s:
        p = s.get(m.Person, pid)
        assert isinstance(p.note, UnreadableValue) and is_unreadable(p.note)
        assert p.note == "[värdet kunde inte läsas]" and p.note.unreadable is True
        assert p.name == "Kim"
        assert any(
            r.name == "sspf.crypto" and "crypto_test_people.note" in r.getMessage() and str(pid) in r.getMessage()
            for r in caplog.records
        )
        assert "secret" not in caplog.text
        # writing the marker back is refused; the damaged ciphertext stays as it was
        p.note = p.note
        p.city = "Lund"
        s.commit()  # unchanged marker (same value): nothing written for note
        p.note = UnreadableValue()
        with pytest.raises(UnreadableWriteError):
            s.flush()
        s.rollback()
        p.note = "[värdet kunde inte läsas]"  # the marker text echoed back by a form
        with pytest.raises(UnreadableWriteError):
            s.flush()
        s.rollback()
        assert _raw(s, "crypto_test_people", "note", pid) == bytes(raw)


def test_ciphertext_copied_to_another_row_or_column_is_unreadable(session_factory, m) -> None:
    with session_factory() as s:
        a, b = m.Person(name="Alice", note="a"), m.Person(name="Bob", note="b")
        s.add_all([a, b])
        s.commit()
        aid, bid = a.id, b.id
        _set_raw(s, "crypto_test_people", "name", bid, _raw(s, "crypto_test_people", "name", aid))
        _set_raw(s, "crypto_test_people", "note", aid, _raw(s, "crypto_test_people", "name", aid))
    with session_factory() as s:
        assert is_unreadable(s.get(m.Person, bid).name)
        a = s.get(m.Person, aid)
        assert a.name == "Alice" and is_unreadable(a.note)


def test_core_writes_of_plaintext_are_refused(session_factory, m) -> None:
    with session_factory() as s:
        with pytest.raises(exc.StatementError) as err:
            s.execute(insert(m.Person).values(id=uuid.uuid4(), name="plain text"))
        assert isinstance(err.value.orig, PlaintextWriteError)
        s.rollback()
        with pytest.raises(exc.StatementError):
            s.execute(insert(m.Person.__table__), [{"id": uuid.uuid4(), "name": b"bytes too"}])
        s.rollback()
        with pytest.raises(exc.StatementError):
            s.execute(update(m.Person.__table__).values(name="x"))
        s.rollback()
        with pytest.raises(exc.StatementError):  # comparing with plaintext would never match: refuse it
            s.execute(select(m.Person).where(m.Person.name == "Kim")).all()
        s.rollback()
        with pytest.raises(exc.StatementError):
            s.execute(select(m.Person).where(m.Person.personnummer_bidx == "19900101-1234")).all()


def test_wrong_types_and_ciphertext_assignment_are_refused(session_factory, m) -> None:
    with session_factory() as s:
        s.add(m.Person(name=42))
        with pytest.raises(TypeError, match="needs str"):
            s.flush()
        s.rollback()
        s.add(m.Person(name="ok", scan="not bytes"))
        with pytest.raises(TypeError, match="needs bytes"):
            s.flush()
        s.rollback()
        s.add(m.Person(name=Ciphertext(b"\x01\x01x" + bytes(40))))
        with pytest.raises(TypeError, match="plaintext"):
            s.flush()


def test_failed_flush_restores_plaintext(session_factory, m) -> None:
    with session_factory() as s:
        p = m.Person(name="kept", note="also kept")
        s.add(p)
        s.commit()
        bad = m.Person(name=None, note="bad note", scan=b"bad scan")  # NOT NULL violation
        s.add(bad)
        with pytest.raises(exc.IntegrityError):
            s.flush()
        assert bad.note == "bad note" and bad.scan == b"bad scan"
        s.rollback()
        assert p.name == "kept"


def test_changing_the_id_is_refused(session_factory, m) -> None:
    with session_factory() as s:
        p = m.Person(name="x")
        s.add(p)
        s.commit()
        p.id = uuid.uuid4()
        with pytest.raises(Exception, match="cannot change"):
            s.flush()


def test_blind_index_lookup_and_sync(session_factory, m, keyring) -> None:
    with session_factory() as s:
        p = m.Person(name="Kim", personnummer="19900101-1234")
        q = m.Person(name="Other", personnummer="200001019876")
        s.add_all([p, q, m.Person(name="No pnr")])
        s.commit()
        assert MARKER not in repr(p.personnummer_bidx)
        where = blind_index_match(m.Person.personnummer_bidx, "199001011234", session=s)
        found = s.execute(select(m.Person).where(where))
        assert [r.name for r in found.scalars()] == ["Kim"]
        p.personnummer = "19851231-0000"
        s.commit()
        where_old = blind_index_match(m.Person.personnummer_bidx, "19900101-1234", keyring=keyring)
        assert s.execute(select(m.Person).where(where_old)).first() is None
        where_new = blind_index_match(m.Person.personnummer_bidx, "198512310000", keyring=keyring)
        assert s.execute(select(m.Person).where(where_new)).scalar_one().name == "Kim"
        # selecting the bare column gives the opaque wrapper: there is no row to bind it to
        assert isinstance(s.execute(select(m.Person.name).where(where_new)).scalar_one(), Ciphertext)
        p.personnummer = None
        s.commit()
        assert p.personnummer_bidx is None
        assert s.execute(select(m.Person).where(blind_index_match(m.Person.personnummer_bidx, None))).first() is None


def test_equal_values_share_an_index_value_and_key_id_is_stored(session_factory, m, keyring) -> None:
    with session_factory() as s:
        a, b = m.Person(name="a", personnummer="19900101-1234"), m.Person(name="b", personnummer="199001011234")
        s.add_all([a, b])
        s.commit()
        assert a.personnummer_bidx == b.personnummer_bidx  # the documented leak
        assert ciphertext_key_id(a.personnummer_bidx) == keyring.active_blind_index_key


def test_plain_tables_are_untouched(session_factory, m) -> None:
    with session_factory() as s:
        s.add(m.Plain(id=1, text="plain"))
        s.commit()
        assert s.execute(text("SELECT text FROM crypto_test_plain")).scalar_one() == "plain"


def test_key_added_after_start_is_picked_up(session_factory, m, keyring, engine, tmp_path) -> None:
    """A value written by a process that already knows a newer key is readable after one reload."""
    from sspf.crypto import KeyringProvider, install
    from sspf.crypto.keyfile import update_keyring_file, write_keyring_file

    path = tmp_path / "k.json"
    write_keyring_file(path, keyring)
    provider = KeyringProvider.from_file(path, check_interval=3600)
    stale = sessionmaker(engine)
    install(stale, provider)
    newer, new_id = keyring.with_new_key(KeySet.DATA)
    newer = update_keyring_file(path, lambda k: newer.with_active(KeySet.DATA, new_id))
    writer = sessionmaker(engine)
    install(writer, newer)
    with writer() as s:
        p = m.Person(name="new key")
        s.add(p)
        s.commit()
        pid = p.id
    with stale() as s:
        assert s.get(m.Person, pid).name == "new key"


def test_installing_on_class_and_subclass_encrypts_once(engine, keyring, m) -> None:
    from sqlalchemy.orm import Session

    from sspf.crypto import install

    class MySession(Session):
        pass

    install(MySession, keyring)
    factory = sessionmaker(engine, class_=MySession)
    install(factory, keyring)
    install(factory, keyring)
    with factory() as s:
        p = m.Person(name="once")
        s.add(p)
        s.commit()
        s.expire_all()
        assert p.name == "once"


def test_a_new_sessionmaker_is_hooked_even_if_sqlalchemy_thinks_it_is(engine, keyring, m, monkeypatch) -> None:
    """SQLAlchemy keys class-level listeners by id(); a new sessionmaker class can reuse the id of a collected
    one, and event.contains() then answers True for a class that has no hooks. install() must not trust it."""
    from sqlalchemy import event as sa_event

    from sspf.crypto import install

    monkeypatch.setattr(sa_event, "contains", lambda *args, **kwargs: True)
    factory = sessionmaker(engine)
    install(factory, keyring)
    with factory() as s:
        s.add(m.Person(name=f"Kim {MARKER}"))
        s.commit()  # without the hooks this flush is refused (PlaintextWriteError)
        assert MARKER.encode() not in _raw(s, "crypto_test_people", "name", s.scalars(select(m.Person.id)).one())


def test_encrypt_value_writes_what_the_flush_would_for_a_core_insert(session_factory, m, keyring) -> None:
    from sspf.crypto import CryptoError, encrypt_value

    with session_factory() as s:
        pid = uuid.uuid4()
        s.execute(insert(m.Person.__table__), {
            "id": pid, "name": encrypt_value(s, m.Person.name, pid, f"Kim {MARKER}"),
            "scan": encrypt_value(s, m.Person.scan, pid, b"\x00PDF"),
            "note": encrypt_value(s, m.Person.note, pid, None),
        })
        s.commit()
        raw = _raw(s, "crypto_test_people", "name", pid)
        assert MARKER.encode() not in raw and ciphertext_key_id(raw) == keyring.active_data_key
    with session_factory() as s:
        p = s.get(m.Person, pid)
        assert (p.name, p.scan, p.note) == (f"Kim {MARKER}", b"\x00PDF", None)
        # Bound to its row like the flush's: the same ciphertext under another id does not decrypt.
        other = uuid.uuid4()
        s.execute(insert(m.Person.__table__), {"id": other, "name": Ciphertext(_raw(s, "crypto_test_people", "name",
                                                                                        pid))})
        s.commit()
    with session_factory() as s:
        assert is_unreadable(s.get(m.Person, other).name)
        with pytest.raises(CryptoError):
            encrypt_value(s, m.Person.city, pid, "Malmö")  # a plain column
        with pytest.raises(TypeError):
            encrypt_value(s, m.Person.name, pid, b"bytes for a text column")
        with pytest.raises(UnreadableWriteError):
            encrypt_value(s, m.Person.name, pid, UnreadableValue())
        with pytest.raises(ValueError):
            encrypt_value(s, m.Person.name, None, "no row id")
