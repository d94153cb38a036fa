"""Writes to meetings: series, the agenda, attendance, decisions, closing and corrections.

Every agenda change names the agenda version it was made against; a change against an older
version is refused (two coordinators at one agenda), so nothing is silently overwritten. A closed
meeting refuses every change except a correction, which is a new entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from sspf.access.scoping import sharing_agencies
from sspf.audit import AuditAction, record
from sspf.auth.models import User
from sspf.cases.models import Case
from sspf.db import utcnow
from sspf.extensions import db
from sspf.meetings import agenda
from sspf.meetings.models import AgendaItem, Attendance, EntryKind, Meeting, MeetingEntry, MeetingSeries, MeetingStatus
from sspf.org.models import Agency, District
from sspf.plans import services as plans
from sspf.plans.models import Action

MAX_DECISION = 2000
MAX_PLACE = 120
#: How far ahead a series' single meetings exist.
HORIZON = timedelta(weeks=8)


class MeetingError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class MeetingConflict(MeetingError):
    """The agenda changed since the user loaded it."""


def _changed(actor: User, meeting: Meeting, change: str, **detail) -> None:
    record(AuditAction.MEETING_CHANGED, actor=actor, target_type="meeting", target_id=meeting.id,
           detail={"change": change, **detail})


def _place(place: str | None) -> str:
    if not place or len(place) > MAX_PLACE:
        raise MeetingError(_("Ange plats med högst %(n)d tecken.", n=MAX_PLACE), "place")
    return place


# --- series and meetings -------------------------------------------------------------------------

def create_series(*, actor: User, district: District, first_on: date, starts_at: time, place: str,
                  interval_weeks: int, today: date) -> MeetingSeries:
    if district.id not in actor.district_ids:
        raise MeetingError(_("Du samordnar inte det området."), "district")
    if interval_weeks not in (1, 2):
        raise MeetingError(_("Välj varje eller varannan vecka."), "interval_weeks")
    if first_on < today:
        raise MeetingError(_("Första mötet kan inte ligga bakåt i tiden."), "first_on")
    series = MeetingSeries(district_id=district.id, weekday=first_on.weekday(), starts_at=starts_at,
                           place=_place(place), interval_weeks=interval_weeks, first_on=first_on,
                           created_by_id=actor.id)
    if _taken(district, series_dates(series, start=today, until=today + HORIZON), starts_at):
        raise MeetingError(_("Området har redan möten på den veckodagen och tiden."), "first_on")
    db.session.add(series)
    db.session.flush()
    created = generate_meetings(series, today=today)
    record(AuditAction.MEETING_CHANGED, actor=actor, target_type="meeting_series", target_id=series.id,
           detail={"change": "series_created", "meetings": len(created)})
    return series


def series_dates(series: MeetingSeries, *, start: date, until: date) -> list[date]:
    """The series' meeting days from ``start`` to ``until`` (both included)."""
    step = timedelta(weeks=series.interval_weeks)
    day = series.first_on
    if day < start:
        day += step * -(-(start - day).days // step.days)
    days = []
    while day <= until:
        days.append(day)
        day += step
    return days


def generate_meetings(series: MeetingSeries, *, today: date) -> list[Meeting]:
    """Create the series' missing single meetings up to the horizon; existing ones are left alone."""
    if not series.active:
        return []
    days = series_dates(series, start=today, until=today + HORIZON)
    existing = set(db.session.scalars(select(Meeting.held_on).where(Meeting.series_id == series.id,
                                                                     Meeting.held_on.in_(days))))
    created = [Meeting(district_id=series.district_id, series_id=series.id, held_on=day, starts_at=series.starts_at,
                       place=series.place) for day in days if day not in existing]
    db.session.add_all(created)
    db.session.flush()
    return created


def _taken(district: District, days: list[date], starts_at: time) -> bool:
    """The district already meets on one of ``days`` at ``starts_at``: a second meeting would build a second
    agenda of the same cases, and there is no way to take a meeting away again."""
    return db.session.scalar(select(Meeting.id).where(Meeting.district_id == district.id, Meeting.held_on.in_(days),
                                                      Meeting.starts_at == starts_at).limit(1)) is not None


def add_meeting(*, actor: User, district: District, held_on: date, starts_at: time, place: str,
                today: date) -> Meeting:
    """An extra meeting outside the series."""
    if district.id not in actor.district_ids:
        raise MeetingError(_("Du samordnar inte det området."), "district")
    if held_on < today:
        raise MeetingError(_("Mötet kan inte ligga bakåt i tiden."), "held_on")
    if _taken(district, [held_on], starts_at):
        raise MeetingError(_("Området har redan ett möte den dagen och tiden."), "held_on")
    meeting = Meeting(district_id=district.id, held_on=held_on, starts_at=starts_at, place=_place(place))
    db.session.add(meeting)
    db.session.flush()
    _changed(actor, meeting, "extra_meeting_created")
    return meeting


def last_meeting_before(meeting: Meeting) -> date | None:
    """The day of the district's last meeting before this one, if it has had one."""
    return db.session.scalar(select(func.max(Meeting.held_on)).where(
        Meeting.district_id == meeting.district_id, Meeting.held_on < meeting.held_on))


def previous_meeting_on(meeting: Meeting) -> date:
    """Where "since last time" starts: the last meeting's day, or a default look-back before the first meeting."""
    return last_meeting_before(meeting) or meeting.held_on - agenda.DEFAULT_LOOKBACK


# --- the agenda ----------------------------------------------------------------------------------

def _writable(meeting: Meeting) -> None:
    """Refuse writes to a closed meeting, reading its status from the database under a row lock: a meeting
    another request closed after this one loaded it is closed here too (on SQLite writers are serialised)."""
    status = db.session.scalar(select(Meeting.status).where(Meeting.id == meeting.id).with_for_update())
    if status == MeetingStatus.CLOSED or meeting.locked:
        db.session.refresh(meeting)
        raise MeetingError(_("Mötet är stängt och kan inte ändras. Skriv en rättelse i stället."))


def _own(meeting: Meeting, item: AgendaItem, *, shown: bool = False) -> None:
    if item.meeting_id != meeting.id:
        raise MeetingError(_("Punkten hör inte till det här mötet."))
    if shown and item.removed:
        raise MeetingError(_("Ärendet är borttaget från dagordningen. Lägg tillbaka det först."))


def _claim(meeting: Meeting, version: int | None) -> None:
    """Take the next agenda version, if the user's is still the current one (compare and swap in SQL,
    so two app processes cannot both win)."""
    _writable(meeting)
    where = [Meeting.id == meeting.id, Meeting.status == MeetingStatus.OPEN]
    if version is not None:
        where.append(Meeting.agenda_version == version)
    result = db.session.execute(update(Meeting).where(*where).values(agenda_version=Meeting.agenda_version + 1)
                                .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.refresh(meeting)
        if meeting.locked:
            _writable(meeting)
        raise MeetingConflict(_("Dagordningen har ändrats av någon annan sedan du öppnade sidan. "
                                "Sidan visar nu den senaste versionen; gör din ändring igen."))
    db.session.refresh(meeting, ["agenda_version"])


def _items(meeting: Meeting) -> list[AgendaItem]:
    return list(db.session.scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
                                   .order_by(AgendaItem.position)))


def _fill(meeting: Meeting) -> int:
    """Put every case the rules find on the agenda; keep what is there (order, removals, manual items)."""
    due = agenda.due_cases(meeting.district_id, meeting_on=meeting.held_on, previous_on=previous_meeting_on(meeting))
    items = {item.case_id: item for item in _items(meeting)}
    position = max((item.position for item in items.values()), default=0)
    added = 0
    for facts, found in due:
        item = items.get(facts.case_id)
        if item is None:
            position += 1
            db.session.add(AgendaItem(meeting_id=meeting.id, case_id=facts.case_id, position=position, reasons=found))
            added += 1
        else:
            item.reasons = sorted(set(found) | ({agenda.ADDED} & set(item.reasons)), key=_reason_rank)
    meeting.agenda_built_at = utcnow()
    db.session.flush()
    return added


def _reason_rank(reason: str) -> int:
    return agenda.RULES.index(reason) if reason in agenda.RULES else len(agenda.RULES)


def ensure_agenda(meeting: Meeting) -> bool:
    """Build the agenda the first time anyone opens an open meeting; only one request wins the build."""
    if meeting.agenda_built_at is not None or meeting.locked:
        return False
    claimed = db.session.execute(
        update(Meeting).where(Meeting.id == meeting.id, Meeting.agenda_built_at.is_(None))
        .values(agenda_built_at=utcnow(), agenda_version=Meeting.agenda_version + 1)
        .execution_options(synchronize_session=False))
    db.session.refresh(meeting)
    if claimed.rowcount != 1:
        return False
    _fill(meeting)
    return True


def refresh_agenda(*, actor: User, meeting: Meeting, version: int) -> int:
    _claim(meeting, version)
    added = _fill(meeting)
    _changed(actor, meeting, "agenda_refreshed", added=added)
    return added


def move_item(*, actor: User, meeting: Meeting, item: AgendaItem, up: bool, version: int) -> None:
    _own(meeting, item, shown=True)
    _claim(meeting, version)
    shown = [i for i in _items(meeting) if not i.removed]
    index = next(n for n, i in enumerate(shown) if i.id == item.id)
    other = index - 1 if up else index + 1
    if 0 <= other < len(shown):
        neighbour = shown[other]
        item.position, neighbour.position = neighbour.position, item.position
    _changed(actor, meeting, "agenda_reordered")


def _recorded_here(meeting: Meeting, item: AgendaItem) -> bool:
    """Something was recorded for the item's case at this meeting: a decision, an agreed action or network
    participation. The minutes list only the items on the agenda, so such an item must stay there."""
    if item.youth_took_part or item.guardians_took_part:
        return True
    decided = select(MeetingEntry.id).where(MeetingEntry.meeting_id == meeting.id,
                                            MeetingEntry.case_id == item.case_id)
    agreed = select(Action.id).where(Action.meeting_id == meeting.id, Action.case_id == item.case_id)
    return bool(db.session.scalar(select(decided.exists() | agreed.exists())))


def remove_item(*, actor: User, meeting: Meeting, item: AgendaItem, version: int) -> None:
    _own(meeting, item)
    # Checked under the meeting's row lock and before the version is claimed: a refusal leaves the version as it
    # was (the request still commits), and a decision being written at the same time waits for this removal.
    _writable(meeting)
    db.session.refresh(item)
    if _recorded_here(meeting, item):
        raise MeetingError(_("Ärendet har beslut, åtgärder eller nätverksmöte från mötet och kan inte tas bort "
                             "från dagordningen."))
    _claim(meeting, version)
    item.removed = True
    _changed(actor, meeting, "agenda_item_removed")


def add_case(*, actor: User, meeting: Meeting, case: Case | None, version: int) -> AgendaItem:
    """Put a case of the meeting's district on the agenda (again, if it was removed)."""
    if case is None or case.district_id != meeting.district_id:
        raise MeetingError(_("Det finns inget ärende med den koden i området."), "code")
    _claim(meeting, version)
    item = db.session.scalar(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id,
                                                      AgendaItem.case_id == case.id))
    last = db.session.scalar(select(func.max(AgendaItem.position)).where(AgendaItem.meeting_id == meeting.id)) or 0
    if item is None:
        item = AgendaItem(meeting_id=meeting.id, case_id=case.id, position=last + 1, reasons=[agenda.ADDED])
        db.session.add(item)
    elif item.removed:
        item.removed, item.position = False, last + 1
        item.reasons = sorted({*item.reasons, agenda.ADDED}, key=_reason_rank)
    else:
        raise MeetingError(_("Ärendet står redan på dagordningen."), "code")
    db.session.flush()
    _changed(actor, meeting, "agenda_item_added")
    return item


# --- during the meeting --------------------------------------------------------------------------

def set_attendance(*, actor: User, meeting: Meeting, present: Iterable[int], agency_ids: Iterable[int]) -> None:
    """Which of the agencies were there; ``agency_ids`` are the ones the form offered."""
    _writable(meeting)
    present = set(present)
    rows = {a.agency_id: a for a in db.session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id))}
    for agency_id in agency_ids:
        row = rows.get(agency_id)
        if row is None:
            db.session.add(Attendance(meeting_id=meeting.id, agency_id=agency_id, present=agency_id in present))
        else:
            row.present = agency_id in present
    db.session.flush()
    _changed(actor, meeting, "attendance", present=len(present))


def set_network(*, actor: User, meeting: Meeting, item: AgendaItem, youth: bool, guardians: bool) -> None:
    _own(meeting, item, shown=True)
    _writable(meeting)
    item.youth_took_part, item.guardians_took_part = youth, guardians
    _changed(actor, meeting, "network_participation")


def _on_agenda(meeting: Meeting, case: Case) -> None:
    if case.district_id != meeting.district_id:
        raise MeetingError(_("Ärendet hör inte längre till området %(district)s och kan inte beslutas här. "
                             "Din text finns kvar nedan.", district=meeting.district.name), "text")
    _not_removed(meeting, case)


def _not_removed(meeting: Meeting, case: Case) -> None:
    """Refuse an entry for an item taken off the agenda (a page loaded before the removal): the minutes would
    not show it. Read after the meeting's row lock, so a removal committed meanwhile is seen."""
    removed = db.session.scalar(select(AgendaItem.removed).where(AgendaItem.meeting_id == meeting.id,
                                                                 AgendaItem.case_id == case.id))
    if removed:
        raise MeetingError(_("Ärendet är borttaget från dagordningen. Lägg tillbaka det först."), "text")


def record_decision(*, actor: User, meeting: Meeting, case: Case, text: str | None) -> MeetingEntry:
    _writable(meeting)
    _on_agenda(meeting, case)
    return _entry(actor, meeting, case, text, EntryKind.DECISION)


def record_correction(*, actor: User, meeting: Meeting, case: Case, text: str | None,
                      corrects: MeetingEntry | None) -> MeetingEntry:
    """After closing: a new entry that says what was wrong, the original stays as it was."""
    if not meeting.locked:
        raise MeetingError(_("Mötet är inte stängt: skriv ett nytt beslut i stället."), "text")
    if corrects is None:
        # A decision typed before the meeting was closed: saved now it would be a correction of nothing.
        raise MeetingError(_("Mötet är stängt och kan inte ändras. Skriv en rättelse i stället."), "text")
    if corrects.meeting_id != meeting.id or corrects.case_id != case.id:
        raise MeetingError(_("Rättelsen måste gälla ett beslut i samma ärende på samma möte."), "text")
    return _entry(actor, meeting, case, text, EntryKind.CORRECTION, corrects=corrects)


def _entry(actor: User, meeting: Meeting, case: Case, text: str | None, kind: EntryKind,
           corrects: MeetingEntry | None = None) -> MeetingEntry:
    if not text or len(text) > MAX_DECISION:
        raise MeetingError(_("Skriv beslutet med högst %(n)d tecken.", n=MAX_DECISION), "text")
    entry = MeetingEntry(meeting_id=meeting.id, case_id=case.id, kind=kind, text=text, created_by_id=actor.id,
                         corrects_id=corrects.id if corrects else None)
    db.session.add(entry)
    db.session.flush()
    record(AuditAction.MEETING_DECISION, actor=actor, target_type="meeting", target_id=meeting.id,
           subject_ref=case.youth.ref, fields=["text"], detail={"kind": str(kind), "case": case.code})
    return entry


def agree_action(*, actor: User, meeting: Meeting, case: Case, text: str, owner_agency: Agency,
                 deadline: date, today: date, now: datetime) -> Action:
    """A new action in the case's plan, agreed at this meeting (the minutes list it under the meeting)."""
    _writable(meeting)
    if case.district_id != meeting.district_id:
        raise MeetingError(_("Ärendet hör inte längre till området och kan inte ändras här."), "text")
    _not_removed(meeting, case)
    return plans.action_add(actor=actor, case=case, text=text, owner_agency=owner_agency, owner_user=None,
                            deadline=deadline, today=today, allowed_agency_ids=sharing_agencies(case, now=now),
                            meeting_id=meeting.id)


def close_meeting(*, actor: User, meeting: Meeting, now: datetime) -> None:
    _writable(meeting)
    meeting.status, meeting.closed_at, meeting.closed_by_id = MeetingStatus.CLOSED, now, actor.id
    # The cases on the agenda were discussed, so their "flagged for discussion" is answered; a flag raised after
    # this moment puts the case on the next agenda again. A case taken off the agenda was not discussed: it keeps it.
    discussed = select(AgendaItem.case_id).where(AgendaItem.meeting_id == meeting.id, AgendaItem.removed.is_(False))
    db.session.execute(update(Case).where(Case.id.in_(discussed), Case.flagged_for_meeting.is_(True))
                       .values(flagged_for_meeting=False).execution_options(synchronize_session="fetch"))
    db.session.flush()
    _changed(actor, meeting, "closed")
