"""Meeting writes: series, attendance, decisions (encrypted, audited), closing, corrections."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select, text, update

from sspf.audit.models import AuditEvent
from sspf.extensions import db
from sspf.meetings import queries, services
from sspf.meetings.models import Attendance, EntryKind, Meeting, MeetingEntry, MeetingSeries
from sspf.meetings.services import MeetingError

D = timedelta(days=1)
WEDNESDAY = date(2026, 11, 18)
MONDAY = date(2026, 11, 23)


def _series(mtg, *, interval: int = 1, first_on: date = MONDAY, district: str = "ORM", today: date = WEDNESDAY):
    return services.create_series(actor=mtg.org.users["coordinator"], district=mtg.org.districts[district],
                                  first_on=first_on, starts_at=time(9, 30), place="Medborgarhuset",
                                  interval_weeks=interval, today=today)


def _days(series: MeetingSeries) -> list[date]:
    return list(db.session.scalars(select(Meeting.held_on).where(Meeting.series_id == series.id)
                                   .order_by(Meeting.held_on)))


@pytest.mark.parametrize(("interval", "count"), [(1, 8), (2, 4)])
def test_series_creates_meetings_up_to_the_horizon(mtg, interval, count):
    series = _series(mtg, interval=interval)
    days = _days(series)
    assert days == [MONDAY + timedelta(weeks=interval * n) for n in range(count)]
    assert days[-1] <= WEDNESDAY + services.HORIZON < days[-1] + timedelta(weeks=interval)
    assert series.weekday == 0 and {d.weekday() for d in days} == {0}
    meetings = db.session.scalars(select(Meeting).where(Meeting.series_id == series.id)).all()
    assert {(m.district_id, m.starts_at, m.place, m.status) for m in meetings} == {
        (mtg.org.districts["ORM"].id, time(9, 30), "Medborgarhuset", "open")}


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"interval": 3}, "interval_weeks"),
    ({"interval": 0}, "interval_weeks"),
    ({"district": "FIS"}, "district"),
    ({"first_on": WEDNESDAY - D}, "first_on"),
])
def test_series_refuses_bad_input(mtg, kwargs, field):
    with pytest.raises(MeetingError) as refused:
        _series(mtg, **kwargs)
    assert refused.value.field == field
    assert db.session.scalar(select(func.count()).select_from(MeetingSeries)) == 0
    assert db.session.scalar(select(func.count()).select_from(Meeting)) == 0


def test_a_second_series_or_extra_meeting_at_a_time_the_district_already_meets_is_refused(mtg):
    first = _series(mtg)
    meetings = db.session.scalar(select(func.count()).select_from(Meeting))
    with pytest.raises(MeetingError) as refused:
        _series(mtg, first_on=MONDAY + timedelta(weeks=1))  # same weekday and time, a week later
    assert refused.value.field == "first_on"
    with pytest.raises(MeetingError) as refused:
        services.add_meeting(actor=mtg.org.users["coordinator"], district=mtg.org.districts["ORM"],
                             held_on=MONDAY + timedelta(weeks=3), starts_at=time(9, 30), place="Medborgarhuset",
                             today=WEDNESDAY)
    assert refused.value.field == "held_on"
    assert db.session.scalar(select(func.count()).select_from(Meeting)) == meetings
    assert db.session.scalar(select(func.count()).select_from(MeetingSeries)) == 1
    # Controls: another time the same day, and the same time on another weekday, are fine.
    services.add_meeting(actor=mtg.org.users["coordinator"], district=mtg.org.districts["ORM"],
                         held_on=MONDAY + timedelta(weeks=3), starts_at=time(13, 0), place="Medborgarhuset",
                         today=WEDNESDAY)
    _series(mtg, first_on=MONDAY + D)
    assert first.active


def test_series_may_start_today(mtg):
    assert _days(_series(mtg, first_on=WEDNESDAY))[0] == WEDNESDAY


def test_generate_meetings_twice_creates_no_duplicates(mtg):
    series = _series(mtg, interval=2)
    before = _days(series)
    assert services.generate_meetings(series, today=WEDNESDAY) == []
    assert _days(series) == before
    later = services.generate_meetings(series, today=WEDNESDAY + timedelta(weeks=3))  # the horizon moved on
    assert [m.held_on for m in later] == [MONDAY + timedelta(weeks=8), MONDAY + timedelta(weeks=10)]
    assert services.generate_meetings(series, today=WEDNESDAY + timedelta(weeks=3)) == []
    days = _days(series)
    assert len(days) == len(set(days)) == 6
    assert all((d - MONDAY).days % 14 == 0 for d in days)
    series.active = False
    assert services.generate_meetings(series, today=WEDNESDAY + timedelta(weeks=10)) == []


def test_series_dates_keep_the_rhythm_after_the_first_day(mtg):
    series = _series(mtg, interval=2)
    assert services.series_dates(series, start=MONDAY + D, until=MONDAY + timedelta(weeks=5)) == [
        MONDAY + timedelta(weeks=2), MONDAY + timedelta(weeks=4)]


def test_previous_meeting_on(mtg):
    series = _series(mtg)
    first, second, third = db.session.scalars(select(Meeting).where(Meeting.series_id == series.id)
                                              .order_by(Meeting.held_on).limit(3))
    assert services.previous_meeting_on(first) == first.held_on - timedelta(days=14)
    assert services.previous_meeting_on(second) == first.held_on
    assert services.previous_meeting_on(third) == second.held_on
    # an extra meeting in between counts; one in another district does not
    extra = services.add_meeting(actor=mtg.org.users["coordinator"], district=mtg.org.districts["ORM"],
                                 held_on=second.held_on + 2 * D, starts_at=time(15), place="Skolan", today=WEDNESDAY)
    mtg.meeting("FIS", held_on=third.held_on - D)
    assert services.previous_meeting_on(third) == extra.held_on
    assert services.previous_meeting_on(extra) == second.held_on


def test_add_meeting_refuses_bad_input(mtg):
    coordinator, orm = mtg.org.users["coordinator"], mtg.org.districts["ORM"]
    for kwargs, field in (({"held_on": mtg.today - D}, "held_on"), ({"place": ""}, "place"),
                          ({"place": "x" * 121}, "place"), ({"district": mtg.org.districts["FIS"]}, "district")):
        args = {"actor": coordinator, "district": orm, "held_on": mtg.today, "starts_at": time(9), "place": "Rum",
                "today": mtg.today, **kwargs}
        with pytest.raises(MeetingError) as refused:
            services.add_meeting(**args)
        assert refused.value.field == field
    assert db.session.scalar(select(func.count()).select_from(Meeting)) == 0


def _attendance(meeting) -> dict[int, bool]:
    db.session.expire_all()
    return dict(db.session.execute(select(Attendance.agency_id, Attendance.present)
                                   .where(Attendance.meeting_id == meeting.id)).tuples().all())


def test_attendance_is_saved_and_updated(mtg):
    meeting, a = mtg.meeting(), mtg.org.agencies
    offered = [a["school"].id, a["police"].id, a["soc"].id]
    coordinator = mtg.org.users["coordinator"]
    services.set_attendance(actor=coordinator, meeting=meeting, present=[a["school"].id, a["police"].id],
                            agency_ids=offered)
    assert _attendance(meeting) == {a["school"].id: True, a["police"].id: True, a["soc"].id: False}
    services.set_attendance(actor=coordinator, meeting=meeting, present=[a["soc"].id], agency_ids=offered)
    assert _attendance(meeting) == {a["school"].id: False, a["police"].id: False, a["soc"].id: True}


def _entries(meeting) -> list[MeetingEntry]:
    return list(db.session.scalars(select(MeetingEntry).where(MeetingEntry.meeting_id == meeting.id)
                                   .order_by(MeetingEntry.created_at)))


def _events() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "meeting.decision_recorded")))


def test_decision_is_encrypted_and_audited(mtg):
    case, meeting = mtg.active(), mtg.meeting()
    plain = "Skolan bjuder in till möte med vårdnadshavarna före jul."
    entry = services.record_decision(actor=mtg.org.users["coordinator"], meeting=meeting, case=case, text=plain)
    raw = db.session.execute(text("SELECT text FROM meeting_entries")).scalars().all()
    assert len(raw) == 1 and plain.encode() not in bytes(raw[0]) and "vårdnadshavarna".encode() not in bytes(raw[0])
    db.session.expire_all()
    assert (entry.text, entry.kind, entry.corrects_id) == (plain, EntryKind.DECISION, None)
    [event] = _events()
    assert (event.target_type, event.target_id, event.subject_ref) == ("meeting", str(meeting.id), case.youth.ref)
    assert event.fields == ["text"] and event.detail == {"kind": "decision", "case": case.code}
    assert event.actor_id == str(mtg.org.users["coordinator"].id)
    assert "vårdnadshavarna" not in str(event.detail)


@pytest.mark.parametrize("bad", ["", None, "x" * 2001])
def test_decision_text_is_required_and_limited(mtg, bad):
    case, meeting = mtg.active(), mtg.meeting()
    with pytest.raises(MeetingError) as refused:
        services.record_decision(actor=mtg.org.users["coordinator"], meeting=meeting, case=case, text=bad)
    assert refused.value.field == "text"
    assert _entries(meeting) == [] and _events() == []
    services.record_decision(actor=mtg.org.users["coordinator"], meeting=meeting, case=case, text="x" * 2000)
    assert len(_entries(meeting)) == 1


def test_decision_on_a_case_moved_to_another_district_is_refused(mtg):
    case, meeting = mtg.active(), mtg.meeting()
    services.add_case(actor=mtg.org.users["coordinator"], meeting=meeting, case=case, version=meeting.agenda_version)
    case.district_id = mtg.org.districts["FIS"].id
    db.session.flush()
    with pytest.raises(MeetingError) as refused:
        services.record_decision(actor=mtg.org.users["coordinator"], meeting=meeting, case=case, text="Beslut.")
    assert "Orminge" in str(refused.value) and refused.value.field == "text"
    assert _entries(meeting) == [] and _events() == []


def _state(mtg, meeting):
    db.session.expire_all()
    items = [(i.case_id, i.position, i.removed, i.youth_took_part, i.reasons) for i in mtg.items(meeting)]
    entries = [(e.id, e.kind, e.text) for e in _entries(meeting)]
    return meeting.status, meeting.agenda_version, items, _attendance(meeting), entries


def test_closed_meeting_refuses_every_write(mtg):
    coordinator, a = mtg.org.users["coordinator"], mtg.org.agencies
    first, second, later = mtg.flag(mtg.active()), mtg.flag(mtg.active()), mtg.active()
    meeting = mtg.meeting()
    services.ensure_agenda(meeting)
    services.set_attendance(actor=coordinator, meeting=meeting, present=[a["school"].id], agency_ids=[a["school"].id])
    services.record_decision(actor=coordinator, meeting=meeting, case=first, text="Fortsätt som planerat.")
    services.close_meeting(actor=coordinator, meeting=meeting, now=mtg.now)
    assert meeting.locked and meeting.closed_at == mtg.now and meeting.closed_by_id == coordinator.id
    before = _state(mtg, meeting)
    item, version = mtg.item(meeting, first), meeting.agenda_version
    mtg.flag(later)
    writes = [
        lambda: services.refresh_agenda(actor=coordinator, meeting=meeting, version=version),
        lambda: services.remove_item(actor=coordinator, meeting=meeting, item=item, version=version),
        lambda: services.move_item(actor=coordinator, meeting=meeting, item=item, up=False, version=version),
        lambda: services.add_case(actor=coordinator, meeting=meeting, case=later, version=version),
        lambda: services.set_attendance(actor=coordinator, meeting=meeting, present=[],
                                        agency_ids=[a["school"].id, a["police"].id]),
        lambda: services.record_decision(actor=coordinator, meeting=meeting, case=second, text="För sent."),
        lambda: services.set_network(actor=coordinator, meeting=meeting, item=item, youth=True, guardians=True),
        lambda: services.close_meeting(actor=coordinator, meeting=meeting, now=mtg.now),
    ]
    for n, write in enumerate(writes):
        with pytest.raises(MeetingError):
            write()
        assert _state(mtg, meeting) == before, n
    assert services.ensure_agenda(meeting) is False


def test_correction_is_a_new_entry_after_closing(mtg):
    coordinator = mtg.org.users["coordinator"]
    case, other_case = mtg.flag(mtg.active()), mtg.flag(mtg.active())
    meeting, next_meeting = mtg.meeting(), mtg.meeting(held_on=mtg.meeting_on + 7 * D)
    services.ensure_agenda(meeting)
    original = services.record_decision(actor=coordinator, meeting=meeting, case=case, text="Möte den 3 december.")
    other = services.record_decision(actor=coordinator, meeting=meeting, case=other_case, text="Inget nytt.")
    elsewhere = services.record_decision(actor=coordinator, meeting=next_meeting, case=case, text="Uppföljning.")
    with pytest.raises(MeetingError):  # still open: write a new decision instead
        services.record_correction(actor=coordinator, meeting=meeting, case=case, text="Rätt: 4 dec.",
                                   corrects=original)
    services.close_meeting(actor=coordinator, meeting=meeting, now=mtg.now)
    for wrong in (other, elsewhere):
        with pytest.raises(MeetingError):
            services.record_correction(actor=coordinator, meeting=meeting, case=case, text="Rätt: 4 dec.",
                                       corrects=wrong)
    with pytest.raises(MeetingError):
        services.record_correction(actor=coordinator, meeting=meeting, case=case, text="", corrects=original)
    assert len(_entries(meeting)) == 2
    correction = services.record_correction(actor=coordinator, meeting=meeting, case=case,
                                            text="Rätt datum är den 4 december.", corrects=original)
    db.session.expire_all()
    assert correction.id != original.id
    assert (correction.kind, correction.corrects_id, correction.meeting_id) == (EntryKind.CORRECTION, original.id,
                                                                               meeting.id)
    assert original.text == "Möte den 3 december." and original.kind == EntryKind.DECISION
    assert len(_entries(meeting)) == 3 and len(_events()) == 4
    view = queries.meeting_view(coordinator, meeting, now=mtg.now, purpose="minutes")
    [item] = [v for v in view.items if v.case.id == case.id]
    assert [e.id for e in queries.decisions_in_order(item)] == [original.id, correction.id]


def _closed_elsewhere(meeting) -> None:
    """Another request closes the meeting; this session's object still says open."""
    db.session.execute(update(Meeting).where(Meeting.id == meeting.id).values(status="closed")
                       .execution_options(synchronize_session=False))
    assert not meeting.locked


def test_agenda_changes_recheck_closure_in_the_database(mtg):
    meeting = mtg.meeting()
    item = services.add_case(actor=mtg.org.users["coordinator"], meeting=meeting, case=mtg.active(),
                             version=meeting.agenda_version)
    version = meeting.agenda_version
    _closed_elsewhere(meeting)
    with pytest.raises(MeetingError) as refused:
        services.remove_item(actor=mtg.org.users["coordinator"], meeting=meeting, item=item, version=version)
    assert not isinstance(refused.value, services.MeetingConflict) and meeting.locked
    db.session.expire_all()
    assert item.removed is False and meeting.agenda_version == version


def test_a_meeting_closed_meanwhile_refuses_a_decision(mtg):
    case, meeting = mtg.active(), mtg.meeting()
    _closed_elsewhere(meeting)
    with pytest.raises(MeetingError):
        services.record_decision(actor=mtg.org.users["coordinator"], meeting=meeting, case=case, text="Sent beslut.")


def test_moving_a_removed_item_is_refused(mtg):
    coordinator, meeting = mtg.org.users["coordinator"], mtg.meeting()
    item = services.add_case(actor=coordinator, meeting=meeting, case=mtg.active(), version=meeting.agenda_version)
    services.remove_item(actor=coordinator, meeting=meeting, item=item, version=meeting.agenda_version)
    with pytest.raises(MeetingError):
        services.move_item(actor=coordinator, meeting=meeting, item=item, up=True, version=meeting.agenda_version)
