"""Who sees what of a meeting: the case access rule and the contact rule, never widened by the meeting.

Three Orminge cases on one agenda:

* ``shared``: registered by the school, consent lets police see police and school information;
* ``soc``: registered by social services, consent covers leisure only;
* ``signal``: the school's signal, no consent.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.exceptions import Forbidden, NotFound

from sspf.audit.models import AuditEvent
from sspf.consent.models import Consent
from sspf.extensions import db
from sspf.meetings import queries, services

D = timedelta(days=1)


@pytest.fixture
def agenda(mtg):
    shared = mtg.active("field_worker", scope={"police": {"police", "school"}})
    soc = mtg.active("soc_orm", scope={"leisure": {"leisure"}})
    signal = mtg.signal("field_worker")
    contacts = {
        "school_shared": mtg.contact(shared, "field_worker", visibility="consented"),
        "school_own": mtg.contact(shared, "field_worker", visibility="own_agency"),
        "police_shared": mtg.contact(shared, "police_orm", visibility="consented"),
        "police_own": mtg.contact(shared, "police_orm", visibility="own_agency"),
        "soc_shared": mtg.contact(shared, "soc_orm", visibility="consented"),  # social_services: not police's
        "school_old": mtg.contact(shared, "field_worker", visibility="consented", occurred_on=mtg.today - 12 * D),
        "soc_case": mtg.contact(soc, "soc_orm", visibility="consented"),
    }
    action = mtg.action(shared, "police", text="Polisen besöker familjen")
    meeting = mtg.meeting()
    coordinator = mtg.org.users["coordinator"]
    for case in (shared, soc, signal):
        services.add_case(actor=coordinator, meeting=meeting, case=case, version=meeting.agenda_version)
    services.record_decision(actor=coordinator, meeting=meeting, case=soc, text="Socialtjänsten återkommer.")
    return {"shared": shared, "soc": soc, "signal": signal, "meeting": meeting, "contacts": contacts,
            "action": action}


def _view(mtg, who, meeting):
    return queries.meeting_view(mtg.org.users[who], meeting, now=mtg.now)


def _cases(view) -> set:
    return {v.case.id for v in view.items}


def _news(view, case) -> dict[str, set]:
    [item] = [v for v in view.items if v.case.id == case.id]
    return {agency: {c.id for c in news.contacts} | {a.id for a in news.new} for agency, news in item.news.items()}


def test_coordinator_sees_every_agenda_case(mtg, agenda):
    view = _view(mtg, "coordinator", agenda["meeting"])
    assert [v.case.id for v in view.items] == [agenda[k].id for k in ("shared", "soc", "signal")]
    assert all(v.access.via == "coordinator" for v in view.items)
    c = agenda["contacts"]
    # another agency's own notes stay with it, even for the coordinator; the old contact predates last time
    assert _news(view, agenda["shared"]) == {"Skola": {c["school_shared"].id},
                                             "Polisen": {c["police_shared"].id, agenda["action"].id},
                                             "Socialtjänsten": {c["soc_shared"].id}}
    [soc] = [v for v in view.items if v.case.id == agenda["soc"].id]
    assert [e.text for e in soc.decisions] == ["Socialtjänsten återkommer."]


def test_registering_agency_sees_its_own_cases(mtg, agenda):
    school = _view(mtg, "field_worker", agenda["meeting"])
    assert _cases(school) == {agenda["shared"].id, agenda["signal"].id}
    assert all(v.access.via == "owner" for v in school.items)
    c = agenda["contacts"]
    assert _news(school, agenda["shared"]) == {"Skola": {c["school_shared"].id, c["school_own"].id},
                                               "Polisen": {c["police_shared"].id, agenda["action"].id},
                                               "Socialtjänsten": {c["soc_shared"].id}}
    soc = _view(mtg, "soc_orm", agenda["meeting"])
    assert _cases(soc) == {agenda["soc"].id}
    assert [e.text for e in soc.items[0].decisions] == ["Socialtjänsten återkommer."]


def test_police_with_consent_sees_the_case_and_only_the_contacts_it_may(mtg, agenda):
    view = _view(mtg, "police_orm", agenda["meeting"])
    assert _cases(view) == {agenda["shared"].id}
    [item] = view.items
    assert item.access.via == "consent" and item.access.categories == {"basic", "police", "school"}
    assert item.decisions == []
    c = agenda["contacts"]
    assert _news(view, agenda["shared"]) == {"Skola": {c["school_shared"].id},
                                             "Polisen": {c["police_shared"].id, c["police_own"].id,
                                                         agenda["action"].id}}
    seen = {x.id for news in item.news.values() for x in news.contacts}
    assert c["school_own"].id not in seen and c["soc_shared"].id not in seen
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "meeting.read")).all()
    assert event.detail == {"cases": 1, "view": "meeting"} and event.actor_id == str(mtg.org.users["police_orm"].id)


def test_agencies_without_consent_see_nothing(mtg, agenda):
    for who in ("leisure_orm", "police_both"):
        assert _cases(_view(mtg, who, agenda["meeting"])) == ({agenda["soc"].id} if who == "leisure_orm" else
                                                              {agenda["shared"].id})
    other = mtg.active("soc_orm", scope={"school": {"school"}})
    services.add_case(actor=mtg.org.users["coordinator"], meeting=agenda["meeting"], case=other,
                      version=agenda["meeting"].agenda_version)
    assert other.id not in _cases(_view(mtg, "police_orm", agenda["meeting"]))
    assert _cases(_view(mtg, "working_group", agenda["meeting"])) == set()  # a club: no case access at all


def test_withdrawal_removes_the_case_for_police_at_once(mtg, agenda):
    assert _cases(_view(mtg, "police_orm", agenda["meeting"])) == {agenda["shared"].id}
    consent = db.session.scalar(select(Consent).where(Consent.case_id == agenda["shared"].id))
    mtg.withdraw(agenda["shared"], consent)
    view = _view(mtg, "police_orm", agenda["meeting"])
    assert view.items == [] and view.removed == []
    assert agenda["shared"].id in _cases(_view(mtg, "coordinator", agenda["meeting"]))


def test_removed_items_are_listed_only_to_those_who_see_the_case(mtg, agenda):
    meeting = agenda["meeting"]
    for key in ("shared", "signal"):
        services.remove_item(actor=mtg.org.users["coordinator"], meeting=meeting,
                             item=mtg.item(meeting, agenda[key]), version=meeting.agenda_version)
    coordinator = _view(mtg, "coordinator", meeting)
    assert _cases(coordinator) == {agenda["soc"].id}
    assert {code for _item, code in coordinator.removed} == {agenda["shared"].code, agenda["signal"].code}
    police = _view(mtg, "police_orm", meeting)
    assert police.items == [] and [code for _item, code in police.removed] == [agenda["shared"].code]


def test_meetings_of_other_districts_are_not_found(mtg, agenda):
    meeting = agenda["meeting"]
    for who in ("school_fis", "coordinator_fis", "school_none", "working_group", "club_coordinator"):
        with pytest.raises(NotFound):
            queries.get_meeting_for(mtg.org.users[who], str(meeting.id))
    for bad in ("not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(NotFound):
            queries.get_meeting_for(mtg.org.users["coordinator"], bad)
    with pytest.raises(Forbidden):
        queries.get_meeting_for(mtg.org.users["field_worker"], str(meeting.id), coordinate=True)
    assert queries.get_meeting_for(mtg.org.users["field_worker"], str(meeting.id)) is meeting
    assert queries.get_meeting_for(mtg.org.users["coordinator"], str(meeting.id), coordinate=True) is meeting
    fis = mtg.meeting("FIS")
    upcoming, past = queries.meetings_for(mtg.org.users["police_both"], today=mtg.today)
    assert {m.id for m in upcoming} == {meeting.id, fis.id} and past == []
    assert [m.id for m in queries.meetings_for(mtg.org.users["field_worker"], today=mtg.today)[0]] == [meeting.id]


@pytest.mark.parametrize("state", ["none", "police only", "expired", "withdrawn", "disclosure", "club"])
def test_each_consent_state_gives_the_police_exactly_what_the_rule_allows(mtg, state):
    """One case on the agenda, seen by the police, for each state its sharing can be in."""
    case = mtg.open_case("field_worker")
    if state == "police only":
        mtg.consent(case, {"police": {"police"}})
    elif state == "expired":
        mtg.insert_consent(case, {"police": {"police", "school"}}, signed_on=mtg.today - 100 * D,
                           valid_until=mtg.today - D)
    elif state == "withdrawn":
        mtg.withdraw(case, mtg.consent(case, {"police": {"police", "school"}}))
    elif state == "disclosure":
        mtg.disclose(case, by="field_worker", to="police", categories={"school"})
    elif state == "club":
        mtg.insert_consent(case, {"club": {"school"}}, signed_on=mtg.today - D, valid_until=mtg.today + 30 * D)
    school = mtg.contact(case, "field_worker", visibility="consented")  # category school
    meeting = mtg.meeting()
    services.add_case(actor=mtg.org.users["coordinator"], meeting=meeting, case=case, version=meeting.agenda_version)
    police = _view(mtg, "police_orm", meeting)
    sees_case = state in {"police only", "disclosure"}
    assert _cases(police) == ({case.id} if sees_case else set())
    if sees_case:
        assert _news(police, case).get("Skola", set()) == ({school.id} if state == "disclosure" else set())
    minutes = queries.meeting_view(mtg.org.users["police_orm"], meeting, now=mtg.now, purpose="minutes")
    assert _cases(minutes) == _cases(police)  # the minutes follow the same rule
    club = _view(mtg, "club_field_worker", meeting)
    assert club.items == []  # a non-authority never sees a case, whatever a consent names
