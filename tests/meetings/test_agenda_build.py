"""The agenda built from real cases: which cases, why, in which order; refresh, conflicts, query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, true

from sspf.cases.models import Case
from sspf.consent.models import Consent
from sspf.extensions import db
from sspf.meetings import agenda, queries, services
from sspf.meetings.agenda import (
    ACTION_OVERDUE,
    ADDED,
    CLOSED,
    CONSENT_EXPIRED,
    CONSENT_EXPIRING,
    FLAGGED,
    NEW_SIGNAL,
    REVIEW_DUE,
)
from sspf.meetings.services import MeetingConflict, MeetingError
from sspf.plans.models import Action, ActionStatus, Plan

D = timedelta(days=1)


@pytest.fixture
def cases(mtg):
    """One Orminge case per rule, some that must stay off, and a Fisksätra case that matches everything."""
    t = mtg.today
    c = {}
    c["signal"] = mtg.signal("field_worker")
    c["review"] = mtg.active()
    mtg.review(c["review"], t)
    c["overdue"] = mtg.active()
    mtg.overdue(c["overdue"])
    mtg.action(c["overdue"], deadline=t + 30 * D)  # a later open action does not hide the overdue one
    c["expiring"] = mtg.active(valid_until=t + 10 * D)
    c["expired"] = mtg.open_case()
    mtg.insert_consent(c["expired"], {"police": {"police"}}, signed_on=t - 100 * D, valid_until=t - 5 * D)
    c["withdrawn"] = mtg.active()
    mtg.withdraw(c["withdrawn"], db.session.scalar(select(Consent).where(Consent.case_id == c["withdrawn"].id)))
    c["flagged"] = mtg.flag(mtg.active())
    # A renewal that ends sooner than the consent it replaced: the latest one's date counts, not the longest.
    c["replaced_expiring"] = mtg.active()
    mtg.consent(c["replaced_expiring"], {"police": {"police"}}, valid_until=t + 10 * D)
    # The latest consent withdrawn: the one it replaced does not come back.
    c["replaced_withdrawn"] = mtg.active()
    latest = mtg.consent(c["replaced_withdrawn"], {"police": {"police"}})
    mtg.withdraw(c["replaced_withdrawn"], latest)
    c["closed"] = mtg.closed(mtg.signal("soc_orm"))
    # off the agenda: nothing due, done/cancelled past actions, a review after the meeting, an old closure
    c["quiet"] = mtg.active()
    mtg.overdue(c["quiet"], status=ActionStatus.DONE)
    mtg.overdue(c["quiet"], days=9, status=ActionStatus.CANCELLED)
    mtg.review(c["quiet"], mtg.meeting_on + D)
    c["old_closed"] = mtg.closed(mtg.signal("soc_orm"), at=mtg.now - 20 * D)
    c["triaged"] = mtg.open_case()  # never had a consent
    # consent signed after the meeting day: neither expiring nor expired at that meeting
    c["future_consent"] = mtg.open_case()
    mtg.insert_consent(c["future_consent"], {"police": {"police"}}, signed_on=mtg.meeting_on + 2 * D,
                       valid_until=mtg.meeting_on + 200 * D)
    c["future_flagged"] = mtg.flag(mtg.open_case())
    mtg.insert_consent(c["future_flagged"], {"police": {"police"}}, signed_on=mtg.meeting_on + 2 * D,
                       valid_until=mtg.meeting_on + 200 * D)
    fis = mtg.flag(mtg.active("school_fis", "FIS", valid_until=t + 5 * D))
    mtg.review(fis, t)
    mtg.overdue(fis)
    c["fis_signal"], c["fis"] = mtg.signal("school_fis", "FIS"), fis
    c["fis_closed"] = mtg.closed(mtg.signal("school_fis", "FIS"))
    return c


EXPECTED = {
    "signal": [NEW_SIGNAL], "review": [REVIEW_DUE], "overdue": [ACTION_OVERDUE], "expiring": [CONSENT_EXPIRING],
    "expired": [CONSENT_EXPIRED], "withdrawn": [FLAGGED, CONSENT_EXPIRED], "flagged": [FLAGGED],
    "closed": [CLOSED], "future_flagged": [FLAGGED], "replaced_expiring": [CONSENT_EXPIRING],
    "replaced_withdrawn": [FLAGGED, CONSENT_EXPIRED],
}


def _reasons_by_key(mtg, cases, meeting):
    names = {case.id: key for key, case in cases.items()}
    return {names[i.case_id]: i.reasons for i in mtg.items(meeting)}


def test_agenda_lists_exactly_the_due_cases_of_the_district_in_rule_order(mtg, cases):
    meeting = mtg.meeting()
    assert services.ensure_agenda(meeting) is True
    assert _reasons_by_key(mtg, cases, meeting) == EXPECTED
    items = mtg.items(meeting)
    codes = {c.id: c.code for c in cases.values()}
    assert [i.position for i in items] == list(range(1, len(EXPECTED) + 1))
    assert [i.case_id for i in items] == [i.case_id for i in sorted(items, key=lambda i: agenda.order_key(
        i.reasons, codes[i.case_id]))]
    assert items[0].case_id == cases["signal"].id and items[-1].case_id == cases["closed"].id
    assert not any(i.removed for i in items)


def test_the_sql_prefilter_never_drops_a_case_the_rule_includes(mtg, cases, monkeypatch):
    meeting = mtg.meeting()
    district, previous = meeting.district_id, services.previous_meeting_on(meeting)
    due = {f.case_id: r for f, r in agenda.due_cases(district, meeting_on=meeting.held_on, previous_on=previous)}
    with monkeypatch.context() as patch:
        patch.setattr(agenda, "or_", lambda *clauses: true())  # the candidate filter lets every case through
        everything = agenda.agenda_facts(district, meeting_on=meeting.held_on, previous_on=previous)
    district_cases = set(db.session.scalars(select(Case.id).where(Case.district_id == district)))
    assert {f.case_id for f in everything} == district_cases
    ruled = {f.case_id: r for f in everything
             if (r := agenda.reasons(f, meeting_on=meeting.held_on, previous_on=previous))}
    assert due == ruled


def test_facts_agree_with_the_rows(mtg, cases):
    """Each constructed case's facts, as the SQL gathers them, match what its rows say."""
    meeting = mtg.meeting()
    on = meeting.held_on
    previous = services.previous_meeting_on(meeting)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(agenda, "or_", lambda *clauses: true())
        gathered = {f.case_id: f for f in agenda.agenda_facts(meeting.district_id, meeting_on=on,
                                                              previous_on=previous)}
    for key, case in cases.items():
        if case.district_id != meeting.district_id:
            assert case.id not in gathered, key
            continue
        facts = gathered[case.id]
        plan = db.session.scalar(select(Plan).where(Plan.case_id == case.id))
        open_deadlines = db.session.scalars(select(Action.deadline).where(
            Action.case_id == case.id, Action.status == ActionStatus.OPEN)).all()
        consents = db.session.scalars(select(Consent).where(Consent.case_id == case.id)).all()
        live = [c.valid_until for c in consents
                if c.withdrawn_at is None and c.replaced_at is None and c.signed_on <= on]
        assert (facts.code, facts.status, facts.flagged) == (case.code, case.status, case.flagged_for_meeting), key
        assert facts.next_review_on == (plan.next_review_on if plan else None), key
        assert facts.earliest_open_deadline == min(open_deadlines, default=None), key
        assert facts.consent_until == max(live, default=None), key
        assert facts.had_consent == any(c.signed_on <= on for c in consents), key
        assert (facts.closed_on is not None) == (case.closed_at is not None), key


def test_refresh_keeps_removals_and_appends_new_cases(mtg, cases):
    meeting = mtg.meeting()
    services.ensure_agenda(meeting)
    coordinator = mtg.org.users["coordinator"]
    removed = mtg.item(meeting, cases["signal"])
    services.remove_item(actor=coordinator, meeting=meeting, item=removed, version=meeting.agenda_version)
    mtg.flag(cases["quiet"])
    last = max(i.position for i in mtg.items(meeting))
    assert services.refresh_agenda(actor=coordinator, meeting=meeting, version=meeting.agenda_version) == 1
    db.session.expire_all()
    assert mtg.item(meeting, cases["signal"]).removed is True
    appended = mtg.items(meeting)[-1]
    assert (appended.case_id, appended.reasons, appended.position) == (cases["quiet"].id, [FLAGGED], last + 1)
    assert len(mtg.items(meeting)) == len(EXPECTED) + 1
    # put back by hand: at the end again, and marked as added
    services.add_case(actor=coordinator, meeting=meeting, case=cases["signal"], version=meeting.agenda_version)
    back = mtg.item(meeting, cases["signal"])
    assert (back.removed, back.reasons, back.position) == (False, [NEW_SIGNAL, ADDED], last + 2)
    with pytest.raises(MeetingError):
        services.add_case(actor=coordinator, meeting=meeting, case=cases["signal"], version=meeting.agenda_version)


def test_ensure_agenda_builds_once(mtg, cases):
    meeting = mtg.meeting()
    assert services.ensure_agenda(meeting) is True
    built_at, version = meeting.agenda_built_at, meeting.agenda_version
    mtg.flag(cases["quiet"])  # a later change is only picked up by an explicit refresh
    assert services.ensure_agenda(meeting) is False
    db.session.expire_all()
    assert services.ensure_agenda(meeting) is False
    assert (meeting.agenda_built_at, meeting.agenda_version) == (built_at, version) and version == 1
    assert len(mtg.items(meeting)) == len(EXPECTED)


def test_manual_add_refuses_a_case_of_another_district(mtg, cases):
    meeting = mtg.meeting()
    services.ensure_agenda(meeting)
    version = meeting.agenda_version
    for other in (cases["fis"], None):
        with pytest.raises(MeetingError) as refused:
            services.add_case(actor=mtg.org.users["coordinator"], meeting=meeting, case=other, version=version)
        assert refused.value.field == "code"
    db.session.expire_all()
    assert meeting.agenda_version == version
    assert cases["fis"].id not in {i.case_id for i in mtg.items(meeting)}


def test_second_change_against_the_same_version_is_a_conflict(mtg, cases):
    meeting = mtg.meeting()
    services.ensure_agenda(meeting)
    coordinator, seen = mtg.org.users["coordinator"], meeting.agenda_version
    first, second = mtg.item(meeting, cases["review"]), mtg.item(meeting, cases["flagged"])
    services.remove_item(actor=coordinator, meeting=meeting, item=first, version=seen)
    positions = [(i.case_id, i.position) for i in mtg.items(meeting)]
    with pytest.raises(MeetingConflict):
        services.remove_item(actor=coordinator, meeting=meeting, item=second, version=seen)
    with pytest.raises(MeetingConflict):
        services.move_item(actor=coordinator, meeting=meeting, item=second, up=True, version=seen)
    with pytest.raises(MeetingConflict):
        services.add_case(actor=coordinator, meeting=meeting, case=cases["quiet"], version=seen)
    with pytest.raises(MeetingConflict):
        services.refresh_agenda(actor=coordinator, meeting=meeting, version=seen)
    db.session.expire_all()
    assert meeting.agenda_version == seen + 1
    assert (first.removed, second.removed) == (True, False)
    assert [(i.case_id, i.position) for i in mtg.items(meeting)] == positions
    assert cases["quiet"].id not in {i.case_id for i in mtg.items(meeting)}


def test_meeting_view_runs_a_constant_number_of_queries(mtg, count_statements):
    built = []
    for n in range(12):
        case = mtg.active(scope={"police": {"police", "school"}, "soc": {"school"}})
        mtg.contact(case, "field_worker", visibility="consented")
        mtg.contact(case, "police_orm", visibility="own_agency" if n % 2 else "consented")
        mtg.action(case, "police" if n % 2 else "soc")
        mtg.overdue(case)
        built.append(case)
    meeting = mtg.meeting()
    coordinator, police = mtg.org.users["coordinator"], mtg.org.users["police_orm"]
    for case in built[:3]:
        services.add_case(actor=coordinator, meeting=meeting, case=case, version=meeting.agenda_version)
    counts = {}
    for size in (3, 12):
        if size == 12:
            for case in built[3:]:
                services.add_case(actor=coordinator, meeting=meeting, case=case, version=meeting.agenda_version)
        for user in (coordinator, police):
            queries.meeting_view(user, meeting, now=mtg.now)  # warm-up: first use of catalogue and keys
            db.session.expire_all()
            with count_statements() as statements:
                view = queries.meeting_view(user, meeting, now=mtg.now)
            assert len(view.items) == size
            assert all(v.news["Skola"].contacts for v in view.items)  # per case, by agency: the loops ran
            assert all(v.news["Polisen"].new or v.news["Polisen"].contacts for v in view.items)
            counts[size, user.username] = len(statements)
    assert counts[3, coordinator.username] == counts[12, coordinator.username], counts
    assert counts[3, police.username] == counts[12, police.username], counts


def test_the_prefilter_keeps_a_case_whose_consent_was_replaced_after_a_past_meeting_day(mtg, monkeypatch):
    """A replaced by B, which was signed after the (past) meeting day: no consent was live by that day's rows, so
    the rule may list the case; the prefilter must let it through although neither consent is withdrawn or ending."""
    case = mtg.active(valid_until=mtg.today + 300 * D)  # A: signed ten days ago
    mtg.consent(case, {"police": {"police"}}, signed_on=mtg.today, valid_until=mtg.today + 300 * D)  # B
    on, previous = mtg.today - 5 * D, mtg.today - 19 * D
    due = {f.case_id: r for f, r in agenda.due_cases(case.district_id, meeting_on=on, previous_on=previous)}
    with monkeypatch.context() as patch:
        patch.setattr(agenda, "or_", lambda *clauses: true())
        ruled = {f.case_id: r for f in agenda.agenda_facts(case.district_id, meeting_on=on, previous_on=previous)
                 if (r := agenda.reasons(f, meeting_on=on, previous_on=previous))}
    assert case.id in ruled and due == ruled
