"""The plan page (mapping, goals, actions, history) and the task lists."""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from sspf.access.rules import Actor, can_coordinate
from sspf.access.scoping import sharing_agencies
from sspf.auth.models import User
from sspf.auth.permissions import Permission, Role, require
from sspf.cases.queries import get_case_for
from sspf.db import parse_uuid, utcnow
from sspf.extensions import db
from sspf.meetings.models import AgendaItem
from sspf.org.models import Agency, District
from sspf.plans import queries, services
from sspf.plans.forms import ActionForm, GoalForm, PlanForm, StatusForm
from sspf.plans.models import MAPPING_SECTIONS, Action, ActionStatus, Goal, GoalStatus
from sspf.web.forms import clean_text, show_service_error

bp = Blueprint("plans", __name__)
_MEETING_PAGE = re.compile(r"/meetings/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")

GOAL_LABELS = {GoalStatus.NOT_STARTED: _l("Ej påbörjat"), GoalStatus.IN_PROGRESS: _l("Pågår"),
               GoalStatus.REACHED: _l("Uppnått"), GoalStatus.NOT_REACHED: _l("Ej uppnått")}
ACTION_LABELS = {ActionStatus.OPEN: _l("Öppen"), ActionStatus.DONE: _l("Klar"), ActionStatus.CANCELLED: _l("Struken")}
#: The history in words: (entity, change) and field names as a reader of the plan says them.
HISTORY_LABELS = {
    ("plan", "updated"): _l("ändrade planen"), ("goal", "added"): _l("lade till ett mål"),
    ("goal", "status"): _l("ändrade status på ett mål"), ("action", "added"): _l("lade till en åtgärd"),
    ("action", "status"): _l("ändrade status på en åtgärd"),
}
FIELD_LABELS = {
    "guardians_informed_on": _l("vårdnadshavare informerade"), "next_review_on": _l("nästa uppföljning"),
    "mapping_school": _l("skola"), "mapping_leisure": _l("fritid"), "mapping_friends": _l("kamrater"),
    "mapping_family": _l("familj"), "mapping_strengths": _l("styrkor"),
}


def _user() -> User:
    return current_user._get_current_object()


def _load(case_id: str, *, coordinate: bool = False):
    return get_case_for(_user(), case_id, now=utcnow(), coordinate=coordinate)


def _item(model, item_id: str, case):
    """A goal or action of this case's plan; a guessed id, or one of another case, is not found."""
    uid = parse_uuid(item_id)
    item = db.session.get(model, uid) if uid else None
    plan = services.plan_of(case) if item is not None else None
    if item is None or plan is None or item.plan_id != plan.id:
        abort(404)
    return item


def _action_form(case, allowed: set[int]) -> ActionForm:
    """``allowed``: the agencies the case is shared with (``sharing_agencies``), the only possible owners."""
    form = ActionForm(prefix="action")
    agencies = list(db.session.scalars(select(Agency).where(Agency.id.in_(allowed)).order_by(Agency.name)))
    form.owner_agency.choices = [(a.id, a.name) for a in agencies]
    # Only those who work in the case's district: the service refuses anyone else (and they would not see the case).
    people = db.session.scalars(select(User).where(User.agency_id.in_(allowed), User.active.is_(True),
                                                   User.role.in_([Role.FIELD_WORKER, Role.COORDINATOR]),
                                                   User.districts.any(District.id == case.district_id))
                                .order_by(User.display_name))
    form.owner_user.choices = [("", "–")] + [(str(u.id), f"{u.display_name} ({u.agency.name})") for u in people]
    return form


def _render(case, access, *, plan_form=None, goal_form=None, action_form=None, status=200):
    view = queries.plan_view(_user(), case, access)
    coordinate = can_coordinate(Actor.of(_user()), access)
    shared = sharing_agencies(case, now=utcnow())
    if plan_form is None:
        plan_form = PlanForm(prefix="plan", obj=view.plan)
    return render_template(
        "plans/show.html", case=case, access=access, view=view, coordinate=coordinate,
        plan_form=plan_form, goal_form=goal_form or GoalForm(prefix="goal"),
        action_form=action_form or _action_form(case, shared), status_form=StatusForm(), goal_labels=GOAL_LABELS,
        action_labels=ACTION_LABELS, history_labels=HISTORY_LABELS, field_labels=FIELD_LABELS, today=date.today(),
        agency_id=_user().agency_id, shared=shared), status


@bp.route("/cases/<case_id>/plan")
@require(Permission.VIEW_CASES)
def show(case_id: str):
    case, access = _load(case_id)
    return _render(case, access)


@bp.route("/cases/<case_id>/plan", methods=["POST"])
@require(Permission.COORDINATE)
def update(case_id: str):
    case, access = _load(case_id, coordinate=True)
    form = PlanForm(prefix="plan")
    if form.validate_on_submit():
        mapping = {s: clean_text(getattr(form, f"mapping_{s}").data) for s in MAPPING_SECTIONS}
        try:
            changed = services.plan_update(actor=_user(), case=case, today=date.today(), mapping=mapping,
                                           guardians_informed_on=form.guardians_informed_on.data,
                                           next_review_on=form.next_review_on.data)
        except services.PlanError as exc:
            show_service_error(form, exc)
        else:
            flash(_("Planen är sparad.") if changed else _("Inget ändrades."), "success")
            return redirect(url_for("plans.show", case_id=case.id))
    return _render(case, access, plan_form=form, status=400)


@bp.route("/cases/<case_id>/plan/goals", methods=["POST"])
@require(Permission.COORDINATE)
def add_goal(case_id: str):
    case, access = _load(case_id, coordinate=True)
    form = GoalForm(prefix="goal")
    if form.validate_on_submit():
        try:
            services.goal_add(actor=_user(), case=case, text=clean_text(form.text.data) or "")
        except services.PlanError as exc:
            show_service_error(form, exc)
        else:
            return redirect(url_for("plans.show", case_id=case.id))
    return _render(case, access, goal_form=form, status=400)


@bp.route("/cases/<case_id>/plan/goals/<goal_id>", methods=["POST"])
@require(Permission.COORDINATE)
def goal_status(case_id: str, goal_id: str):
    case, _access = _load(case_id, coordinate=True)
    goal = _item(Goal, goal_id, case)
    form = StatusForm()
    form.status.choices = [(s.value, s.value) for s in GoalStatus]
    if form.validate_on_submit():
        services.goal_set_status(actor=_user(), case=case, goal=goal, status=form.status.data)
    else:
        abort(400)
    return redirect(url_for("plans.show", case_id=case.id))


@bp.route("/cases/<case_id>/plan/actions", methods=["POST"])
@require(Permission.COORDINATE)
def add_action(case_id: str):
    case, access = _load(case_id, coordinate=True)
    owner_agency_ids = sharing_agencies(case, now=utcnow())
    form = _action_form(case, owner_agency_ids)
    if form.validate_on_submit():
        owner = db.session.get(User, parse_uuid(form.owner_user.data)) if form.owner_user.data else None
        try:
            services.action_add(actor=_user(), case=case, text=clean_text(form.text.data) or "",
                                owner_agency=db.session.get(Agency, form.owner_agency.data), owner_user=owner,
                                deadline=form.deadline.data, today=date.today(), allowed_agency_ids=owner_agency_ids)
        except services.PlanError as exc:
            show_service_error(form, exc)
        else:
            flash(_("Åtgärden är tillagd."), "success")
            return redirect(url_for("plans.show", case_id=case.id))
    return _render(case, access, action_form=form, status=400)


@bp.route("/cases/<case_id>/plan/actions/<action_id>", methods=["POST"])
@require(Permission.VIEW_CASES)
def action_status(case_id: str, action_id: str):
    """The coordinator, or anyone of the owning agency, sets an action's status."""
    case, access = _load(case_id)
    action = _item(Action, action_id, case)
    if not (can_coordinate(Actor.of(_user()), access) or action.owner_agency_id == _user().agency_id):
        abort(403)
    form = StatusForm()
    form.status.choices = [(s.value, s.value) for s in ActionStatus]
    if not form.validate_on_submit():
        abort(400)
    try:
        services.action_set_status(actor=_user(), case=case, action=action, status=form.status.data)
    except services.PlanError as exc:  # e.g. the case was closed since the page was shown
        flash(str(exc), "error")
    target = request.form.get("next") or ""
    if target == "tasks":
        return redirect(url_for("plans.tasks"))
    if meeting_page := _MEETING_PAGE.fullmatch(target):  # marked done during a meeting: back to it, at the case
        item_id = db.session.scalar(select(AgendaItem.id).where(AgendaItem.meeting_id == parse_uuid(meeting_page[1]),
                                                                AgendaItem.case_id == case.id))
        return redirect(target + (f"#item-{item_id}" if item_id else ""))  # never an outside address
    return redirect(url_for("plans.show", case_id=case.id))


@bp.route("/tasks")
@require(Permission.VIEW_CASES)
def tasks():
    today = date.today()
    mine = queries.tasks_for(_user(), now=utcnow(), today=today, mine=True)
    ours = queries.tasks_for(_user(), now=utcnow(), today=today, mine=False)
    return render_template("plans/tasks.html", mine=mine, ours=ours, status_form=StatusForm())
