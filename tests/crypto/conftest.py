"""Fixtures for the crypto tests: a keyring, test tables on their own declarative base, databases.

The test tables live on a separate ``DeclarativeBase`` so that they never reach the application's
metadata or migrations. ORM tests run on SQLite always and on PostgreSQL too when
``SSPF_TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import Engine, MetaData, Uuid, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry, sessionmaker

from sspf.crypto import BlindIndex, EncryptedBytes, EncryptedText, Keyring, digits_only, generate_keyring, install
from sspf.db import NAMING_CONVENTION, UTCDateTime, UuidPk


class CryptoTestBase(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime(), uuid.UUID: Uuid()},
    )


class Person(UuidPk, CryptoTestBase):
    __tablename__ = "crypto_test_people"

    name: Mapped[str] = mapped_column(EncryptedText())
    note: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    scan: Mapped[bytes | None] = mapped_column(EncryptedBytes(), nullable=True)
    personnummer: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    personnummer_bidx: Mapped[bytes | None] = mapped_column(
        BlindIndex(source="personnummer", normalizer=digits_only), nullable=True, index=True
    )
    city: Mapped[str | None] = mapped_column(nullable=True)  #: a plain column, for contrast


class Note(UuidPk, CryptoTestBase):
    __tablename__ = "crypto_test_notes"

    body: Mapped[str] = mapped_column(EncryptedText())


class Plain(CryptoTestBase):
    """A table without encrypted columns: the hooks must leave it alone."""

    __tablename__ = "crypto_test_plain"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str]


MODELS = [Person, Note, Plain]

_BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("SSPF_TEST_DATABASE_URL") else [])


@pytest.fixture
def m() -> SimpleNamespace:
    return SimpleNamespace(Base=CryptoTestBase, Person=Person, Note=Note, Plain=Plain, models=MODELS)


@pytest.fixture
def keyring() -> Keyring:
    return generate_keyring()


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "crypto.db"


@pytest.fixture(params=_BACKENDS)
def engine(request: pytest.FixtureRequest, sqlite_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        eng = create_engine(f"sqlite:///{sqlite_path}")
    else:
        eng = create_engine(os.environ["SSPF_TEST_DATABASE_URL"])
        CryptoTestBase.metadata.drop_all(eng)
    CryptoTestBase.metadata.create_all(eng)
    yield eng
    CryptoTestBase.metadata.drop_all(eng)
    eng.dispose()


@pytest.fixture
def session_factory(engine: Engine, keyring: Keyring) -> sessionmaker:
    factory = sessionmaker(engine)
    install(factory, keyring)
    return factory
