"""Canary: unique marker names and personnummer must appear nowhere readable.

People are written through the application's own session (encryption hooks and all), read back,
searched by blind index and touched by audited requests; then the raw SQLite file and its WAL, a
PostgreSQL ``pg_dump``, the application log and an audit export are searched for the markers.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from sspf.audit import AuditAction, record
from sspf.audit.sealing import commit_and_seal
from sspf.crypto import blind_index_match
from sspf.extensions import db
from tests import factories
from tests.conftest import build_app, dedicated_database, migrate_fresh, missing
from tests.crypto.conftest import CryptoTestBase, Person


def _dump(backend: str, url: str, tmp_path: Path) -> bytes:
    if backend == "sqlite":
        files = [tmp_path / "canary.db", tmp_path / "canary.db-wal"]
        return b"".join(f.read_bytes() for f in files if f.exists())
    if shutil.which("pg_dump") is None:
        missing("pg_dump is not installed")
    u = make_url(url)
    return subprocess.run(["pg_dump", "-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username,
                           "--data-only", u.database], check=True, capture_output=True).stdout


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_markers_appear_nowhere_readable(backend, tmp_path, caplog):
    url = dedicated_database(backend, tmp_path, "canary")
    app = build_app(url, tmp_path)
    migrate_fresh(app)
    marker_name = f"Kanarie{secrets.token_hex(6)}"
    marker_pnr = f"20{secrets.randbelow(10**10):010d}"
    with app.app_context():
        CryptoTestBase.metadata.create_all(db.engine)
        factories.make_org()
        people = [Person(name=f"{marker_name} {i}", personnummer=f"{marker_pnr[:-1]}{i}", note=f"{marker_name} note")
                  for i in range(3)]
        db.session.add_all(people)
        for person in people:
            record(AuditAction.ACCESS_DENIED, target_type="person", target_id=person.id,
                   subject_ref=f"p-{uuid.uuid5(uuid.NAMESPACE_OID, str(person.id)).hex[:12]}", fields=["name"])
        commit_and_seal()
        db.session.expunge_all()
        found = db.session.scalar(select(Person).where(
            blind_index_match(Person.personnummer_bidx, f"{marker_pnr[:-1]}1")))
        assert found is not None and found.name == f"{marker_name} 1"  # readable through the app only

    client = app.test_client()
    with caplog.at_level(logging.DEBUG):
        factories.login(client, marker_pnr)  # a personnummer typed into the username field
        factories.login(client, "admin")
        client.get("/")
    export = tmp_path / "export.jsonl"
    assert app.test_cli_runner().invoke(args=["audit", "export", "--out", str(export)]).exit_code == 0

    haystacks = {
        "database": _dump(backend, url, tmp_path),
        "log": "\n".join(r.getMessage() + str(r.args) for r in caplog.records).encode(),
        "audit export": export.read_bytes(),
    }
    for where, data in haystacks.items():
        assert len(data) > 0, where
        for marker in (marker_name, marker_pnr, marker_pnr[:-1]):
            assert marker.encode() not in data, f"{marker} found in {where}"
    with app.app_context():
        CryptoTestBase.metadata.drop_all(db.engine)
        db.engine.dispose()
