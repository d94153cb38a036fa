"""record(): in the same transaction as the action; no event, no action."""

from __future__ import annotations

from sqlalchemy import select

from sspf.audit.models import AuditEvent
from sspf.auth.models import User
from tests import factories


def test_a_failing_audit_write_fails_the_action(client, org, session, monkeypatch):
    factories.login(client, "admin")

    def broken(detail):
        raise RuntimeError("audit storage unavailable")

    monkeypatch.setattr("sspf.audit.service._clean_detail", broken)
    page = client.get("/admin/users/new")
    response = client.post("/admin/users/new", data={
        "csrf_token": factories.csrf_token(page.get_data(as_text=True)), "username": "ny.anvandare",
        "display_name": "Ny", "role": "analyst", "agency_id": str(org.agencies["coord"].id),
        "password": "ett tillfälligt långt lösenord"})
    assert response.status_code == 500
    assert session.scalar(select(User).where(User.username == "ny.anvandare")) is None


def test_denied_pages_are_audited(client, org, session):
    factories.login(client, "skola.orm")
    assert client.get("/admin/users/").status_code == 403
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "access.denied"))
    assert event.outcome == "denied" and event.target_id == "users.list_users"
    assert event.actor_id == str(org.users["field_worker"].id) and event.actor_districts == ["ORM"]
    assert event.seal is not None


def test_event_carries_request_context(client, org, session):
    factories.login(client, "admin")
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.login.success"))
    assert event.request_id and len(event.request_id) == 16
    assert event.client_addr == "127.0.0.1"
    assert event.actor_role == "admin" and event.actor_agency == "Samordning"
