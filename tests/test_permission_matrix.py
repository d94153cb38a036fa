"""Every URL rule × every role → the expected outcome.

A route missing from MATRIX fails ``test_every_route_is_classified``: no page can appear
without an explicit access decision.
"""

from __future__ import annotations

import pytest

from tests import factories

ROLES = ("anonymous", "field_worker", "coordinator", "working_group", "analyst", "log_reviewer", "admin")
LOGIN = "login"  # 302 to the login page
ALL = {role: 200 for role in ROLES[1:]}
ADMIN_ONLY_GET = {**{role: 403 for role in ROLES[1:]}, "admin": 200}
ADMIN_ONLY_POST = {**{role: 403 for role in ROLES[1:]}, "admin": 302}
CASE_ROLES_GET = {**{role: 403 for role in ROLES[1:]}, "anonymous": LOGIN, "field_worker": 200, "coordinator": 200}
COORDINATOR_GET = {**{role: 403 for role in ROLES[1:]}, "anonymous": LOGIN, "coordinator": 200}

#: endpoint -> (method, url template, {role: expected status or LOGIN})
MATRIX: dict[str, tuple[str, str, dict[str, int | str]]] = {
    "static": ("GET", "/static/sspf.css", {role: 200 for role in ROLES}),
    "web.healthz": ("GET", "/healthz", {role: 200 for role in ROLES}),
    "web.index": ("GET", "/", {"anonymous": LOGIN, **ALL}),
    "auth.login": ("GET", "/login", {"anonymous": 200, **{role: 302 for role in ROLES[1:]}}),
    "auth.login_mfa": ("GET", "/login/mfa", {"anonymous": LOGIN, **{role: 302 for role in ROLES[1:]}}),
    "auth.logout": ("POST", "/logout", {role: 302 for role in ROLES}),
    "auth.set_language": ("POST", "/language", {role: 302 for role in ROLES}),
    "auth.account": ("GET", "/account", {"anonymous": LOGIN, **ALL}),
    "auth.change_password": ("GET", "/account/password", {"anonymous": LOGIN, **ALL}),
    "auth.enrol_mfa": ("GET", "/account/mfa", {"anonymous": LOGIN, **ALL}),
    "auth.end_other_sessions": ("POST", "/account/sessions/end-others",
                                {"anonymous": LOGIN, **{role: 302 for role in ROLES[1:]}}),
    "users.list_users": ("GET", "/admin/users/", {"anonymous": LOGIN, **ADMIN_ONLY_GET}),
    "users.create_user": ("GET", "/admin/users/new", {"anonymous": LOGIN, **ADMIN_ONLY_GET}),
    "users.edit_user": ("GET", "/admin/users/{user_id}", {"anonymous": LOGIN, **ADMIN_ONLY_GET}),
    "users.set_active": ("POST", "/admin/users/{user_id}/active", {"anonymous": LOGIN, **ADMIN_ONLY_POST}),
    "users.reset_password": ("POST", "/admin/users/{user_id}/password",
                             {"anonymous": LOGIN, **{role: 403 for role in ROLES[1:]}, "admin": 400}),
    "users.reset_mfa": ("POST", "/admin/users/{user_id}/mfa-reset", {"anonymous": LOGIN, **ADMIN_ONLY_POST}),
    "org.districts": ("GET", "/admin/districts", {"anonymous": LOGIN, **ADMIN_ONLY_GET}),
    "org.edit_district": ("GET", "/admin/districts/{district_id}", {"anonymous": LOGIN, **ADMIN_ONLY_GET}),
    "cases.list_cases": ("GET", "/cases/", CASE_ROLES_GET),
    "cases.search": ("POST", "/cases/search", CASE_ROLES_GET),
    "cases.new_case": ("GET", "/cases/new", CASE_ROLES_GET),
    "cases.show": ("GET", "/cases/{case_id}", CASE_ROLES_GET),
    "cases.edit_youth": ("GET", "/cases/{case_id}/youth", CASE_ROLES_GET),
    # The case is already triaged (active): the coordinator is sent back to the case page, told so.
    "cases.triage": ("GET", "/cases/{case_id}/triage", {**COORDINATOR_GET, "coordinator": 302}),
    "cases.close": ("GET", "/cases/{case_id}/close", COORDINATOR_GET),
    "cases.protection": ("GET", "/cases/{case_id}/protection", COORDINATOR_GET),
    "cases.emergency": ("GET", "/cases/emergency", COORDINATOR_GET),
    "consent.new_consent": ("GET", "/cases/{case_id}/consent", COORDINATOR_GET),
    "consent.withdraw": ("GET", "/cases/{case_id}/consent/{consent_id}/withdraw", COORDINATOR_GET),
    "consent.scanned_form": ("GET", "/cases/{case_id}/consent/{consent_id}/form", {**COORDINATOR_GET,
                                                                                    "coordinator": 404}),
    "consent.new_disclosure": ("GET", "/cases/{case_id}/disclosures/new", CASE_ROLES_GET),
    "contacts.new_contact": ("GET", "/cases/{case_id}/contacts/new", CASE_ROLES_GET),
    "plans.show": ("GET", "/cases/{case_id}/plan", CASE_ROLES_GET),
    "plans.tasks": ("GET", "/tasks", CASE_ROLES_GET),
    "plans.update": ("POST", "/cases/{case_id}/plan", {**COORDINATOR_GET, "coordinator": 302}),
    "plans.add_goal": ("POST", "/cases/{case_id}/plan/goals", {**COORDINATOR_GET, "coordinator": 400}),
    "plans.goal_status": ("POST", "/cases/{case_id}/plan/goals/{goal_id}", {**COORDINATOR_GET, "coordinator": 400}),
    "plans.add_action": ("POST", "/cases/{case_id}/plan/actions", {**COORDINATOR_GET, "coordinator": 400}),
    "plans.action_status": ("POST", "/cases/{case_id}/plan/actions/{action_id}",
                            {**COORDINATOR_GET, "coordinator": 400}),  # school registered it; the action is police's
    "meetings.index": ("GET", "/meetings", CASE_ROLES_GET),
    "meetings.create_series": ("POST", "/meetings/series", {**COORDINATOR_GET, "coordinator": 400}),
    "meetings.create_extra": ("POST", "/meetings/extra", {**COORDINATOR_GET, "coordinator": 400}),
    "meetings.show": ("GET", "/meetings/{meeting_id}", CASE_ROLES_GET),
    "meetings.refresh": ("POST", "/meetings/{meeting_id}/agenda/refresh", {**COORDINATOR_GET, "coordinator": 400}),
    "meetings.add_case": ("POST", "/meetings/{meeting_id}/agenda/add", {**COORDINATOR_GET, "coordinator": 400}),
    "meetings.move": ("POST", "/meetings/{meeting_id}/agenda/{item_id}/move", {**COORDINATOR_GET, "coordinator": 400}),
    "meetings.remove": ("POST", "/meetings/{meeting_id}/agenda/{item_id}/remove",
                        {**COORDINATOR_GET, "coordinator": 400}),
    "meetings.attendance": ("POST", "/meetings/{meeting_id}/attendance", {**COORDINATOR_GET, "coordinator": 302}),
    "meetings.network": ("POST", "/meetings/{meeting_id}/items/{item_id}/network",
                         {**COORDINATOR_GET, "coordinator": 302}),
    "meetings.decide": ("POST", "/meetings/{meeting_id}/items/{item_id}/decisions",
                        {**COORDINATOR_GET, "coordinator": 400}),
    "meetings.add_action": ("POST", "/meetings/{meeting_id}/items/{item_id}/actions",
                            {**COORDINATOR_GET, "coordinator": 400}),
    "meetings.minutes_page": ("GET", "/meetings/{meeting_id}/minutes", CASE_ROLES_GET),
    "meetings.minutes_pdf": ("GET", "/meetings/{meeting_id}/minutes.pdf", CASE_ROLES_GET),
    # Last: closing locks the meeting.
    "meetings.close": ("POST", "/meetings/{meeting_id}/close", {**COORDINATOR_GET, "coordinator": 302}),
}


def _school_case(org) -> dict:
    """A case registered by the school in ORM, triaged, with a consent (no scanned form)."""
    from datetime import date, timedelta

    from sspf.cases.personnummer import parse
    from sspf.cases.services import SignalInput, register_signal, triage_case
    from sspf.consent.services import record_consent
    from sspf.extensions import db
    from tests.cases.test_case_flow import luhn_pnr

    today = date.today()
    pnr = parse(luhn_pnr(today.replace(year=today.year - 15) - timedelta(days=1)), today=today)
    case, _ = register_signal(actor=org.users["field_worker"], personnummer=pnr, name="Matris Testsson",
                              district=org.districts["ORM"],
                              signal=SignalInput(today, ("truancy",), None, False, None, None))
    triage_case(actor=org.users["coordinator"], case=case, eligible=True, risk_factors=(), protective_factors=(),
                note=None, today=today)
    consent = record_consent(actor=org.users["coordinator"], case=case, signed_on=today,
                             valid_until=today + timedelta(days=30), guardian1=True, guardian2=False, youth=True,
                             method="in_person", scope={org.agencies["police"].id: {"police"}}, today=today)
    from sspf.plans.services import action_add, goal_add

    goal = goal_add(actor=org.users["coordinator"], case=case, text="Mål")
    action = action_add(actor=org.users["coordinator"], case=case, text="Åtgärd", owner_agency=org.agencies["police"],
                        owner_user=None, deadline=today, today=today, allowed_agency_ids={org.agencies["police"].id})
    from datetime import time

    from sspf.meetings.models import AgendaItem, Meeting

    meeting = Meeting(district_id=org.districts["ORM"].id, held_on=today, starts_at=time(9), place="Rum 1")
    db.session.add(meeting)
    db.session.flush()
    item = AgendaItem(meeting_id=meeting.id, case_id=case.id, position=1, reasons=["added"])
    db.session.add(item)
    db.session.commit()
    return {"case_id": case.id, "consent_id": consent.id, "goal_id": goal.id, "action_id": action.id,
            "meeting_id": meeting.id, "item_id": item.id}


def test_every_route_is_classified(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(MATRIX), f"unclassified: {endpoints - set(MATRIX)}; stale: {set(MATRIX) - endpoints}"


@pytest.mark.parametrize("role", ROLES)
def test_matrix(app, client, org, role):
    case_params = _school_case(org)
    if role != "anonymous":
        factories.login(client, org.users[role].username)
    token = factories.csrf_token(client.get("/login" if role == "anonymous" else "/account").get_data(as_text=True))
    params = {"user_id": org.users["analyst"].id, "district_id": org.districts["FIS"].id, **case_params}
    failures = []
    for endpoint, (method, template, expected) in MATRIX.items():
        url = template.format(**params)
        response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
        want = expected[role]
        if want == LOGIN:
            ok = response.status_code == 302 and "/login" in response.headers["Location"]
        else:
            ok = response.status_code == want
        if not ok:
            failures.append(f"{endpoint} {method} {url}: got {response.status_code}, want {want}")
        if endpoint == "auth.logout":  # logging out clears the session and its CSRF secret
            if role != "anonymous":
                factories.login(client, org.users[role].username)
            token = factories.csrf_token(client.get("/login" if role == "anonymous" else "/account").get_data(
                as_text=True))
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("url", ["/admin/users/00000000-0000-0000-0000-000000000000", "/admin/users/not-a-uuid",
                                 "/admin/districts/999999"])
def test_guessed_ids_are_404_for_admin(client, org, url):
    factories.login(client, "admin")
    assert client.get(url).status_code == 404


def test_denied_pages_do_not_render_admin_content(client, org):
    factories.login(client, "skola.orm")
    response = client.get("/admin/users/")
    assert response.status_code == 403
    assert "skola.orm" not in response.get_data(as_text=True).split("<main", 1)[1]


def test_navigation_shows_each_role_only_what_it_may_use(client, org):
    factories.login(client, "skola.orm")
    html = client.get("/").get_data(as_text=True)
    assert "/admin/users" not in html and "/admin/districts" not in html
    factories.post_form(client, "/", "/logout")
    factories.login(client, "admin")
    html = client.get("/").get_data(as_text=True)
    assert "/admin/users" in html and "/admin/districts" in html
