"""Reads of meetings: the list, the meeting view and the minutes, through the case access rule.

A viewer sees only the agenda cases the rule lets them see, and of those only the contacts the
contact rule allows; the meeting never widens access. Every read is a constant number of queries,
whatever the number of cases on the agenda.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import abort
from sqlalchemy import or_, select

from sspf.access.rules import Actor, CaseAccess, case_access, contact_visible
from sspf.access.scoping import CASE_REF_COLUMNS, CaseRef, case_facts_many, sharing_agencies_many, visible_cases
from sspf.audit import AuditAction, record
from sspf.auth.models import User
from sspf.calendar import LOCAL_ZONE
from sspf.cases.models import Case, Youth
from sspf.catalogue import catalogue
from sspf.contacts.models import Contact
from sspf.db import parse_uuid
from sspf.extensions import db
from sspf.meetings.models import AgendaItem, Attendance, EntryKind, Meeting, MeetingEntry
from sspf.meetings.services import last_meeting_before, previous_meeting_on
from sspf.org.models import Agency
from sspf.org.queries import active_authorities
from sspf.plans.models import Action, ActionStatus

#: An agenda item as the views read it (a plain row: an agenda may hold hundreds of cases).
_ITEM_COLUMNS = (AgendaItem.id, AgendaItem.position, AgendaItem.reasons, AgendaItem.removed,
                 AgendaItem.youth_took_part, AgendaItem.guardians_took_part)
#: Contacts in the meeting view: what, when and by whom, as plain rows; the note stays on the case page.
_CONTACT_SUMMARY = select(Contact.id, Contact.case_id, Contact.agency_id, Contact.category, Contact.occurred_on,
                          Contact.type, Contact.visibility, Agency.name.label("agency")
                          ).join(Agency, Agency.id == Contact.agency_id)


def get_meeting_for(user: User, meeting_id: str, *, coordinate: bool = False) -> Meeting:
    """A meeting of one of the user's districts; any other id, and any user of a non-authority agency, gets
    not found. ``coordinate`` needs the coordinator."""
    mid = parse_uuid(meeting_id)
    meeting = db.session.get(Meeting, mid) if mid else None
    if meeting is None or meeting.district_id not in user.district_ids or not Actor.of(user).reads_cases:
        abort(404)
    if coordinate and not Actor.of(user).is_coordinator:
        abort(403)
    return meeting


def meetings_for(user: User, *, today: date) -> tuple[list[Meeting], list[Meeting]]:
    """Upcoming and the last past meetings of the user's districts."""
    districts = sorted(user.district_ids)
    upcoming = list(db.session.scalars(select(Meeting).where(Meeting.district_id.in_(districts),
                                                             Meeting.held_on >= today)
                                       .order_by(Meeting.held_on, Meeting.starts_at).limit(20)))
    past = list(db.session.scalars(select(Meeting).where(Meeting.district_id.in_(districts), Meeting.held_on < today)
                                   .order_by(Meeting.held_on.desc()).limit(20)))
    return upcoming, past


@dataclass(frozen=True)
class AgendaRow:
    id: uuid.UUID
    position: int
    reasons: list[str]
    removed: bool
    youth_took_part: bool
    guardians_took_part: bool


@dataclass
class AgencyNews:
    """What one agency did in a case since the last meeting."""

    contacts: list = field(default_factory=list)  # rows: occurred_on, type, agency...
    done: list[Action] = field(default_factory=list)
    new: list[Action] = field(default_factory=list)


@dataclass
class ItemView:
    item: AgendaRow
    case: CaseRef
    access: CaseAccess
    news: dict[str, AgencyNews] = field(default_factory=dict)
    decisions: list[MeetingEntry] = field(default_factory=list)
    #: Actions agreed at this meeting.
    agreed: list[Action] = field(default_factory=list)
    #: Every other open action of the case: the meeting goes through who does what by when.
    open: list[Action] = field(default_factory=list)
    #: The agencies the case is shared with (the possible owners of an action), for the coordinator's meeting
    #: page; None for other readers and in the minutes.
    shared: set[int] | None = None


@dataclass
class MeetingView:
    meeting: Meeting
    previous_on: date
    #: False before the district's first meeting: ``previous_on`` is then a look-back, not a meeting day.
    after_a_meeting: bool
    items: list[ItemView]
    removed: list[tuple[AgendaRow, str]]
    attendance: dict[int, bool]
    agencies: list[Agency]


def meeting_view(user: User, meeting: Meeting, *, now: datetime, purpose: str = "meeting") -> MeetingView:
    """The agenda as ``user`` may see it, with what happened since the last meeting, grouped by agency."""
    actor = Actor.of(user)
    last = last_meeting_before(meeting)
    previous_on = last or previous_meeting_on(meeting)
    # Codes, never names (the agenda is read on a projector), and of the youth only what the rule needs.
    width = len(_ITEM_COLUMNS)
    rows = [(AgendaRow(*row[:width]), CaseRef(*row[width:])) for row in db.session.execute(
        select(*_ITEM_COLUMNS, *CASE_REF_COLUMNS).join(Case, Case.id == AgendaItem.case_id)
        .join(Youth, Youth.id == Case.youth_id)
        .where(AgendaItem.meeting_id == meeting.id, visible_cases(actor, now=now))
        .order_by(AgendaItem.position))]
    # The visible cases on the agenda as a subquery: one bound parameter, not one per case, for every read below.
    shown = (select(AgendaItem.case_id).join(Case, Case.id == AgendaItem.case_id)
             .where(AgendaItem.meeting_id == meeting.id, AgendaItem.removed.is_(False), visible_cases(actor, now=now)))
    facts = case_facts_many(actor, [case for item, case in rows if not item.removed], now=now, within=shown)
    everything = catalogue().codes("information_categories")
    views, removed = [], []
    for item, case in rows:
        if item.removed:
            removed.append((item, case.code))
            continue
        access = case_access(actor, facts[case.id], now=now, all_categories=everything)
        if access.visible:  # the SQL above and the pure rule agree; if they ever do not, show nothing
            views.append(ItemView(item=item, case=case, access=access))
    by_case = {v.case.id: v for v in views}
    if by_case:
        _add_news(actor, by_case, meeting, previous_on, shown)
        if actor.is_coordinator and purpose == "meeting":
            # One query for the whole agenda: the owners to offer and the open actions whose owner lost the case.
            shared = sharing_agencies_many(shown, now=now)
            for case_id, view in by_case.items():
                view.shared = shared.get(case_id, set())
        for entry in db.session.scalars(select(MeetingEntry).where(MeetingEntry.meeting_id == meeting.id,
                                                                   MeetingEntry.case_id.in_(shown))
                                        .order_by(MeetingEntry.created_at)):
            if entry.case_id in by_case:
                by_case[entry.case_id].decisions.append(entry)
    attendance = {a.agency_id: a.present for a in db.session.scalars(
        select(Attendance).where(Attendance.meeting_id == meeting.id))}
    agencies = active_authorities()
    record(AuditAction.MEETING_READ if purpose == "meeting" else AuditAction.MINUTES_EXPORTED, actor=user,
           target_type="meeting", target_id=meeting.id, fields=["code", "decisions", "actions", "contacts"],
           flagged=any(v.access.flagged for v in views), detail={"cases": len(views), "view": purpose})
    return MeetingView(meeting=meeting, previous_on=previous_on, after_a_meeting=last is not None, items=views,
                       removed=removed,
                       attendance=attendance, agencies=agencies)


def _add_news(actor: Actor, by_case: dict[uuid.UUID, ItemView], meeting: Meeting, previous_on: date, shown) -> None:
    contacts = _CONTACT_SUMMARY.where(Contact.case_id.in_(shown), Contact.occurred_on > previous_on,
                                      Contact.occurred_on <= meeting.held_on).order_by(Contact.occurred_on)
    for contact in db.session.execute(contacts):
        view = by_case.get(contact.case_id)
        if view is not None and contact_visible(actor, view.access, agency_id=contact.agency_id,
                                                category=contact.category, visibility=contact.visibility):
            _news(view, contact.agency).contacts.append(contact)
    # Since the end of the last meeting's day (local time): what was agreed there is in its own minutes.
    since = datetime.combine(previous_on + timedelta(days=1), time.min, tzinfo=LOCAL_ZONE)
    for action in db.session.scalars(select(Action).where(
            Action.case_id.in_(shown), or_(Action.created_at > since, Action.done_at > since,
                                           Action.meeting_id == meeting.id, Action.status == ActionStatus.OPEN))
            .order_by(Action.deadline)):
        view = by_case.get(action.case_id)
        if view is None:
            continue
        if action.meeting_id == meeting.id:
            view.agreed.append(action)
        elif action.status == ActionStatus.OPEN:
            view.open.append(action)
        elif action.status == ActionStatus.DONE and action.done_at and action.done_at > since:
            _news(view, action.owner_agency.name).done.append(action)
        if action.meeting_id != meeting.id and action.created_at > since:
            _news(view, action.owner_agency.name).new.append(action)


def _news(view: ItemView, agency: str) -> AgencyNews:
    if agency not in view.news:
        view.news[agency] = AgencyNews()
    return view.news[agency]


def decisions_in_order(view: ItemView) -> list[MeetingEntry]:
    """Decisions, each followed by its corrections."""
    originals = [e for e in view.decisions if e.kind == EntryKind.DECISION]
    corrections = defaultdict(list)
    for e in view.decisions:
        if e.kind == EntryKind.CORRECTION:
            corrections[e.corrects_id].append(e)
    ordered = []
    for e in originals:
        ordered += [e, *corrections.pop(e.id, [])]
    return ordered + [e for rest in corrections.values() for e in rest]
