"""The meeting through its pages: agenda, attendance, decisions, actions in place, minutes, locking,
edit conflicts and the bad input the issue names, each through real requests."""

from __future__ import annotations

import io
import re
import uuid
from datetime import date, time, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from sspf.cases.models import Case
from sspf.extensions import db
from sspf.meetings.models import AgendaItem, Meeting, MeetingEntry
from sspf.plans.models import Action
from tests import factories
from tests.case_factories import Cases

MARKER_NAME = "Zlatan Markörsson"


@pytest.fixture
def world(org, session):
    world = Cases(org)
    consented = world.open_case()  # school's case, consent covers police
    world.consent(consented, {"police": {"police", "basic"}})
    consented.youth.name = MARKER_NAME
    consented.flagged_for_meeting = True
    signal = world.signal("soc_orm")  # waits for triage
    world.protect(signal)
    meeting = Meeting(district_id=org.districts["ORM"].id, held_on=date.today(), starts_at=time(9), place="Rum 1")
    db.session.add(meeting)
    session.commit()
    world.cases = {"consented": consented, "signal": signal}
    world.meeting = meeting
    return world


def _page(client, meeting) -> str:
    response = client.get(f"/meetings/{meeting.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _version(html: str) -> str:
    return re.search(r'name="version" value="(\d+)"', html).group(1)


def _item_id(meeting, case) -> str:
    return str(db.session.scalar(select(AgendaItem.id).where(AgendaItem.meeting_id == meeting.id,
                                                             AgendaItem.case_id == case.id)))


def test_the_agenda_builds_itself_and_the_coordinator_runs_the_meeting(app, client, org, world):
    meeting, consented, signal = world.meeting, world.cases["consented"], world.cases["signal"]
    factories.login(client, "samordnare.orm")
    html = _page(client, meeting)
    codes = re.findall(r'data-case="([A-Z]+-\d+-\d+)"', html)
    assert codes == [signal.code, consented.code]  # a new signal first, then the flagged case
    assert "Ny aktualisering att bedöma" in html and "Anmäld för diskussion" in html
    assert MARKER_NAME not in html  # the agenda shows codes, it is read on a projector
    assert "Spara beslut" not in html and html.count("Protokollför") == 2  # forms only for the item in focus
    token = factories.csrf_token(html)
    police, school = org.agencies["police"].id, org.agencies["school"].id
    assert client.post(f"/meetings/{meeting.id}/attendance",
                       data={"csrf_token": token, "present": [str(police), str(school)]}).status_code == 302
    item = _item_id(meeting, consented)
    focused = client.get(f"/meetings/{meeting.id}?item={item}").get_data(as_text=True)
    assert focused.count("Spara beslut") == 1 and focused.count("Protokollför") == 1
    saved = client.post(f"/meetings/{meeting.id}/items/{item}/decisions",
                        data={"csrf_token": token, "text": "Polisen gör hembesök med skolan."})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"?item={item}#item-{item}")
    response = client.post(f"/meetings/{meeting.id}/items/{item}/actions", data={
        "csrf_token": token, "text": "Hembesök", "owner_agency": str(police),
        "deadline": (date.today() + timedelta(days=7)).isoformat()})
    assert response.status_code == 302, response.get_data(as_text=True)
    action = db.session.scalar(select(Action).where(Action.case_id == consented.id))
    assert action.meeting_id == meeting.id and action.owner_agency_id == police

    cop = app.test_client()
    factories.login(cop, "t.police_orm")
    assert "Hembesök" in cop.get("/tasks").get_data(as_text=True)

    minutes = client.get(f"/meetings/{meeting.id}/minutes").get_data(as_text=True)
    assert "Polisen gör hembesök med skolan." in minutes and consented.code in minutes
    assert re.search(r"Närvarande: [^<]*Polisen", minutes)
    pdf = client.get(f"/meetings/{meeting.id}/minutes.pdf")
    assert pdf.mimetype == "application/pdf" and "attachment" in pdf.headers["Content-Disposition"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Polisen gör hembesök med skolan." in " ".join(text.split())
    assert consented.code in text and signal.code in text
    for secret in (MARKER_NAME, "Test Testsson", consented.youth.personnummer, signal.youth.personnummer):
        assert secret not in text and secret not in minutes


def test_each_agency_sees_only_the_cases_its_access_allows(app, client, org, world):
    meeting, consented, signal = world.meeting, world.cases["consented"], world.cases["signal"]
    factories.login(client, "samordnare.orm")
    _page(client, meeting)  # builds the agenda
    cop = app.test_client()
    factories.login(cop, "t.police_orm")
    html = _page(cop, meeting)
    assert consented.code in html and signal.code not in html
    assert "Spara beslut" not in html  # only the coordinator records
    minutes = cop.get(f"/meetings/{meeting.id}/minutes").get_data(as_text=True)
    assert consented.code in minutes and signal.code not in minutes
    outsider = app.test_client()
    factories.login(outsider, "t.school_fis")
    assert outsider.get(f"/meetings/{meeting.id}").status_code == 404
    assert outsider.get(f"/meetings/{meeting.id}/minutes.pdf").status_code == 404
    assert cop.get("/meetings/00000000-0000-4000-8000-000000000000").status_code == 404
    club = app.test_client()  # a field worker of a non-authority agency in the district never sees case data
    factories.login(club, "t.club_field_worker")
    assert club.get(f"/meetings/{meeting.id}").status_code == 404


def test_a_second_coordinator_with_a_stale_agenda_gets_a_conflict_not_an_overwrite(app, client, org, world):
    meeting, consented, signal = world.meeting, world.cases["consented"], world.cases["signal"]
    factories.login(client, "samordnare.orm")
    first = _page(client, meeting)
    other = app.test_client()
    factories.login(other, "samordnare.orm")
    second = _page(other, meeting)
    assert _version(first) == _version(second)
    token = factories.csrf_token(first)
    removed = client.post(f"/meetings/{meeting.id}/agenda/{_item_id(meeting, signal)}/remove",
                          data={"csrf_token": token, "version": _version(first)})
    assert removed.status_code == 302
    stale = other.post(f"/meetings/{meeting.id}/agenda/{_item_id(meeting, consented)}/move",
                       data={"csrf_token": factories.csrf_token(second), "version": _version(second),
                             "direction": "up"})
    assert stale.status_code == 409
    assert "har ändrats av någon annan" in stale.get_data(as_text=True)
    items = db.session.scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
                               .order_by(AgendaItem.position)).all()
    assert [(i.case_id, i.removed) for i in items] == [(signal.id, True), (consented.id, False)]


def test_a_closed_meeting_takes_corrections_as_new_entries_and_nothing_else(app, client, org, world):
    meeting, consented = world.meeting, world.cases["consented"]
    factories.login(client, "samordnare.orm")
    token = factories.csrf_token(_page(client, meeting))
    item = _item_id(meeting, consented)
    client.post(f"/meetings/{meeting.id}/items/{item}/decisions", data={"csrf_token": token, "text": "Beslut ett."})
    assert client.post(f"/meetings/{meeting.id}/close", data={"csrf_token": token}).status_code == 302
    html = _page(client, meeting)
    assert "Stängt och låst" in html and "Skriv rättelse" in html and "Spara rättelse" not in html
    focused = client.get(f"/meetings/{meeting.id}?item={item}").get_data(as_text=True)
    assert "Spara rättelse" in focused and "Spara beslut" not in focused
    original = db.session.scalar(select(MeetingEntry).where(MeetingEntry.meeting_id == meeting.id))
    response = client.post(f"/meetings/{meeting.id}/items/{item}/decisions",
                           data={"csrf_token": token, "text": "Rätt datum är i morgon.", "corrects": str(original.id)})
    assert response.status_code == 302
    entries = db.session.scalars(select(MeetingEntry).where(MeetingEntry.meeting_id == meeting.id)
                                 .order_by(MeetingEntry.created_at)).all()
    assert [(e.kind, e.text) for e in entries] == [("decision", "Beslut ett."),
                                                   ("correction", "Rätt datum är i morgon.")]
    assert entries[1].corrects_id == original.id
    refused = client.post(f"/meetings/{meeting.id}/attendance", data={"csrf_token": token})
    assert refused.status_code == 409 and "Mötet är stängt" in refused.get_data(as_text=True)
    action = client.post(f"/meetings/{meeting.id}/items/{item}/actions", data={
        "csrf_token": token, "text": "Sent tillägg", "owner_agency": str(org.agencies["police"].id),
        "deadline": (date.today() + timedelta(days=3)).isoformat()})
    assert action.status_code == 400 and "Sent tillägg" in action.get_data(as_text=True)
    assert db.session.scalar(select(Action).where(Action.case_id == consented.id)) is None
    minutes = client.get(f"/meetings/{meeting.id}/minutes").get_data(as_text=True)
    assert minutes.index("Beslut ett.") < minutes.index("Rätt datum är i morgon.")


def test_bad_input_is_refused_with_a_message_and_nothing_is_lost(app, client, org, world):
    meeting, consented = world.meeting, world.cases["consented"]
    factories.login(client, "samordnare.orm")
    token = factories.csrf_token(_page(client, meeting))
    item = _item_id(meeting, consented)
    uncovered = client.post(f"/meetings/{meeting.id}/items/{item}/actions", data={
        "csrf_token": token, "text": "Fritidsgården bjuder in", "owner_agency": str(org.agencies["leisure"].id),
        "deadline": (date.today() + timedelta(days=3)).isoformat()})
    body = uncovered.get_data(as_text=True)
    assert uncovered.status_code == 400 and "samtycket omfattar den inte" in body and "Fritidsgården bjuder in" in body
    past = client.post(f"/meetings/{meeting.id}/items/{item}/actions", data={
        "csrf_token": token, "text": "För sent", "owner_agency": str(org.agencies["police"].id),
        "deadline": (date.today() - timedelta(days=1)).isoformat()})
    assert past.status_code == 400 and "Tidsgränsen kan inte ligga före" in past.get_data(as_text=True)
    assert db.session.scalar(select(Action).where(Action.case_id == consented.id)) is None

    db.session.get(Case, consented.id).district_id = org.districts["FIS"].id  # the family moved
    db.session.commit()
    moved = client.post(f"/meetings/{meeting.id}/items/{item}/decisions",
                        data={"csrf_token": token, "text": "Ett beslut som inte får försvinna."})
    body = moved.get_data(as_text=True)
    assert moved.status_code == 400 and "hör inte längre till området" in body
    assert "Ett beslut som inte får försvinna." in body
    assert db.session.scalar(select(MeetingEntry).where(MeetingEntry.meeting_id == meeting.id)) is None

    forged = client.post(f"/meetings/{meeting.id}/items/{item}/decisions", data={"text": "Utan token"})
    assert forged.status_code == 400
    foreign = client.post(f"/meetings/{meeting.id}/items/00000000-0000-4000-8000-000000000000/decisions",
                          data={"csrf_token": token, "text": "Gissat id"})
    assert foreign.status_code == 404


def test_a_series_makes_the_meetings_of_the_coming_weeks(app, client, org, session):
    factories.login(client, "samordnare.orm")
    first = date.today() + timedelta(days=2)
    response = factories.post_form(client, "/meetings", "/meetings/series", data={
        "series-district": str(org.districts["ORM"].id), "series-first_on": first.isoformat(),
        "series-starts_at": "09:30", "series-place": "Kommunhuset", "series-interval_weeks": "2"})
    assert response.status_code == 302, response.get_data(as_text=True)
    days = db.session.scalars(select(Meeting.held_on).where(Meeting.district_id == org.districts["ORM"].id)
                              .order_by(Meeting.held_on)).all()
    assert days == [first + timedelta(weeks=2 * n) for n in range(len(days))] and len(days) >= 4
    listing = client.get("/meetings").get_data(as_text=True)
    assert "Kommunhuset" in listing
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    bad = factories.post_form(client, "/meetings", "/meetings/series", data={
        "series-district": str(org.districts["ORM"].id), "series-first_on": yesterday,
        "series-starts_at": "09:30", "series-place": "Bakåt", "series-interval_weeks": "1"})
    assert bad.status_code == 400 and "bakåt i tiden" in bad.get_data(as_text=True)
    assert "Bakåt" in bad.get_data(as_text=True)  # what the user typed is kept


def test_the_owning_agency_marks_an_open_action_done_from_the_meeting(app, client, org, world):
    from sspf.access.scoping import sharing_agencies
    from sspf.db import utcnow
    from sspf.plans.services import action_add

    meeting, consented = world.meeting, world.cases["consented"]
    action = action_add(actor=org.users["coordinator"], case=consented, text="Samtal med pappan",
                        owner_agency=org.agencies["police"], owner_user=None, deadline=date.today(),
                        today=date.today(), allowed_agency_ids=sharing_agencies(consented, now=utcnow()))
    db.session.commit()
    cop = app.test_client()
    factories.login(cop, "t.police_orm")
    html = _page(cop, meeting)
    assert "Samtal med pappan" in html and "Markera som klar" in html
    url = f"/cases/{consented.id}/plan/actions/{action.id}"
    done = cop.post(url, data={"csrf_token": factories.csrf_token(html), "status": "done",
                               "next": f"/meetings/{meeting.id}"})
    # Back to the meeting, at the case (on a phone the page is thousands of pixels long).
    assert done.status_code == 302 and done.headers["Location"].endswith(
        f"/meetings/{meeting.id}#item-{_item_id(meeting, consented)}")
    assert db.session.get(Action, action.id).status == "done"
    school = app.test_client()  # the school registered the case but does not own the action: no button for it
    factories.login(school, "skola.orm")
    assert "Markera som klar" not in _page(school, meeting)
    elsewhere = cop.post(url, data={"csrf_token": factories.csrf_token(html), "status": "open",
                                    "next": "https://example.org/meetings/x"})
    assert elsewhere.headers["Location"].endswith(f"/cases/{consented.id}/plan")  # never an outside address


def test_the_case_page_shows_each_agencys_contacts_since_the_last_meeting(app, client, org, world):
    consented, today = world.cases["consented"], date.today()
    db.session.add(Meeting(district_id=org.districts["ORM"].id, held_on=today - timedelta(days=7), starts_at=time(9),
                           place="Förra veckan"))
    world.contact(consented, "field_worker", occurred_on=today - timedelta(days=10))  # before the last meeting
    world.contact(consented, "field_worker", occurred_on=today - timedelta(days=3))
    world.contact(consented, "police_orm", occurred_on=today)  # police's own: the school does not see it
    db.session.commit()

    def since(user: str) -> str:
        viewer = app.test_client()
        factories.login(viewer, user)
        html = viewer.get(f"/cases/{consented.id}").get_data(as_text=True)
        return html.split('data-testid="since-meeting">', 1)[1].split("</div>", 1)[0]

    school = since("skola.orm")
    assert "Skola</strong>: 1 kontakt" in school and "Polisen" not in school
    police = since("t.police_orm")
    assert "Polisen</strong>: 1 kontakt" in police and "Skola" not in police


def test_since_when_names_a_meeting_only_when_there_was_one(app, client, org, world, session):
    factories.login(client, "samordnare.orm")
    first = _page(client, world.meeting)
    assert "(områdets första möte)" in first and "sedan förra mötet" not in first
    later = Meeting(district_id=org.districts["ORM"].id, held_on=date.today() + timedelta(days=7), starts_at=time(9),
                    place="Rum 1")
    db.session.add(later)
    session.commit()
    second = _page(client, later)
    assert f"sedan förra mötet ({date.today().isoformat()})" in second


def test_saving_network_participation_says_so_and_keeps_the_place(app, client, org, world):
    meeting, consented = world.meeting, world.cases["consented"]
    factories.login(client, "samordnare.orm")
    html = _page(client, meeting)
    item = _item_id(meeting, consented)
    saved = client.post(f"/meetings/{meeting.id}/items/{item}/network",
                        data={"csrf_token": factories.csrf_token(html), "youth": "y"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"#item-{item}")
    assert "Nätverksmötet är sparat." in client.get(saved.headers["Location"]).get_data(as_text=True)
    assert db.session.get(AgendaItem, uuid.UUID(item)).youth_took_part
