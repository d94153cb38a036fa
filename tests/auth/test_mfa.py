"""TOTP second factor: enrolment, login, replay refused, recovery codes single-use, forced enrolment."""

from __future__ import annotations

from sqlalchemy import select

from sspf.auth.models import MfaCredential
from tests import factories


def test_enrol_then_login_needs_the_code_and_refuses_a_replay(app, client, org, session):
    factories.login(client, "admin")
    secret, _codes = factories.enrol_mfa(client)
    cred = session.scalar(select(MfaCredential))
    assert cred.confirmed_at is not None and cred.secret == secret

    browser = app.test_client()
    response = factories.login(browser, "admin")
    assert response.headers["Location"].endswith("/login/mfa")
    assert browser.get("/").status_code == 302  # password alone is not a login
    code = factories.next_totp(secret)
    assert factories.post_form(browser, "/login/mfa", data={"code": code}).status_code == 302
    assert browser.get("/").status_code == 200

    replay = app.test_client()
    factories.login(replay, "admin")
    response = factories.post_form(replay, "/login/mfa", data={"code": code})
    assert response.status_code == 200 and "redan använts" in response.get_data(as_text=True)
    assert replay.get("/").status_code == 302


def test_recovery_code_works_once(app, client, org):
    factories.login(client, "admin")
    _secret, codes = factories.enrol_mfa(client)
    first = app.test_client()
    factories.login(first, "admin")
    assert factories.post_form(first, "/login/mfa", data={"code": codes[0].upper()}).status_code == 302
    second = app.test_client()
    factories.login(second, "admin")
    assert factories.post_form(second, "/login/mfa", data={"code": codes[0]}).status_code == 200


def test_secret_is_stored_encrypted(client, org, session):
    factories.login(client, "admin")
    secret, _ = factories.enrol_mfa(client)
    raw = session.connection().exec_driver_sql("SELECT secret FROM mfa_credentials").scalar_one()
    assert secret.encode() not in bytes(raw)


def test_required_mfa_holds_case_roles_at_enrolment(app, client, org):
    app.config["SSPF_REQUIRE_MFA"] = True
    try:
        factories.login(client, "skola.orm")
        response = client.get("/")
        assert response.status_code == 302 and response.headers["Location"].endswith("/account/mfa")
        other = app.test_client()
        factories.login(other, "forening.orm")  # a working-group member reads no case data
        assert other.get("/").status_code == 200
    finally:
        app.config["SSPF_REQUIRE_MFA"] = False


def test_admin_reset_removes_the_factor(app, client, org, session):
    browser = app.test_client()
    factories.login(browser, "analytiker")
    factories.enrol_mfa(browser)
    factories.login(client, "admin")
    user = org.users["analyst"]
    factories.post_form(client, f"/admin/users/{user.id}", f"/admin/users/{user.id}/mfa-reset")
    assert session.scalar(select(MfaCredential).where(MfaCredential.user_id == user.id)) is None
    assert browser.get("/").status_code == 302
