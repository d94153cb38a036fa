"""The plan in the browser: the coordinator builds a plan with a goal and an action owned by the police,
the officer finds the action among the tasks and marks it done, and the coordinator sees it done and
the change in the history; a deadline in the past is refused next to the field; the pages pass axe.

Every case starts from rows seeded through the services (a case in Orminge whose active consent
covers the police), so the journeys spend their page loads on the plan itself.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LiveServer
from tests.e2e.test_accessibility import assert_accessible
from tests.e2e.test_case_journeys import Seeded, flash, h1, in_app, seed_case

pytestmark = pytest.mark.e2e

POLICE_CONSENT = {"Polisen": {"police"}}


def seed_police_case(live_server: LiveServer, name: str) -> Seeded:
    """An Orminge case registered by the school and triaged by the coordinator; its consent covers the police."""
    return seed_case(live_server, by="skola.orm", district="ORM", name=name, coordinator="samordnare.orm",
                     consent=POLICE_CONSENT)


def seed_plan(live_server: LiveServer, case: Seeded, *, goal: str, action: str, deadline: date) -> None:
    """A goal, and an open action owned by the police and polis.orm, added by the coordinator through the services."""
    from sqlalchemy import select

    from sspf.access.scoping import sharing_agencies
    from sspf.auth.models import User
    from sspf.cases.models import Case
    from sspf.db import utcnow
    from sspf.org.models import Agency
    from sspf.plans import services as plans

    with in_app(live_server) as session:
        row = session.get(Case, uuid.UUID(case.id))
        coordinator = session.scalar(select(User).where(User.username == "samordnare.orm"))
        police = session.scalar(select(User).where(User.username == "polis.orm"))
        plans.goal_add(actor=coordinator, case=row, text=goal)
        plans.action_add(actor=coordinator, case=row, text=action, owner_agency=session.get(Agency, police.agency_id),
                         owner_user=police, deadline=deadline, today=date.today(),
                         allowed_agency_ids=sharing_agencies(row, now=utcnow()))


def card(page, heading: str):
    """The ``section.card`` whose heading is ``heading``."""
    return page.locator("section.card").filter(has=page.get_by_role("heading", name=heading, exact=True))


def plan_heading(code: str) -> str:
    return f"Åtagandeplan för {code}"


# -- 1. Coordinator plans, the police do, the coordinator sees it done -----------------------------

def test_coordinator_plans_an_action_and_the_police_mark_it_done(page_as, live_server):
    case = seed_police_case(live_server, "Petra Plansson")
    goal, action = "Gå i skolan varje dag", "Hembesök tillsammans med polisen"
    deadline = date.today() + timedelta(days=7)

    # The coordinator opens the case and goes to its plan.
    coordinator = page_as("coordinator")
    coordinator.goto(case.url)
    expect(h1(coordinator)).to_contain_text(case.code)
    coordinator.get_by_role("link", name="Åtagandeplan", exact=True).click()
    expect(coordinator).to_have_url(re.compile(re.escape(case.url) + "/plan$"))
    expect(h1(coordinator)).to_have_text(plan_heading(case.code))
    goals, actions = coordinator.get_by_test_id("goals"), coordinator.get_by_test_id("actions")
    expect(goals).to_have_text("Inga mål ännu.")
    expect(actions).to_have_text("Inga åtgärder ännu.")

    # A goal ...
    coordinator.get_by_label("Nytt mål", exact=True).fill(goal)
    coordinator.get_by_role("button", name="Lägg till mål").click()
    expect(goals.locator(":scope > li")).to_have_count(1)
    expect(goals).to_contain_text(goal)
    expect(goals).to_contain_text("Ej påbörjat")

    # ... and an action for the police officer, due next week.
    coordinator.get_by_label("Ny åtgärd", exact=True).fill(action)
    coordinator.get_by_label("Ansvarig organisation").select_option(label="Polisen")
    coordinator.get_by_label("Ansvarig person (valfritt)").select_option(label="Polis.Orm (Polisen)")
    coordinator.get_by_label("Klart senast").fill(deadline.isoformat())
    coordinator.get_by_role("button", name="Lägg till åtgärd").click()
    expect(flash(coordinator)).to_have_text("Åtgärden är tillagd.")
    expect(h1(coordinator)).to_have_text(plan_heading(case.code))
    expect(goals).to_contain_text(goal)  # both are listed
    item = actions.locator(":scope > li")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(action)
    expect(item).to_contain_text("Polisen")
    expect(item).to_contain_text("Öppen")
    expect(item).to_contain_text(deadline.isoformat())
    expect(item).not_to_contain_text("försenad")

    # The officer opens the task list from the menu: the action is theirs and their agency's.
    police = page_as("police")
    police.goto("/")
    police.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Uppgifter", exact=True).click()
    expect(police).to_have_url(re.compile(r"/tasks$"))
    expect(h1(police)).to_have_text("Uppgifter")
    mine = card(police, "Mina uppgifter").locator("li").filter(has_text=action)
    ours = card(police, "Vår organisations uppgifter").locator("li").filter(has_text=action)
    for task in (mine, ours):
        expect(task).to_have_count(1)
        expect(task.get_by_role("link", name=case.code, exact=True)).to_have_attribute("href", case.url + "/plan")
        expect(task).to_contain_text(deadline.isoformat())
    mine.get_by_role("button", name="Markera som klar").click()
    expect(police).to_have_url(re.compile(r"/tasks$"))
    expect(mine).to_have_count(0)  # done: gone from both lists
    expect(ours).to_have_count(0)
    expect(police.get_by_role("main")).not_to_contain_text(case.code)

    # The coordinator's plan shows the action done, and the history has all three changes.
    coordinator.reload()
    expect(item).to_contain_text(action)
    expect(item).to_contain_text("Klar")
    expect(item).not_to_contain_text("Öppen")
    expect(item.get_by_role("button", name="Markera som klar")).to_have_count(0)
    history = card(coordinator, "Historik").locator("li")
    expect(history).to_have_count(3)  # newest first
    expect(history.nth(0)).to_contain_text("Polis.Orm ändrade status på en åtgärd")
    expect(history.nth(1)).to_contain_text("Samordnare.Orm lade till en åtgärd")
    expect(history.nth(2)).to_contain_text("Samordnare.Orm lade till ett mål")
    expect(card(coordinator, "Historik")).not_to_contain_text(action)  # history names changes, never texts


# -- 2. A deadline in the past -----------------------------------------------------------------------

def test_action_with_a_deadline_in_the_past_is_refused_next_to_the_field(page_as, live_server):
    case = seed_police_case(live_server, "Dagny Datumsson")
    coordinator = page_as("coordinator")
    coordinator.goto(case.url + "/plan")
    coordinator.get_by_label("Ny åtgärd", exact=True).fill("Samtal med vårdnadshavare")
    coordinator.get_by_label("Ansvarig organisation").select_option(label="Polisen")
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    coordinator.get_by_label("Klart senast").fill(yesterday)
    coordinator.get_by_role("button", name="Lägg till åtgärd").click()

    expect(h1(coordinator)).to_have_text(plan_heading(case.code))
    deadline = coordinator.get_by_label("Klart senast")
    expect(deadline).to_have_attribute("aria-invalid", "true")
    expect(deadline).to_have_attribute("aria-describedby", re.compile(r"\baction-deadline-err\b"))
    expect(deadline).to_have_value(yesterday)
    error = coordinator.locator("#action-deadline-err")
    expect(error).to_have_text("Tidsgränsen kan inte ligga före dagens datum.")
    expect(error).to_have_attribute("role", "alert")
    expect(coordinator.locator(".field.has-error")).to_have_count(1)
    expect(coordinator.locator(".field.has-error").filter(has=deadline)).to_contain_text("före dagens datum")
    expect(coordinator.get_by_label("Ny åtgärd", exact=True)).to_have_value("Samtal med vårdnadshavare")
    expect(flash(coordinator)).to_have_count(0)
    expect(coordinator.get_by_test_id("actions")).to_have_text("Inga åtgärder ännu.")
    assert_accessible(coordinator, "plan page with a deadline error")

    coordinator.goto(case.url + "/plan")  # nothing was stored either
    expect(coordinator.get_by_test_id("actions")).to_have_text("Inga åtgärder ännu.")
    expect(card(coordinator, "Historik")).to_have_text(re.compile(r"Inga ändringar ännu\.\s*$"))


# -- 3. Accessibility ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def planned(live_server: LiveServer) -> Seeded:
    case = seed_police_case(live_server, "Axel Axesson")
    seed_plan(live_server, case, goal="Komma i tid till skolan", action="Uppföljande samtal med polisen",
              deadline=date.today() + timedelta(days=3))
    return case


@pytest.mark.parametrize("who", ["coordinator", "police"])
def test_plan_page_is_accessible(page_as, planned, who):
    page = page_as(who)
    page.goto(planned.url + "/plan")
    expect(h1(page)).to_have_text(plan_heading(planned.code))
    expect(page.get_by_test_id("actions")).to_contain_text("Uppföljande samtal med polisen")
    expect(page.get_by_test_id("actions").get_by_role("button", name="Markera som klar")).to_have_count(1)
    assert_accessible(page, f"plan page as {who}")


def test_tasks_page_is_accessible(page_as, planned):
    page = page_as("police")
    page.goto("/tasks")
    expect(h1(page)).to_have_text("Uppgifter")
    expect(page.get_by_test_id("my-tasks")).to_contain_text(planned.code)
    assert_accessible(page, "tasks page")
