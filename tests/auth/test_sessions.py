"""Server-side sessions: every way a session must end, ending it at once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from sspf.auth.models import UserSession
from sspf.db import utcnow
from sspf.extensions import db
from tests import factories


def _age_session(session, **delta) -> None:
    for row in session.scalars(select(UserSession)):
        row.created_at -= timedelta(**delta.get("created", {}))
        row.last_seen_at -= timedelta(**delta.get("seen", {}))
    session.commit()


def test_idle_timeout_ends_the_session(client, org, session):
    factories.login(client, "admin")
    assert client.get("/").status_code == 200
    _age_session(session, seen={"minutes": 31})
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    row = session.scalar(select(UserSession))
    assert row.ended_reason == "idle_timeout"


def test_absolute_timeout_ends_an_active_session(client, org, session):
    factories.login(client, "admin")
    _age_session(session, created={"hours": 12, "minutes": 1})
    assert client.get("/").status_code == 302
    assert session.scalar(select(UserSession)).ended_reason == "absolute_timeout"


def test_deactivation_ends_every_session_of_the_user_at_once(app, client, org, session):
    victim = app.test_client()
    factories.login(victim, "analytiker")
    assert victim.get("/").status_code == 200
    factories.login(client, "admin")
    user = org.users["analyst"]
    response = factories.post_form(client, f"/admin/users/{user.id}", f"/admin/users/{user.id}/active",
                                   {"active": "0"})
    assert response.status_code == 302
    assert victim.get("/").status_code == 302  # the open session is gone on its very next request
    assert session.get(type(user), user.id).active is False


def test_password_change_ends_other_sessions_but_keeps_this_one(app, client, org, session):
    other = app.test_client()
    factories.login(other, "analytiker")
    factories.login(client, "analytiker")
    new = "ett helt nytt långt lösenord"
    response = factories.post_form(client, "/account/password", data={
        "current_password": factories.PASSWORD, "new_password": new, "confirm": new})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302
    fresh = app.test_client()
    assert factories.login(fresh, "analytiker", new).status_code == 302


def test_password_policy_messages_and_input_kept(client, org):
    factories.login(client, "analytiker")
    response = factories.post_form(client, "/account/password", data={
        "current_password": factories.PASSWORD, "new_password": "kort", "confirm": "kort"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "minst 12 tecken" in html
    response = factories.post_form(client, "/account/password", data={
        "current_password": factories.PASSWORD, "new_password": "password1234", "confirm": "password1234"})
    assert "för vanligt" in response.get_data(as_text=True)
    response = factories.post_form(client, "/account/password", data={
        "current_password": "fel lösenord 123", "new_password": "ett helt nytt långt lösenord",
        "confirm": "ett helt nytt långt lösenord"})
    assert "Nuvarande lösenord stämmer inte" in response.get_data(as_text=True)


def test_the_new_password_must_differ_from_the_current_one(app, client, org, session):
    """After a reset the administrator knows the temporary password: keeping it must not count as a change."""
    factories.login(client, "analytiker")
    before = session.get(type(org.users["analyst"]), org.users["analyst"].id).password_hash
    response = factories.post_form(client, "/account/password", data={
        "current_password": factories.PASSWORD, "new_password": factories.PASSWORD, "confirm": factories.PASSWORD})
    assert response.status_code == 200
    assert "Välj ett annat lösenord än det nuvarande." in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(type(org.users["analyst"]), org.users["analyst"].id).password_hash == before


def test_temporary_password_forces_a_change_before_anything_else(client, org, session):
    user = org.users["analyst"]
    user.must_change_password = True
    session.commit()
    factories.login(client, "analytiker")
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/password")


def test_stolen_cookie_is_useless_after_logout(app, client, org):
    factories.login(client, "admin")
    stolen = client.get_cookie("sspf").value
    factories.post_form(client, "/", "/logout")
    thief = app.test_client()
    thief.set_cookie("sspf", stolen)
    assert thief.get("/").status_code == 302


def test_end_other_sessions_button(app, client, org, session):
    other = app.test_client()
    factories.login(other, "admin")
    factories.login(client, "admin")
    factories.post_form(client, "/account", "/account/sessions/end-others")
    assert other.get("/").status_code == 302
    assert client.get("/").status_code == 200
    live = session.scalars(select(UserSession).where(UserSession.ended_at.is_(None))).all()
    assert len(live) == 1 and live[0].last_seen_at <= utcnow()


def test_a_request_writes_last_seen_at_only_once_a_touch_interval_has_passed(client, org, session):
    """Idle timeout without a write on every page view: last_seen_at moves at most once per TOUCH_INTERVAL."""
    from sspf.auth.sessions import TOUCH_INTERVAL

    factories.login(client, "admin")
    assert client.get("/").status_code == 200
    _age_session(session, seen={"seconds": 5})
    seen = session.scalar(select(UserSession.last_seen_at))
    assert client.get("/").status_code == 200
    session.expire_all()
    assert session.scalar(select(UserSession.last_seen_at)) == seen  # within the interval: no write
    _age_session(session, seen={"seconds": TOUCH_INTERVAL.total_seconds()})
    assert client.get("/").status_code == 200
    session.expire_all()
    assert session.scalar(select(UserSession.last_seen_at)) > utcnow() - timedelta(seconds=5)  # touched


def test_idle_timeout_counts_from_the_last_touch_not_the_last_request(client, org, session):
    """The throttle never ends a session early: a session seen 29 minutes ago is live and gets touched."""
    factories.login(client, "admin")
    _age_session(session, seen={"minutes": 29})
    assert client.get("/").status_code == 200
    session.expire_all()
    assert session.scalar(select(UserSession.last_seen_at)) > utcnow() - timedelta(minutes=1)
    assert client.get("/").status_code == 200


def _previous_login(page: str) -> str | None:
    found = re.search(r'data-testid="previous-login">([^<]*)<', page)
    return found.group(1) if found else None


def test_start_page_shows_the_login_before_this_one(app, client, org):
    client.environ_base["REMOTE_ADDR"] = "10.0.0.1"
    factories.login(client, "skola.orm")
    first = client.get("/").get_data(as_text=True)
    assert "Välkommen" in first and _previous_login(first) is None  # the first login has none

    later = app.test_client()
    later.environ_base["REMOTE_ADDR"] = "10.0.0.2"
    factories.login(later, "skola.orm")
    shown = _previous_login(later.get("/").get_data(as_text=True))
    assert shown is not None and "(10.0.0.1)" in shown
    # The first browser still sees what was before it, not the login that came after it.
    assert _previous_login(client.get("/").get_data(as_text=True)) is None


def test_a_login_waiting_for_its_second_factor_is_not_a_previous_login(app, client, org):
    factories.login(client, "admin")
    secret, _codes = factories.enrol_mfa(client)
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = "10.0.0.3"
    factories.login(browser, "admin")
    factories.post_form(browser, "/login/mfa", data={"code": factories.next_totp(secret)})
    shown = _previous_login(browser.get("/").get_data(as_text=True))
    # The previous login is the enrolling browser's, not this login's own half-done first step.
    assert shown is not None and "10.0.0.3" not in shown and "(127.0.0.1)" in shown


def test_a_page_that_reads_only_the_login_sends_no_begin_or_commit(tmp_path, monkeypatch):
    """On PostgreSQL the login lookup runs outside a transaction; a later write still gets one."""
    import psycopg

    from tests.conftest import build_app, dedicated_database, migrate_fresh

    url = dedicated_database("postgresql", tmp_path, "roundtrips")
    app = build_app(url, tmp_path)
    migrate_fresh(app)
    with app.app_context():
        factories.make_org()
        db.session.commit()
    client = app.test_client()
    assert factories.login(client, "skola.orm").status_code == 302
    client.get("/")

    commands: list[bytes] = []
    exec_command = psycopg.Connection._exec_command  # where psycopg sends BEGIN and COMMIT

    def counted(self, command, *args, **kwargs):
        commands.append(bytes(command))
        return exec_command(self, command, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "_exec_command", counted)
    page = client.get("/")
    assert "Välkommen" in page.get_data(as_text=True)
    assert commands == []

    with app.app_context():  # a minute later the same page writes last_seen_at: in a transaction of its own
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=2)))
        db.session.commit()
        before = db.session.scalar(select(UserSession.last_seen_at))
        db.session.rollback()
    commands.clear()
    client.get("/")
    assert commands == [b"BEGIN", b"COMMIT"]
    with app.app_context():
        assert db.session.scalar(select(UserSession.last_seen_at)) > before
        db.engine.dispose()


def test_the_signed_in_user_is_read_only_and_changes_go_through_its_row(app, client, org, session):
    from flask_login import current_user

    factories.login(client, "skola.orm")
    page = client.get("/")
    assert "Välkommen" in page.get_data(as_text=True)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    with app.test_request_context("/", headers={"Cookie": f"{cookie.key}={cookie.value}"}):
        user = current_user._get_current_object()
        assert user.is_authenticated and user.username == "skola.orm"
        with pytest.raises(AttributeError):
            user.language = "en"  # would be lost: the snapshot is not the row
        assert user.password_changed_at is not None  # not in the snapshot: read from the row
        user.record.language = "en"
        db.session.commit()
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


def test_a_change_to_the_user_shows_on_the_very_next_request(app, client, org, session):
    factories.login(client, "skola.orm")
    assert "Orminge" in client.get("/").get_data(as_text=True)
    user = org.users["field_worker"]
    user.districts = [org.districts["FIS"]]
    user.display_name = "Ny Namnsson"
    session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Ny Namnsson" in page and "Fisksätra" in page and "Orminge" not in page
