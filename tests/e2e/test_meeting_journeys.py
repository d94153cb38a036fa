"""The weekly meeting in the browser: the coordinator opens this week's meeting from the menu, records
attendance, a decision and a new action for the police; the officer finds it under "our tasks"; the
minutes PDF downloads and holds the decision but not the youth's name; the meeting page passes axe.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, time, timedelta

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.conftest import LiveServer
from tests.e2e.test_accessibility import assert_accessible
from tests.e2e.test_case_journeys import Seeded, flash, h1, in_app
from tests.e2e.test_plan_journeys import card, seed_police_case

pytestmark = pytest.mark.e2e


def seed_meeting(live_server: LiveServer, case: Seeded, *, place: str) -> str:
    """The case flagged for discussion, and an Orminge meeting today at ``place``."""
    from sspf.cases.models import Case
    from sspf.meetings.models import Meeting
    from sspf.org.models import District

    with in_app(live_server) as session:
        session.get(Case, uuid.UUID(case.id)).flagged_for_meeting = True
        orm = session.query(District).filter_by(code="ORM").one()
        meeting = Meeting(district_id=orm.id, held_on=date.today(), starts_at=time(9), place=place)
        session.add(meeting)
        session.flush()
        return str(meeting.id)


def agenda_item(page, code: str):
    return page.locator(f'li.agenda-item[data-case="{code}"]')


def test_coordinator_runs_the_meeting_and_the_police_find_their_task(page_as, live_server, tmp_path):
    case = seed_police_case(live_server, "Mona Mötesson")
    seed_meeting(live_server, case, place="Sal Journey")
    decision, action = "Polisen och skolan gör ett gemensamt hembesök.", "Hembesök med skolan"
    deadline = date.today() + timedelta(days=5)

    coordinator = page_as("coordinator")
    coordinator.goto("/")
    coordinator.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Möten", exact=True).click()
    expect(h1(coordinator)).to_have_text("SSPF-möten")
    upcoming = coordinator.get_by_test_id("upcoming").locator("li").filter(has_text="Sal Journey")
    upcoming.get_by_role("link").click()
    expect(h1(coordinator)).to_have_text("SSPF-möte Orminge")
    item = agenda_item(coordinator, case.code)
    expect(item).to_contain_text("Anmäld för diskussion")
    expect(coordinator.get_by_role("main")).not_to_contain_text(case.name)  # codes only on the projector

    # Attendance: school and police were there.
    attendance = card(coordinator, "Närvaro")
    attendance.get_by_label("Polisen").check()
    attendance.get_by_label("Skola").check()
    attendance.get_by_role("button", name="Spara närvaro").click()
    expect(flash(coordinator)).to_have_text("Närvaron är sparad.")
    expect(card(coordinator, "Närvaro").get_by_label("Polisen")).to_be_checked()

    # The coordinator takes up the case: its forms open in place. A decision, then a new action for the police.
    expect(item.get_by_label("Beslut", exact=True)).to_have_count(0)
    item.get_by_role("link", name=re.compile("^Protokollför")).click()
    expect(coordinator).to_have_url(re.compile(r"\?item=[0-9a-f-]+#item-"))
    item.get_by_label("Beslut", exact=True).fill(decision)
    item.get_by_role("button", name=re.compile("^Spara beslut")).click()
    expect(flash(coordinator)).to_have_text("Beslutet är sparat.")
    expect(item.get_by_test_id("decisions")).to_contain_text(decision)
    item.get_by_text("Ny åtgärd i planen").click()
    item.get_by_label("Ny åtgärd", exact=True).fill(action)
    item.get_by_label("Ansvarig organisation").select_option(label="Polisen")
    item.get_by_label("Klart senast").fill(deadline.isoformat())
    item.get_by_role("button", name=re.compile("^Lägg till åtgärd")).click()
    expect(flash(coordinator)).to_have_text("Åtgärden är tillagd i planen.")
    expect(item).to_contain_text(action)
    expect(coordinator).to_have_url(re.compile(r"/meetings/[0-9a-f-]+\?item=[0-9a-f-]+#item-"))

    # The police officer finds the action under "our tasks".
    police = page_as("police")
    police.goto("/tasks")
    ours = card(police, "Vår organisations uppgifter").locator("li").filter(has_text=action)
    expect(ours).to_have_count(1)
    expect(ours).to_contain_text(case.code)
    expect(ours).to_contain_text(deadline.isoformat())

    # The minutes PDF downloads and holds the decision, never the name.
    with coordinator.expect_download() as download:
        coordinator.get_by_test_id("minutes-pdf").click()
    path = tmp_path / "protokoll.pdf"
    download.value.save_as(path)
    assert download.value.suggested_filename.startswith("protokoll-ORM-")
    text = " ".join("".join(p.extract_text() for p in PdfReader(path).pages).split())
    assert decision in text and case.code in text and action in text
    assert case.name not in text
    assert_accessible(coordinator, "meeting page as the coordinator")


def test_meeting_and_minutes_pages_are_accessible_for_another_agency(page_as, live_server):
    case = seed_police_case(live_server, "Alva Axesson")
    meeting_id = seed_meeting(live_server, case, place="Sal Axe")
    police = page_as("police")
    police.goto(f"/meetings/{meeting_id}")
    expect(agenda_item(police, case.code)).to_have_count(1)
    expect(police.get_by_role("button", name=re.compile("^Spara beslut"))).to_have_count(0)
    assert_accessible(police, "meeting page as the police")
    police.goto(f"/meetings/{meeting_id}/minutes")
    expect(h1(police)).to_have_text("Protokoll, SSPF-möte Orminge")
    assert_accessible(police, "minutes print view")
