"""On PostgreSQL, the app role with the documented grants cannot UPDATE or DELETE audit rows."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from sspf.audit.grants import grant_statements
from tests import factories

ROLE = "sspf_app_grants_test"


def test_app_role_may_only_insert_and_select_audit_rows(backend, client, org, session):
    if backend != "postgresql":
        pytest.skip("database roles are a PostgreSQL feature")
    factories.login(client, "admin")  # leaves sealed audit rows behind
    conn = session.connection()
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": ROLE}).scalar()
    if not exists:
        conn.execute(text(f"CREATE ROLE {ROLE} NOLOGIN"))
    for statement in grant_statements(ROLE):
        conn.execute(text(statement))
    conn.execute(text(f"SET LOCAL ROLE {ROLE}"))

    assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar() > 0
    refused = []
    for statement in ("UPDATE audit_events SET outcome = 'denied'", "DELETE FROM audit_events",
                      "UPDATE audit_seals SET mac = repeat('0', 64)", "DELETE FROM audit_seals",
                      "TRUNCATE audit_events CASCADE"):
        nested = conn.begin_nested()
        try:
            conn.execute(text(statement))
        except ProgrammingError as exc:
            assert "permission denied" in str(exc.orig)
            refused.append(statement)
        finally:
            nested.rollback()
    assert len(refused) == 5
    nested = conn.begin_nested()
    conn.execute(text("UPDATE users SET display_name = display_name"))  # ordinary tables stay writable
    conn.execute(text("INSERT INTO audit_events (event_id, at, action, outcome, actor_districts, fields, flagged, "
                      "detail) VALUES (gen_random_uuid(), now(), 'auth.logout', 'allowed', '[]', '[]', false, '{}')"))
    nested.rollback()
    conn.execute(text("RESET ROLE"))


def test_grants_refuse_odd_role_names():
    with pytest.raises(ValueError):
        grant_statements("app; DROP TABLE users")
