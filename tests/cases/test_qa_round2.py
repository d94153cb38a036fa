"""Second QA round: what the contact form promises about sharing, the close form on a closed case, the emergency
access banner with its end, and who may own a plan action.

Each test checks the behaviour through the pages a user sees (and the service where it guards on its own), with a
counterpart that shows the check can tell the difference.
"""

from __future__ import annotations

import html
import re
import uuid
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from sspf.auth.permissions import Role
from sspf.calendar import LOCAL_ZONE
from sspf.cases.models import Case
from sspf.catalogue import catalogue
from sspf.plans import services as plan_services
from sspf.plans.models import Action
from tests import factories
from tests.case_factories import Cases


@pytest.fixture
def world(org, session, client) -> Cases:
    """``client`` makes every client of the test an isolated one (each request in its own context)."""
    return Cases(org)


def client_of(app, world: Cases, who: str) -> FlaskClient:
    client: FlaskClient = app.test_client()
    factories.login(client, world.user(who).username)
    return client


def page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return html.unescape(response.get_data(as_text=True))


def contacts_list(text: str) -> str:
    match = re.search(r'<ul class="contacts">(.*?)</ul>', text, re.S)
    assert match, "no contact list on the page"
    return match.group(1)


# --- 1. the contact form says who a shared contact reaches -------------------------------------------------------

def test_shared_contact_label_names_the_category_and_only_that_categorys_agencies_see_it(app, world, session):
    case = world.open_case("field_worker")  # registered by the school
    # Fritid may see social services' information; the police are covered too, but for other kinds of information.
    world.consent(case, {"soc": {"school"}, "leisure": {"social_services"}, "police": {"police", "school", "leisure"}})
    session.commit()
    soc = client_of(app, world, "soc_orm")
    form_page = page(soc, f"/cases/{case.id}/contacts/new")
    social_services = catalogue().label("information_categories", "social_services")
    assert f"Alla som samtycket ger rätt att se {social_services}" in form_page
    assert "Alla organisationer som samtycket omfattar" not in form_page

    note = f"Delad anteckning {uuid.uuid4().hex[:8]}"
    response = factories.post_form(soc, f"/cases/{case.id}/contacts/new", data={
        "occurred_on": world.today.isoformat(), "type": "meeting", "parties": ["youth"], "note": note,
        "visibility": "consented"})
    assert response.status_code == 302, response.get_data(as_text=True)

    assert note in contacts_list(page(client_of(app, world, "leisure_orm"), f"/cases/{case.id}"))
    police = page(client_of(app, world, "police_orm"), f"/cases/{case.id}")
    assert note not in contacts_list(police)  # the police hold the case, but not social services' information


def test_the_label_follows_the_author_agencys_category(app, world, session):
    case = world.open_case("field_worker")
    session.commit()
    school = catalogue().label("information_categories", "school")
    social_services = catalogue().label("information_categories", "social_services")
    form_page = page(client_of(app, world, "field_worker"), f"/cases/{case.id}/contacts/new")
    assert f"Alla som samtycket ger rätt att se {school}" in form_page and social_services not in form_page


# --- 2. the close form is not shown for a closed case -------------------------------------------------------------

def test_close_form_on_a_closed_case_sends_the_coordinator_back_with_the_message(app, world, session):
    open_case, closed = world.open_case(), world.open_case()
    world.close(closed)
    session.commit()
    coordinator = client_of(app, world, "coordinator")
    assert "Ärendet är redan avslutat." not in page(coordinator, f"/cases/{open_case.id}/close")  # the form

    response = coordinator.get(f"/cases/{closed.id}/close")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{closed.id}")
    assert "Ärendet är redan avslutat." in page(coordinator, f"/cases/{closed.id}")


# --- 3. the emergency banner says until when, on the case page and the plan --------------------------------------

def emergency_notice(text: str) -> str:
    match = re.search(r'<p[^>]*data-testid="emergency-notice"[^>]*>(.*?)</p>', text, re.S)
    return match.group(1) if match else ""


def test_emergency_banner_shows_when_access_ends_on_the_case_page_and_the_plan(app, world, session):
    case = world.open_case("field_worker", "ORM")
    grant = world.emergency(case, "coordinator_fis")  # a coordinator from another district
    session.commit()
    ends = grant.expires_at.astimezone(LOCAL_ZONE).strftime("%Y-%m-%d %H:%M")  # Swedish time, as the page says it

    outsider = client_of(app, world, "coordinator_fis")
    for url in (f"/cases/{case.id}", f"/cases/{case.id}/plan"):
        notice = emergency_notice(page(outsider, url))
        assert "Du har nödåtkomst till ärendet fram till" in notice and ends in notice, url
    # The district's own coordinator has no emergency access, and no banner.
    insider = client_of(app, world, "coordinator")
    assert emergency_notice(page(insider, f"/cases/{case.id}/plan")) == ""


# --- 4. a plan action's owner person works in the case's district -------------------------------------------------

def test_plan_offers_and_accepts_only_owner_people_of_the_cases_district(app, world, session):
    case = world.open_case("field_worker", "ORM")
    world.consent(case, {"police": {"police"}})
    elsewhere = factories.make_user("t.police_fis", Role.FIELD_WORKER, world.org.agencies["police"],
                                    [world.org.districts["FIS"]])
    here = world.user("police_orm")
    session.commit()
    coordinator = client_of(app, world, "coordinator")
    plan_page = page(coordinator, f"/cases/{case.id}/plan")
    assert f'value="{here.id}"' in plan_page and f'value="{elsewhere.id}"' not in plan_page

    def add(owner) -> tuple[int, str]:
        token = factories.csrf_token(coordinator.get(f"/cases/{case.id}/plan").get_data(as_text=True))
        response = coordinator.post(f"/cases/{case.id}/plan/actions", data={
            "csrf_token": token, "action-csrf_token": token, "action-text": "Hembesök",
            "action-owner_agency": str(world.agency_id("police")), "action-owner_user": str(owner.id),
            "action-deadline": (world.today + timedelta(days=7)).isoformat()})
        return response.status_code, html.unescape(response.get_data(as_text=True))

    status, body = add(elsewhere)
    assert status == 400
    assert re.search(r'id="action-owner_user-err"[^>]*>[^<]+<', body)  # the message is next to the field
    assert session.scalar(select(func.count()).select_from(Action).where(Action.case_id == case.id)) == 0
    assert add(here)[0] == 302  # someone of the district is accepted


def test_the_plan_service_refuses_an_owner_person_from_another_district(app, world, session):
    case = world.open_case("field_worker", "ORM")
    world.consent(case, {"police": {"police"}})
    elsewhere = factories.make_user("t.police_fis", Role.FIELD_WORKER, world.org.agencies["police"],
                                    [world.org.districts["FIS"]])
    row = session.get(Case, case.id)
    with pytest.raises(plan_services.PlanError) as refused:
        plan_services.action_add(actor=world.user("coordinator"), case=row, text="Hembesök",
                                 owner_agency=world.org.agencies["police"], owner_user=elsewhere,
                                 deadline=world.today + timedelta(days=7), today=world.today,
                                 allowed_agency_ids={world.agency_id("police")})
    assert refused.value.field == "owner_user" and "område" in str(refused.value)
    assert session.scalar(select(func.count()).select_from(Action).where(Action.case_id == case.id)) == 0
    # The same person's colleague in the case's district (police_both works in both) is accepted.
    plan_services.action_add(actor=world.user("coordinator"), case=row, text="Hembesök",
                             owner_agency=world.org.agencies["police"], owner_user=world.user("police_both"),
                             deadline=world.today + timedelta(days=7), today=world.today,
                             allowed_agency_ids={world.agency_id("police")})
    assert session.scalar(select(func.count()).select_from(Action).where(Action.case_id == case.id)) == 1
