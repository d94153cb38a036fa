"""Reads of plans and task lists, through the same access rule as the case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from sspf.access.rules import Actor, CaseAccess
from sspf.access.scoping import visible_cases
from sspf.audit import AuditAction, record
from sspf.auth.models import User
from sspf.cases.models import Case, CaseStatus
from sspf.extensions import db
from sspf.plans.models import MAPPING_SECTIONS, Action, ActionStatus, Goal, Plan, PlanChange


@dataclass
class PlanView:
    plan: Plan | None
    goals: list[Goal]
    actions: list[Action]
    history: list[tuple[PlanChange, str]]
    sections: list[str]


def plan_view(user: User, case: Case, access: CaseAccess) -> PlanView:
    """The plan as ``access`` allows: goals and actions are shared work (basic); each mapping section
    belongs to the category of the party that knows it (school, leisure, family...)."""
    plan = db.session.scalar(select(Plan).where(Plan.case_id == case.id))
    goals = actions = []
    history: list[tuple[PlanChange, str]] = []
    if plan is not None:
        goals = list(db.session.scalars(select(Goal).where(Goal.plan_id == plan.id).order_by(Goal.created_at)))
        actions = list(db.session.scalars(select(Action).where(Action.plan_id == plan.id)
                                          .order_by(Action.status, Action.deadline)))
        history = [(change, name) for change, name in db.session.execute(
            select(PlanChange, User.display_name).join(User, User.id == PlanChange.actor_id)
            .where(PlanChange.case_id == case.id).order_by(PlanChange.at.desc()).limit(50))]
    sections = [s for s, category in MAPPING_SECTIONS.items() if access.sees(category)]
    record(AuditAction.PLAN_READ, actor=user, target_type="case", target_id=case.id, subject_ref=case.youth.ref,
           fields=["goals", "actions"] + [f"mapping_{s}" for s in sections], flagged=access.flagged)
    return PlanView(plan=plan, goals=goals, actions=actions, history=history, sections=sections)


@dataclass
class Task:
    action: Action
    case_code: str
    overdue: bool


def tasks_for(user: User, *, now: datetime, today: date, mine: bool) -> list[Task]:
    """Open actions on open cases the user may see: the user's own ("my tasks") or the agency's ("our tasks"),
    overdue first, then by deadline."""
    actor = Actor.of(user)
    owner = Action.owner_user_id == user.id if mine else Action.owner_agency_id == user.agency_id
    rows = db.session.execute(
        select(Action, Case.code).join(Case, Case.id == Action.case_id)
        # A closed case's plan is over: its open actions are no one's task any more (and cannot be marked done).
        .where(owner, Action.status == ActionStatus.OPEN, Case.status != CaseStatus.CLOSED,
               visible_cases(actor, now=now))
        .order_by(Action.deadline, Case.code).limit(200)).all()
    if rows:
        record(AuditAction.TASKS_LISTED, actor=user, target_type="task_list", fields=["action.text"],
               detail={"count": len(rows), "mine": mine})
    return [Task(action=action, case_code=code, overdue=action.deadline < today) for action, code in rows]
