"""The agenda rules: which cases a district's meeting on a given date should go through, and why.

``reasons`` is the rule, pure: one case's facts and two dates in, rule codes out. ``agenda_facts``
gathers the facts of every candidate case of a district in one query; its WHERE clause is a cheap
superset of the rule, so the rule, not the SQL, has the last word.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, exists, func, or_, select

from sspf.calendar import today_of
from sspf.cases.models import Case, CaseStatus
from sspf.catalogue import catalogue
from sspf.consent.models import Consent
from sspf.extensions import db
from sspf.plans.models import Action, ActionStatus, Plan

NEW_SIGNAL = "new_signal"
FLAGGED = "flagged"
REVIEW_DUE = "review_due"
ACTION_OVERDUE = "action_overdue"
CONSENT_EXPIRING = "consent_expiring"
CONSENT_EXPIRED = "consent_expired"
CLOSED = "closed_since_last"
ADDED = "added"  # put on the agenda by the coordinator
#: The rules in the order the agenda lists them: what needs a decision first, the record last.
RULES = (NEW_SIGNAL, FLAGGED, REVIEW_DUE, ACTION_OVERDUE, CONSENT_EXPIRING, CONSENT_EXPIRED, CLOSED)
#: Consent expiring within this many days is flagged; the catalogue's ``consent.expiry_warning_days``.
EXPIRY_WARNING = timedelta(days=14)
#: Without an earlier meeting, "since last time" means the last two weeks.
DEFAULT_LOOKBACK = timedelta(days=14)


@dataclass(frozen=True)
class AgendaFacts:
    case_id: uuid.UUID
    code: str
    status: CaseStatus
    flagged: bool = False
    next_review_on: date | None = None
    earliest_open_deadline: date | None = None
    #: The last day of the latest consent that is neither withdrawn nor replaced, None if there is none.
    consent_until: date | None = None
    #: The case has had a consent at some time (withdrawn or expired ones included).
    had_consent: bool = False
    closed_on: date | None = None


def reasons(facts: AgendaFacts, *, meeting_on: date, previous_on: date,
            warning: timedelta = EXPIRY_WARNING) -> list[str]:
    """Why the case belongs on the agenda of the meeting on ``meeting_on``; empty if it does not."""
    found = []
    running = facts.status != CaseStatus.CLOSED
    consented = facts.status in {CaseStatus.TRIAGED, CaseStatus.ACTIVE}
    if facts.status == CaseStatus.SIGNAL:
        found.append(NEW_SIGNAL)
    if facts.flagged and running:
        found.append(FLAGGED)
    if running and facts.next_review_on is not None and facts.next_review_on <= meeting_on:
        found.append(REVIEW_DUE)
    if running and facts.earliest_open_deadline is not None and facts.earliest_open_deadline < meeting_on:
        found.append(ACTION_OVERDUE)
    until = facts.consent_until
    if consented and until is not None and meeting_on <= until <= meeting_on + warning:
        found.append(CONSENT_EXPIRING)
    if consented and facts.had_consent and (facts.consent_until is None or facts.consent_until < meeting_on):
        found.append(CONSENT_EXPIRED)
    if not running and facts.closed_on is not None and previous_on < facts.closed_on <= meeting_on:
        found.append(CLOSED)
    return found


def order_key(item_reasons: list[str], code: str) -> tuple[int, str]:
    ranks = [RULES.index(r) for r in item_reasons if r in RULES]
    return (min(ranks) if ranks else len(RULES), code)


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def agenda_facts(district_id: int, *, meeting_on: date, previous_on: date,
                 warning: timedelta = EXPIRY_WARNING) -> list[AgendaFacts]:
    """Facts of every case in the district that might meet a rule, in one query."""
    open_deadline = (select(func.min(Action.deadline))
                     .where(Action.case_id == Case.id, Action.status == ActionStatus.OPEN).scalar_subquery())
    # A replaced consent is out of force like a withdrawn one: only the latest recorded consent can run out.
    live_consent = (select(func.max(Consent.valid_until))
                    .where(Consent.case_id == Case.id, Consent.withdrawn_at.is_(None), Consent.replaced_at.is_(None),
                           Consent.signed_on <= meeting_on).scalar_subquery())
    any_consent = exists(select(Consent.id).where(Consent.case_id == Case.id, Consent.signed_on <= meeting_on))
    running = Case.status != CaseStatus.CLOSED
    candidate = or_(
        Case.status == CaseStatus.SIGNAL,
        and_(running, Case.flagged_for_meeting.is_(True)),
        and_(running, Plan.next_review_on <= meeting_on),
        and_(running, exists(select(Action.id).where(Action.case_id == Case.id, Action.status == ActionStatus.OPEN,
                                                     Action.deadline < meeting_on))),
        # No live consent because those signed by the meeting day are replaced: the last of the chain that replaced
        # them is withdrawn or (for a past meeting) signed after that day. Matching that, rather than any replaced
        # consent, keeps every case whose consent was once renewed from being a candidate.
        and_(Case.status.in_([CaseStatus.TRIAGED, CaseStatus.ACTIVE]),
             exists(select(Consent.id).where(Consent.case_id == Case.id, or_(
                 Consent.valid_until <= meeting_on + warning, Consent.withdrawn_at.is_not(None),
                 Consent.signed_on > meeting_on)))),
        # A day's margin either side of the local dates; the rule decides exactly.
        and_(Case.status == CaseStatus.CLOSED, Case.closed_at >= _utc_midnight(previous_on),
             Case.closed_at < _utc_midnight(meeting_on + timedelta(days=2))),
    )
    rows = db.session.execute(
        select(Case.id, Case.code, Case.status, Case.flagged_for_meeting, Plan.next_review_on, open_deadline,
               live_consent, any_consent, Case.closed_at)
        .outerjoin(Plan, Plan.case_id == Case.id)
        .where(Case.district_id == district_id, candidate)
    ).all()
    return [AgendaFacts(case_id=r[0], code=r[1], status=CaseStatus(r[2]), flagged=r[3], next_review_on=r[4],
                        earliest_open_deadline=r[5], consent_until=r[6], had_consent=bool(r[7]),
                        closed_on=today_of(r[8]) if r[8] else None) for r in rows]


def due_cases(district_id: int, *, meeting_on: date, previous_on: date) -> list[tuple[AgendaFacts, list[str]]]:
    """The cases the rules put on the agenda, in agenda order, with their reasons."""
    warning = timedelta(days=catalogue().consent_rule("expiry_warning_days"))
    found = [(f, reasons(f, meeting_on=meeting_on, previous_on=previous_on, warning=warning))
             for f in agenda_facts(district_id, meeting_on=meeting_on, previous_on=previous_on, warning=warning)]
    found = [(f, r) for f, r in found if r]
    return sorted(found, key=lambda pair: order_key(pair[1], pair[0].code))
