"""Login, logout, throttling and lockout, tried as an attacker would."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from sspf.audit.models import AuditEvent
from sspf.auth.models import UserSession
from sspf.db import utcnow
from tests import factories


def _events(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_login_lands_on_start_page_and_logout_ends_session(client, org, session):
    user = org.users["field_worker"]
    response = factories.login(client, user.username, follow=True)
    assert "Välkommen, Skola.Orm" in response.get_data(as_text=True)
    assert len(_events(session, "auth.login.success")) == 1

    factories.post_form(client, "/", "/logout")
    assert client.get("/").status_code == 302
    row = session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert row.ended_reason == "logout"


def test_unknown_user_and_wrong_password_get_the_same_answer(client, org):
    unknown = factories.login(client, "finns.inte", "fel lösenord 123").get_data(as_text=True)
    wrong = factories.login(client, org.users["field_worker"].username, "fel lösenord 123").get_data(as_text=True)
    assert "Inloggningen misslyckades" in unknown
    assert _error_text(unknown) == _error_text(wrong)
    assert 'value="finns.inte"' in unknown  # what the user typed is kept


def _error_text(html: str) -> str:
    start = html.index('class="error"')
    return html[start:html.index("</p>", start)].split(">", 1)[1]


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, org, app, session):
    user = org.users["field_worker"]
    for _ in range(app.config["SSPF_LOCKOUT_THRESHOLD"]):
        factories.login(client, user.username, "fel lösenord 123")
    session.refresh(user)
    assert user.locked_until is not None and user.locked_until > utcnow()
    response = factories.login(client, user.username)
    assert response.status_code == 200 and "Inloggningen misslyckades" in response.get_data(as_text=True)
    locked = _events(session, "auth.login.locked")
    assert locked and any(e.flagged for e in locked)

    user.locked_until = utcnow() - timedelta(seconds=1)
    session.commit()
    assert factories.login(client, user.username).status_code == 302


def test_per_ip_throttle_answers_429(client, org, app):
    app.config["SSPF_LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        codes = [factories.login(client, "x" + str(i), "fel lösenord 123").status_code for i in range(5)]
    finally:
        app.config["SSPF_LOGIN_RATE_LIMIT"] = "30 per minute"
    assert codes[:3] == [200, 200, 200]
    assert codes[3:] == [429, 429]


def test_per_account_throttle_counts_across_addresses(client, org, app):
    app.config["SSPF_LOGIN_ACCOUNT_RATE_LIMIT"] = "2 per minute"
    try:
        codes = []
        for i in range(4):
            page = client.get("/login")
            token = factories.csrf_token(page.get_data(as_text=True))
            codes.append(client.post("/login", data={"username": "admin", "password": "nope nope nope",
                                                     "csrf_token": token},
                                     environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}).status_code)
    finally:
        app.config["SSPF_LOGIN_ACCOUNT_RATE_LIMIT"] = "10 per minute"
    assert codes == [200, 200, 429, 429]


def test_login_without_csrf_token_is_refused(client, org):
    response = client.post("/login", data={"username": "admin", "password": factories.PASSWORD})
    assert response.status_code == 400
    assert "säkerhetskod" in response.get_data(as_text=True)


def test_session_id_changes_at_login(client, org, session):
    client.get("/login")
    factories.login(client, "admin")
    first = session.scalars(select(UserSession.token_hash)).all()
    factories.post_form(client, "/", "/logout")
    factories.login(client, "admin")
    second = session.scalars(select(UserSession.token_hash)).all()
    assert len(set(second)) == 2 and set(first) < set(second)


def test_open_redirect_after_login_is_refused(client, org):
    page = client.get("/login?next=//evil.example/x")
    token = factories.csrf_token(page.get_data(as_text=True))
    response = client.post("/login?next=//evil.example/x",
                           data={"username": "admin", "password": factories.PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_deactivated_user_cannot_log_in(client, org, session):
    user = org.users["analyst"]
    user.active = False
    session.commit()
    response = factories.login(client, user.username)
    assert response.status_code == 200 and "Inloggningen misslyckades" in response.get_data(as_text=True)
