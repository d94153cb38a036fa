"""The meeting pages: the list with series, one meeting (agenda, attendance, decisions, actions), minutes."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from sspf.access.rules import Actor
from sspf.access.scoping import sharing_agencies
from sspf.auth.models import User
from sspf.auth.permissions import Permission, require
from sspf.cases.models import Case
from sspf.catalogue import catalogue
from sspf.db import parse_uuid, utcnow
from sspf.extensions import db
from sspf.meetings import minutes, queries, services
from sspf.meetings.forms import (
    AddCaseForm,
    AgendaForm,
    DecisionForm,
    ExtraMeetingForm,
    MeetingActionForm,
    MoveForm,
    NetworkForm,
    SeriesForm,
)
from sspf.meetings.labels import REASON_LABELS
from sspf.meetings.models import AgendaItem, MeetingEntry, MeetingSeries
from sspf.org.models import Agency, District
from sspf.org.queries import active_authorities, districts_by_ids
from sspf.plans.services import PlanError
from sspf.web.boundary import release_loaded_rows
from sspf.web.forms import BaseForm, clean_text, show_service_error

bp = Blueprint("meetings", __name__, url_prefix="/meetings")


def _user() -> User:
    return current_user._get_current_object()


def _with_districts(form):
    form.district.choices = [(d.id, d.name) for d in districts_by_ids(sorted(_user().district_ids))]
    return form


def _index(series_form=None, extra_form=None, status=200):
    upcoming, past = queries.meetings_for(_user(), today=date.today())
    series = list(db.session.scalars(select(MeetingSeries).where(
        MeetingSeries.district_id.in_(sorted(_user().district_ids)), MeetingSeries.active.is_(True))))
    return render_template("meetings/index.html", upcoming=upcoming, past=past, series=series,
                           series_form=series_form or _with_districts(SeriesForm(prefix="series")),
                           extra_form=extra_form or _with_districts(ExtraMeetingForm(prefix="extra"))), status


@bp.route("")
@require(Permission.VIEW_CASES)
def index():
    return _index()


@bp.route("/series", methods=["POST"])
@require(Permission.COORDINATE)
def create_series():
    form = _with_districts(SeriesForm(prefix="series"))
    if form.validate_on_submit():
        try:
            services.create_series(actor=_user(), district=db.session.get(District, form.district.data),
                                   first_on=form.first_on.data, starts_at=form.starts_at.data,
                                   place=clean_text(form.place.data), interval_weeks=form.interval_weeks.data,
                                   today=date.today())
        except services.MeetingError as exc:
            show_service_error(form, exc)
        else:
            flash(_("Mötesserien är skapad och mötena för de närmaste veckorna finns i listan."), "success")
            return redirect(url_for("meetings.index"))
    return _index(series_form=form, status=400)


@bp.route("/extra", methods=["POST"])
@require(Permission.COORDINATE)
def create_extra():
    form = _with_districts(ExtraMeetingForm(prefix="extra"))
    if form.validate_on_submit():
        try:
            meeting = services.add_meeting(actor=_user(), district=db.session.get(District, form.district.data),
                                           held_on=form.held_on.data, starts_at=form.starts_at.data,
                                           place=clean_text(form.place.data), today=date.today())
        except services.MeetingError as exc:
            show_service_error(form, exc)
        else:
            return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return _index(extra_form=form, status=400)


def _render(meeting, *, status=200, bound=None, unsaved=None, focus=None):
    """The meeting page; ``bound`` is a refused form kept with what the user typed: (kind, item id, form).

    ``focus`` is the agenda item being recorded: only its forms are on the page (an agenda may hold hundreds
    of cases, and the meeting takes them one at a time).
    """
    view = queries.meeting_view(_user(), meeting, now=utcnow())
    return render_template(
        "meetings/show.html", meeting=meeting, view=view, coordinate=Actor.of(_user()).is_coordinator, bound=bound,
        focus=focus or (bound[1] if bound else None),
        unsaved=unsaved, add_form=AddCaseForm(version=meeting.agenda_version),
        reason_labels={code: str(label) for code, label in REASON_LABELS.items()}, cat=catalogue(),
        today=date.today(), decisions=queries.decisions_in_order, agency_id=_user().agency_id), status


@bp.route("/<meeting_id>")
@require(Permission.VIEW_CASES)
def show(meeting_id: str):
    meeting = queries.get_meeting_for(_user(), meeting_id)
    services.ensure_agenda(meeting)
    page = _render(meeting, focus=parse_uuid(request.args.get("item", "")))
    release_loaded_rows()
    return page


def _item(meeting, item_id: str) -> AgendaItem:
    uid = parse_uuid(item_id)
    item = db.session.get(AgendaItem, uid) if uid else None
    if item is None or item.meeting_id != meeting.id:
        abort(404)
    return item


def _agenda_change(meeting_id: str, form_class, change):
    """Run one agenda change; a stale version or a locked meeting re-renders the page with the message."""
    meeting = queries.get_meeting_for(_user(), meeting_id, coordinate=True)
    form = form_class()
    if not form.validate_on_submit():
        abort(400)
    try:
        change(meeting, form)
    except services.MeetingConflict as exc:
        flash(str(exc), "error")
        return _render(meeting, status=409)
    except services.MeetingError as exc:
        show_service_error(form, exc)
        if not getattr(exc, "field", None):
            return _render(meeting, status=409)
        return _render(meeting, status=400, bound=("add", None, form))
    return redirect(url_for("meetings.show", meeting_id=meeting.id) + "#agenda")


@bp.route("/<meeting_id>/agenda/refresh", methods=["POST"])
@require(Permission.COORDINATE)
def refresh(meeting_id: str):
    def change(meeting, form):
        added = services.refresh_agenda(actor=_user(), meeting=meeting, version=form.version.data)
        flash(_("Dagordningen är uppdaterad: %(n)d nya ärenden.", n=added), "success")
    return _agenda_change(meeting_id, AgendaForm, change)


@bp.route("/<meeting_id>/agenda/add", methods=["POST"])
@require(Permission.COORDINATE)
def add_case(meeting_id: str):
    def change(meeting, form):
        code = (clean_text(form.code.data) or "").upper()
        case = db.session.scalar(select(Case).where(Case.code == code))
        services.add_case(actor=_user(), meeting=meeting, case=case, version=form.version.data)
    return _agenda_change(meeting_id, AddCaseForm, change)


@bp.route("/<meeting_id>/agenda/<item_id>/move", methods=["POST"])
@require(Permission.COORDINATE)
def move(meeting_id: str, item_id: str):
    def change(meeting, form):
        services.move_item(actor=_user(), meeting=meeting, item=_item(meeting, item_id),
                           up=form.direction.data == "up", version=form.version.data)
    return _agenda_change(meeting_id, MoveForm, change)


@bp.route("/<meeting_id>/agenda/<item_id>/remove", methods=["POST"])
@require(Permission.COORDINATE)
def remove(meeting_id: str, item_id: str):
    def change(meeting, form):
        services.remove_item(actor=_user(), meeting=meeting, item=_item(meeting, item_id), version=form.version.data)
    return _agenda_change(meeting_id, AgendaForm, change)


@bp.route("/<meeting_id>/attendance", methods=["POST"])
@require(Permission.COORDINATE)
def attendance(meeting_id: str):
    meeting = queries.get_meeting_for(_user(), meeting_id, coordinate=True)
    if not BaseForm().validate_on_submit():
        abort(400)
    offered = {a.id for a in active_authorities()}
    present = {parse_int(v) for v in request.form.getlist("present")}
    if not present <= offered:
        abort(400)
    try:
        services.set_attendance(actor=_user(), meeting=meeting, present=present, agency_ids=offered)
    except services.MeetingError as exc:
        flash(str(exc), "error")
        return _render(meeting, status=409)
    flash(_("Närvaron är sparad."), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting.id) + "#attendance")


def parse_int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def _item_case(meeting, item_id: str) -> tuple[AgendaItem, Case]:
    item = _item(meeting, item_id)
    return item, db.session.get(Case, item.case_id)


@bp.route("/<meeting_id>/items/<item_id>/network", methods=["POST"])
@require(Permission.COORDINATE)
def network(meeting_id: str, item_id: str):
    meeting = queries.get_meeting_for(_user(), meeting_id, coordinate=True)
    item = _item(meeting, item_id)
    form = NetworkForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.set_network(actor=_user(), meeting=meeting, item=item, youth=form.youth.data,
                             guardians=form.guardians.data)
    except services.MeetingError as exc:
        flash(str(exc), "error")
        return _render(meeting, status=409)
    flash(_("Nätverksmötet är sparat."), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting.id, item=item.id) + f"#item-{item.id}")


@bp.route("/<meeting_id>/items/<item_id>/decisions", methods=["POST"])
@require(Permission.COORDINATE)
def decide(meeting_id: str, item_id: str):
    meeting = queries.get_meeting_for(_user(), meeting_id, coordinate=True)
    item, case = _item_case(meeting, item_id)
    form = DecisionForm()
    if form.validate_on_submit():
        text = clean_text(form.text.data)
        try:
            if meeting.locked:
                corrects = _entry(meeting, form.corrects.data)
                services.record_correction(actor=_user(), meeting=meeting, case=case, text=text, corrects=corrects)
            else:
                services.record_decision(actor=_user(), meeting=meeting, case=case, text=text)
        except services.MeetingError as exc:
            show_service_error(form, exc)
        else:
            flash(_("Beslutet är sparat."), "success")
            return redirect(url_for("meetings.show", meeting_id=meeting.id, item=item.id) + f"#item-{item.id}")
    return _render(meeting, status=400, bound=("decision", item.id, form), unsaved=form.text.data)


def _entry(meeting, entry_id: str | None) -> MeetingEntry | None:
    uid = parse_uuid(entry_id) if entry_id else None
    entry = db.session.get(MeetingEntry, uid) if uid else None
    if entry_id and (entry is None or entry.meeting_id != meeting.id):
        abort(404)
    return entry


@bp.route("/<meeting_id>/items/<item_id>/actions", methods=["POST"])
@require(Permission.COORDINATE)
def add_action(meeting_id: str, item_id: str):
    """A new action in the case's plan, agreed at this meeting, without leaving the page."""
    meeting = queries.get_meeting_for(_user(), meeting_id, coordinate=True)
    item, case = _item_case(meeting, item_id)
    form = MeetingActionForm()
    now = utcnow()
    # Any authority passes the form, so that one offered by a page loaded before the case stopped being shared
    # with it gets the service's reason; the form shown again offers only the agencies the case is shared with.
    authorities = active_authorities()
    form.owner_agency.choices = [(a.id, a.name) for a in authorities]
    if form.validate_on_submit():
        try:
            services.agree_action(actor=_user(), meeting=meeting, case=case, text=clean_text(form.text.data) or "",
                                  owner_agency=db.session.get(Agency, form.owner_agency.data),
                                  deadline=form.deadline.data, today=date.today(), now=now)
        except (services.MeetingError, PlanError) as exc:
            show_service_error(form, exc, fallback="text")
        else:
            flash(_("Åtgärden är tillagd i planen."), "success")
            return redirect(url_for("meetings.show", meeting_id=meeting.id, item=item.id) + f"#item-{item.id}")
    shared = sharing_agencies(case, now=now)
    form.owner_agency.choices = [(a.id, a.name) for a in authorities if a.id in shared]
    return _render(meeting, status=400, bound=("action", item.id, form), unsaved=form.text.data)


@bp.route("/<meeting_id>/close", methods=["POST"])
@require(Permission.COORDINATE)
def close(meeting_id: str):
    meeting = queries.get_meeting_for(_user(), meeting_id, coordinate=True)
    if not BaseForm().validate_on_submit():
        abort(400)
    try:
        services.close_meeting(actor=_user(), meeting=meeting, now=utcnow())
    except services.MeetingError as exc:
        flash(str(exc), "error")
        return _render(meeting, status=409)
    flash(_("Mötet är stängt. Rättelser görs som nya anteckningar."), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting.id))


@bp.route("/<meeting_id>/minutes")
@require(Permission.VIEW_CASES)
def minutes_page(meeting_id: str):
    meeting = queries.get_meeting_for(_user(), meeting_id)
    view = queries.meeting_view(_user(), meeting, now=utcnow(), purpose="minutes")
    return render_template("meetings/minutes.html", meeting=meeting, view=view, reason_labels=REASON_LABELS,
                           decisions=queries.decisions_in_order)


@bp.route("/<meeting_id>/minutes.pdf")
@require(Permission.VIEW_CASES)
def minutes_pdf(meeting_id: str):
    meeting = queries.get_meeting_for(_user(), meeting_id)
    view = queries.meeting_view(_user(), meeting, now=utcnow(), purpose="minutes")
    body = minutes.render_pdf(view)
    filename = f"protokoll-{meeting.district.code}-{meeting.held_on.isoformat()}.pdf"
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
