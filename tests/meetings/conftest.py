"""Builders for the meeting tests: cases in every agenda state, built through the services.

``Meetings`` extends ``tests.case_factories.Cases`` with what an agenda needs: a meeting, a plan
review date, actions (an overdue one is made by moving a fresh action's deadline back in the
database, as the service refuses a past deadline), flags and closures at a given instant.

The clock: ``register_signal`` checks dates against the system's ``date.today()``, so the tests
run on today's date at a fixed time of day (10:00 UTC, the same Swedish date), and the meeting is
three days later. Without an earlier meeting, "since last time" then starts 14 days before it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import event, select, update

from sspf.access.scoping import sharing_agencies
from sspf.cases.models import Case
from sspf.extensions import db
from sspf.meetings import services
from sspf.meetings.models import AgendaItem, Meeting
from sspf.plans import services as plan_services
from sspf.plans.models import Action, ActionStatus
from tests.case_factories import Cases

TODAY = date.today()
NOW = datetime.combine(TODAY, time(10), tzinfo=UTC)
MEETING_ON = TODAY + timedelta(days=3)


class Meetings(Cases):
    def __init__(self, org) -> None:
        super().__init__(org, now=NOW)
        self.meeting_on = MEETING_ON

    def meeting(self, district: str = "ORM", *, held_on: date = MEETING_ON) -> Meeting:
        coordinator = self.org.users["coordinator" if district == "ORM" else "coordinator_fis"]
        return services.add_meeting(actor=coordinator, district=self.org.districts[district], held_on=held_on,
                                    starts_at=time(13, 30), place="Kommunhuset, rum 2", today=self.today)

    def active(self, by: str = "field_worker", district: str = "ORM", *, scope=None, **consent) -> Case:
        """A triaged case with a consent (by default police sees police and school, for 30 days)."""
        case = self.open_case(by, district)
        self.consent(case, scope or {"police": {"police", "school"}}, **consent)
        return case

    def action(self, case: Case, owner: str = "police", *, deadline: date | None = None,
               text: str = "Hembesök") -> Action:
        return plan_services.action_add(
            actor=self.coordinator_of(case), case=case, text=text, owner_agency=self.org.agencies[owner],
            owner_user=None, deadline=deadline or self.today + timedelta(days=21), today=self.today,
            allowed_agency_ids=sharing_agencies(case, now=self.now))

    def overdue(self, case: Case, *, days: int = 2, status: ActionStatus = ActionStatus.OPEN) -> Action:
        action = self.action(case)
        db.session.execute(update(Action).where(Action.id == action.id)
                           .values(deadline=self.today - timedelta(days=days), status=status)
                           .execution_options(synchronize_session=False))
        db.session.refresh(action)
        return action

    def review(self, case: Case, on: date | None = None) -> None:
        plan_services.plan_update(actor=self.coordinator_of(case), case=case, guardians_informed_on=None,
                                  next_review_on=on or self.today, mapping={}, today=self.today)

    def flag(self, case: Case) -> Case:
        case.flagged_for_meeting = True
        db.session.flush()
        return case

    def closed(self, case: Case, *, at: datetime | None = None) -> Case:
        self.close(case)
        case.closed_at = at or self.now
        db.session.flush()
        return case

    def items(self, meeting: Meeting, *, removed: bool | None = None) -> list[AgendaItem]:
        query = select(AgendaItem).where(AgendaItem.meeting_id == meeting.id).order_by(AgendaItem.position)
        if removed is not None:
            query = query.where(AgendaItem.removed.is_(removed))
        return list(db.session.scalars(query))

    def item(self, meeting: Meeting, case: Case) -> AgendaItem:
        return db.session.scalar(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id,
                                                          AgendaItem.case_id == case.id))


@pytest.fixture
def mtg(org, session) -> Meetings:
    return Meetings(org)


@contextmanager
def counting() -> Iterator[list[str]]:
    """Every statement sent on the test's connection (the ``session`` fixture routes all through one)."""
    statements: list[str] = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    target = db.engine
    event.listen(target, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        event.remove(target, "before_cursor_execute", before_cursor_execute)


@pytest.fixture
def count_statements():
    return counting
