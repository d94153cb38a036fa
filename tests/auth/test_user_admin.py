"""User administration: bad input is refused with messages next to fields, every change audited."""

from __future__ import annotations

from sqlalchemy import select

from sspf.audit.models import AuditEvent
from sspf.auth.models import User
from tests import factories


def _new_user_data(org, **overrides) -> dict:
    data = {"username": "fritid.orm", "display_name": "Fritidsledare Orminge", "role": "field_worker",
            "agency_id": str(org.agencies["leisure"].id), "district_ids": [str(org.districts["ORM"].id)],
            "password": "ett tillfälligt långt lösenord"}
    data.update(overrides)
    return data


def test_admin_creates_a_user_who_must_change_password(client, org, session):
    factories.login(client, "admin")
    response = factories.post_form(client, "/admin/users/new", data=_new_user_data(org))
    assert response.status_code == 302
    user = session.scalar(select(User).where(User.username == "fritid.orm"))
    assert user.must_change_password and [d.code for d in user.districts] == ["ORM"]
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "admin.user.created",
                                                    AuditEvent.target_id == str(user.id)))
    assert event.actor_id == str(org.users["admin"].id) and event.target_id == str(user.id)
    assert "ett tillfälligt" not in str(event.detail)


def test_bad_input_keeps_what_was_typed_and_saves_nothing(client, org, session):
    factories.login(client, "admin")
    cases = [
        ({"username": "A B"}, "3–64 tecken"),
        ({"password": "kort"}, "minst 12 tecken"),
        ({"display_name": "x" * 121}, "får inte vara längre än 120 tecken"),
        ({"display_name": "Evil\x00Name"}, "otillåtna tecken"),
        ({"role": "superuser"}, "Okänd roll."),
        ({"agency_id": "abc"}, 'id="agency_id-err"'),
        ({"district_ids": ["999999"]}, 'id="district_ids-err"'),
    ]
    for override, message in cases:
        response = factories.post_form(client, "/admin/users/new", data=_new_user_data(org, **override))
        html = response.get_data(as_text=True)
        assert response.status_code == 200, override
        assert message.lower() in html.lower(), (override, message)
        assert 'value="Fritidsledare Orminge"' in html or "display_name" in override
    assert session.scalar(select(User).where(User.username == "fritid.orm")) is None


def test_duplicate_username_and_replayed_form(client, org, session):
    factories.login(client, "admin")
    assert factories.post_form(client, "/admin/users/new", data=_new_user_data(org)).status_code == 302
    again = factories.post_form(client, "/admin/users/new", data=_new_user_data(org))
    assert again.status_code == 200 and "upptaget" in again.get_data(as_text=True)
    assert len(session.scalars(select(User).where(User.username == "fritid.orm")).all()) == 1


def test_admin_cannot_change_own_role_or_deactivate_self(client, org, session):
    admin = org.users["admin"]
    factories.login(client, "admin")
    response = factories.post_form(client, f"/admin/users/{admin.id}", data={
        "display_name": "Admin", "role": "coordinator", "agency_id": str(admin.agency_id)})
    assert "egen roll" in response.get_data(as_text=True)
    factories.post_form(client, f"/admin/users/{admin.id}", f"/admin/users/{admin.id}/active", {"active": "0"})
    assert session.get(User, admin.id).active is True


def test_role_change_ends_the_users_sessions_and_is_audited(app, client, org, session):
    victim = app.test_client()
    factories.login(victim, "skola.orm")
    user = org.users["field_worker"]
    factories.login(client, "admin")
    factories.post_form(client, f"/admin/users/{user.id}", data={
        "display_name": user.display_name, "role": "analyst", "agency_id": str(user.agency_id),
        "district_ids": [str(org.districts["ORM"].id)]})
    assert victim.get("/").status_code == 302
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "admin.user.updated"))
    assert event.fields == ["role"]


def test_district_admin(client, org, session):
    factories.login(client, "admin")
    response = factories.post_form(client, "/admin/districts", data={"name": "Boo", "code": "boo"})
    assert response.status_code == 302
    duplicate = factories.post_form(client, "/admin/districts", data={"name": "Boo 2", "code": "BOO"})
    assert "används redan" in duplicate.get_data(as_text=True)
    bad = factories.post_form(client, "/admin/districts", data={"name": "X", "code": "B0O!"})
    assert "2–8 bokstäver" in bad.get_data(as_text=True)
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("admin.district.%"))).all()
    assert actions.count("admin.district.created") == 3  # two from the fixture, one here
