"""The third QA pass on the meeting: removals that would drop recorded entries from the minutes, a decision
typed before another coordinator closed the meeting, the discussion flag that never cleared, and the owner
agencies offered and marked at the meeting."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from sspf.cases.models import Case
from sspf.consent.models import Consent
from sspf.extensions import db
from sspf.meetings import queries, services
from sspf.meetings.models import AgendaItem, Meeting, MeetingEntry
from sspf.meetings.services import MeetingError
from sspf.plans.models import Action
from tests import factories
from tests.case_factories import Cases

D = timedelta(days=1)
HAS_ENTRIES = "Ärendet har beslut, åtgärder eller nätverksmöte från mötet och kan inte tas bort från dagordningen."
CLOSED = "Mötet är stängt och kan inte ändras."


def _entries(meeting: Meeting) -> int:
    return db.session.scalar(select(func.count()).select_from(MeetingEntry)
                             .where(MeetingEntry.meeting_id == meeting.id))


# --- 1. an item with entries from this meeting stays on the agenda --------------------------------------------

def _record_decision(mtg, meeting, case):
    services.record_decision(actor=mtg.org.users["coordinator"], meeting=meeting, case=case, text="Hembesök.")


def _agree_action(mtg, meeting, case):
    services.agree_action(actor=mtg.org.users["coordinator"], meeting=meeting, case=case, text="Hembesök",
                          owner_agency=mtg.org.agencies["police"], deadline=mtg.today + 7 * D, today=mtg.today,
                          now=mtg.now)


def _network(mtg, meeting, case):
    services.set_network(actor=mtg.org.users["coordinator"], meeting=meeting, item=mtg.item(meeting, case),
                         youth=False, guardians=True)


@pytest.mark.parametrize("record", [_record_decision, _agree_action, _network])
def test_an_item_with_entries_from_this_meeting_cannot_be_removed(mtg, record):
    coordinator, case, meeting = mtg.org.users["coordinator"], mtg.active(), mtg.meeting()
    item = services.add_case(actor=coordinator, meeting=meeting, case=case, version=meeting.agenda_version)
    record(mtg, meeting, case)
    version = meeting.agenda_version
    with pytest.raises(MeetingError) as refused:
        services.remove_item(actor=coordinator, meeting=meeting, item=item, version=version)
    assert str(refused.value) == HAS_ENTRIES and not isinstance(refused.value, services.MeetingConflict)
    db.session.expire_all()
    assert item.removed is False and meeting.agenda_version == version  # nothing changed, the version included


def test_an_item_whose_entries_are_at_another_meeting_can_still_be_removed(mtg):
    coordinator, case = mtg.org.users["coordinator"], mtg.active()
    meeting, later = mtg.meeting(), mtg.meeting(held_on=mtg.meeting_on + 7 * D)
    item = services.add_case(actor=coordinator, meeting=meeting, case=case, version=meeting.agenda_version)
    _record_decision(mtg, later, case)
    services.remove_item(actor=coordinator, meeting=meeting, item=item, version=meeting.agenda_version)
    assert item.removed is True


def test_a_decision_on_a_removed_item_is_refused(mtg):
    """The other way round: a stale page must not record under an item another coordinator took off."""
    coordinator, case, meeting = mtg.org.users["coordinator"], mtg.active(), mtg.meeting()
    item = services.add_case(actor=coordinator, meeting=meeting, case=case, version=meeting.agenda_version)
    services.remove_item(actor=coordinator, meeting=meeting, item=item, version=meeting.agenda_version)
    with pytest.raises(MeetingError):
        _record_decision(mtg, meeting, case)
    with pytest.raises(MeetingError):
        _agree_action(mtg, meeting, case)
    assert _entries(meeting) == 0
    assert db.session.scalar(select(Action.id).where(Action.meeting_id == meeting.id)) is None


# --- 2. a decision typed before the close ---------------------------------------------------------------------

def test_a_correction_must_name_the_decision_it_corrects(mtg):
    coordinator, case, meeting = mtg.org.users["coordinator"], mtg.active(), mtg.meeting()
    services.add_case(actor=coordinator, meeting=meeting, case=case, version=meeting.agenda_version)
    services.close_meeting(actor=coordinator, meeting=meeting, now=mtg.now)
    with pytest.raises(MeetingError) as refused:
        services.record_correction(actor=coordinator, meeting=meeting, case=case, text="Sent beslut.", corrects=None)
    assert str(refused.value).startswith(CLOSED) and refused.value.field == "text"
    assert _entries(meeting) == 0


@pytest.fixture
def flagged(org, session):
    world = Cases(org)
    case = world.open_case()  # the school's case; the consent covers the police only
    world.consent(case, {"police": {"police", "basic"}})
    case.flagged_for_meeting = True
    meeting = Meeting(district_id=org.districts["ORM"].id, held_on=date.today(), starts_at=time(9),
                      place="Rum 1")
    db.session.add(meeting)
    session.commit()
    world.case, world.meeting = case, meeting
    return world


def _item_id(meeting, case) -> str:
    return str(db.session.scalar(select(AgendaItem.id).where(AgendaItem.meeting_id == meeting.id,
                                                             AgendaItem.case_id == case.id)))


def test_a_decision_typed_before_another_coordinator_closed_the_meeting_is_refused_and_kept(app, client, flagged):
    meeting, case = flagged.meeting, flagged.case
    factories.login(client, "samordnare.orm")
    client.get(f"/meetings/{meeting.id}")
    item = _item_id(meeting, case)
    page_b = client.get(f"/meetings/{meeting.id}?item={item}").get_data(as_text=True)  # B opens Protokollför
    token = factories.csrf_token(page_b)
    assert client.post(f"/meetings/{meeting.id}/close", data={"csrf_token": token}).status_code == 302  # A closes
    response = client.post(f"/meetings/{meeting.id}/items/{item}/decisions",
                           data={"csrf_token": token, "text": "Skrivet före stängningen."})  # B saves
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and CLOSED in html and "Skrivet före stängningen." in html
    assert "Beslutet är sparat." not in html and 'data-testid="unsaved"' in html  # the text shown with the reason
    assert "Spara rättelse" not in html  # no decision to correct: no correction form either
    assert _entries(meeting) == 0


# --- 3. the discussion flag clears when the meeting is closed -------------------------------------------------

def test_closing_clears_the_flag_of_the_discussed_cases_only(mtg):
    coordinator = mtg.org.users["coordinator"]
    discussed, taken_off = mtg.flag(mtg.active()), mtg.flag(mtg.active())
    elsewhere = mtg.flag(mtg.active("school_fis", "FIS"))  # on another district's agenda
    meeting, fis_meeting = mtg.meeting(), mtg.meeting("FIS")
    services.ensure_agenda(meeting)
    services.ensure_agenda(fis_meeting)
    services.remove_item(actor=coordinator, meeting=meeting, item=mtg.item(meeting, taken_off),
                         version=meeting.agenda_version)
    services.close_meeting(actor=coordinator, meeting=meeting, now=mtg.now)
    db.session.expire_all()
    flags = [c.flagged_for_meeting for c in (discussed, taken_off, elsewhere)]
    assert flags == [False, True, True]
    next_meeting = mtg.meeting(held_on=mtg.meeting_on + 7 * D)
    services.ensure_agenda(next_meeting)
    assert mtg.item(next_meeting, discussed) is None and mtg.item(next_meeting, taken_off) is not None


def test_a_flag_set_after_the_close_stays_for_the_next_meeting(mtg):
    coordinator, case = mtg.org.users["coordinator"], mtg.flag(mtg.active())
    meeting = mtg.meeting()
    services.ensure_agenda(meeting)
    services.close_meeting(actor=coordinator, meeting=meeting, now=mtg.now)
    mtg.flag(case)  # e.g. a new signal on the active case after the meeting
    next_meeting = mtg.meeting(held_on=mtg.meeting_on + 7 * D)
    services.ensure_agenda(next_meeting)
    db.session.expire_all()
    assert db.session.get(Case, case.id).flagged_for_meeting is True
    assert mtg.item(next_meeting, case) is not None


# --- 4. and 5. owners the case is shared with -----------------------------------------------------------------

def _options(html: str, item: str) -> set[str]:
    select_html = re.search(rf'<select[^>]*id="action-owner-{item}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return set(re.findall(r">([^<]+)</option>", select_html))


def test_the_meeting_offers_only_owners_the_case_is_shared_with(app, client, org, flagged):
    meeting, case = flagged.meeting, flagged.case
    factories.login(client, "samordnare.orm")
    client.get(f"/meetings/{meeting.id}")
    item = _item_id(meeting, case)
    html = client.get(f"/meetings/{meeting.id}?item={item}").get_data(as_text=True)
    assert _options(html, item) == {"Skola", "Polisen", "Samordning"}  # registering, consented, coordination
    response = client.post(f"/meetings/{meeting.id}/items/{item}/actions", data={
        "csrf_token": factories.csrf_token(html), "text": "Samtal", "owner_agency": str(org.agencies["soc"].id),
        "deadline": (date.today() + 7 * D).isoformat()})
    assert response.status_code == 400
    assert _options(response.get_data(as_text=True), item) == {"Skola", "Polisen", "Samordning"}
    assert db.session.scalar(select(Action.id).where(Action.case_id == case.id)) is None


def test_an_open_action_whose_owner_lost_the_case_is_marked_for_the_coordinator(app, client, org, mtg):
    coordinator = mtg.org.users["coordinator"]
    lost, kept = mtg.active(), mtg.active()
    mtg.action(lost, "police", text="Polisens hembesök")
    mtg.action(kept, "police", text="Polisens samtal")
    meeting = mtg.meeting()
    for case in (lost, kept):
        services.add_case(actor=coordinator, meeting=meeting, case=case, version=meeting.agenda_version)
    consent = db.session.scalar(select(Consent).where(Consent.case_id == lost.id))
    mtg.withdraw(lost, consent)
    view = queries.meeting_view(coordinator, meeting, now=mtg.now)
    shared = {v.case.id: v.shared for v in view.items}
    police = org.agencies["police"].id
    assert police not in shared[lost.id] and police in shared[kept.id]
    db.session.commit()
    factories.login(client, "samordnare.orm")
    html = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    marker = "ägaren ser inte längre ärendet"
    assert html.count(marker) == 1
    assert html.index("Polisens hembesök") < html.index(marker) < html.index("Polisens samtal")
