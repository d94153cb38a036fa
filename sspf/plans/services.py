"""Writes to the plan. Each change leaves a history row (names of what changed) and an audit event."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from sspf.audit import AuditAction, record
from sspf.auth.models import User
from sspf.cases.models import Case, CaseStatus
from sspf.db import utcnow
from sspf.extensions import db
from sspf.org.models import Agency
from sspf.plans.models import MAPPING_SECTIONS, Action, ActionStatus, Goal, GoalStatus, Plan, PlanChange

MAX_TEXT = 500
MAX_MAPPING = 2000


class PlanError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def plan_of(case: Case) -> Plan | None:
    return db.session.scalar(select(Plan).where(Plan.case_id == case.id))


def _plan(case: Case) -> Plan:
    plan = plan_of(case)
    if plan is None:
        plan = Plan(case_id=case.id)
        db.session.add(plan)
        db.session.flush()
    return plan


def _open(case: Case) -> None:
    if case.status == CaseStatus.CLOSED:
        raise PlanError(_("Ärendet är avslutat. Rättelser görs som nya anteckningar."))


def _changed(*, actor: User, case: Case, entity: str, change: str, fields: Iterable[str]) -> None:
    fields = sorted(fields)
    db.session.add(PlanChange(case_id=case.id, actor_id=actor.id, entity=entity, change=change, fields=fields))
    record(AuditAction.PLAN_CHANGED, actor=actor, target_type="case", target_id=case.id, subject_ref=case.youth.ref,
           fields=[f"{entity}.{f}" for f in fields] or [entity], detail={"change": change})


def plan_update(*, actor: User, case: Case, guardians_informed_on: date | None, next_review_on: date | None,
                mapping: Mapping[str, str | None], today: date) -> list[str]:
    _open(case)
    if guardians_informed_on and guardians_informed_on > today:
        raise PlanError(_("Datumet kan inte ligga i framtiden."), "guardians_informed_on")
    if next_review_on and next_review_on < today:
        raise PlanError(_("Nästa uppföljning kan inte ligga bakåt i tiden."), "next_review_on")
    plan = _plan(case)
    changed = []
    for name, value in (("guardians_informed_on", guardians_informed_on), ("next_review_on", next_review_on)):
        if getattr(plan, name) != value:
            setattr(plan, name, value)
            changed.append(name)
    for section in MAPPING_SECTIONS:
        if section in mapping:
            value = mapping[section]
            if value is not None and len(value) > MAX_MAPPING:
                raise PlanError(_("Högst %(n)d tecken.", n=MAX_MAPPING), f"mapping_{section}")
            if getattr(plan, f"mapping_{section}") != value:
                setattr(plan, f"mapping_{section}", value)
                changed.append(f"mapping_{section}")
    if changed:
        db.session.flush()
        _changed(actor=actor, case=case, entity="plan", change="updated", fields=changed)
    return changed


def goal_add(*, actor: User, case: Case, text: str) -> Goal:
    _open(case)
    if not text or len(text) > MAX_TEXT:
        raise PlanError(_("Skriv målet med högst %(n)d tecken.", n=MAX_TEXT), "text")
    goal = Goal(plan_id=_plan(case).id, text=text)
    db.session.add(goal)
    db.session.flush()
    _changed(actor=actor, case=case, entity="goal", change="added", fields=["text"])
    return goal


def goal_set_status(*, actor: User, case: Case, goal: Goal, status: str) -> None:
    _open(case)
    if status not in {s.value for s in GoalStatus}:
        raise PlanError(_("Okänd status."), "status")
    if goal.status != status:
        goal.status = GoalStatus(status)
        _changed(actor=actor, case=case, entity="goal", change="status", fields=["status"])


def action_add(*, actor: User, case: Case, text: str, owner_agency: Agency, owner_user: User | None, deadline: date,
               today: date, allowed_agency_ids: set[int], meeting_id=None) -> Action:
    """An action owned by an agency the case is shared with; the deadline cannot precede its creation."""
    _open(case)
    if not text or len(text) > MAX_TEXT:
        raise PlanError(_("Beskriv åtgärden med högst %(n)d tecken.", n=MAX_TEXT), "text")
    if deadline < today:
        raise PlanError(_("Tidsgränsen kan inte ligga före dagens datum."), "deadline")
    if owner_agency.id not in allowed_agency_ids:
        raise PlanError(_("Ärendet delas inte med den organisationen: samtycket omfattar den inte."), "owner_agency")
    if owner_user is not None and (owner_user.agency_id != owner_agency.id or not owner_user.active):
        raise PlanError(_("Personen hör inte till den organisationen."), "owner_user")
    if owner_user is not None and case.district_id not in owner_user.district_ids:
        # Someone of the right agency in another district does not work with this youth: the rule hides the case.
        raise PlanError(_("Personen arbetar inte i ärendets område."), "owner_user")
    action = Action(plan_id=_plan(case).id, case_id=case.id, text=text, owner_agency_id=owner_agency.id,
                    owner_user_id=owner_user.id if owner_user else None, deadline=deadline, created_by_id=actor.id,
                    meeting_id=meeting_id)
    db.session.add(action)
    db.session.flush()
    _changed(actor=actor, case=case, entity="action", change="added", fields=["text", "owner", "deadline"])
    return action


def action_set_status(*, actor: User, case: Case, action: Action, status: str) -> None:
    _open(case)
    if status not in {s.value for s in ActionStatus}:
        raise PlanError(_("Okänd status."), "status")
    if action.status != status:
        action.status = ActionStatus(status)
        action.done_at = utcnow() if status == ActionStatus.DONE else None
        _changed(actor=actor, case=case, entity="action", change="status", fields=["status"])
