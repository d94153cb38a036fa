"""Case list, new signal, case page, triage, closure, protection and emergency access."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from sspf.access.rules import Actor, can_coordinate, can_disclose, can_identify, can_log_contact
from sspf.auth.models import User
from sspf.auth.permissions import Permission, Role, require
from sspf.cases import queries, services
from sspf.cases.forms import CloseForm, EmergencyForm, ProtectionForm, SignalForm, TriageForm, YouthForm
from sspf.cases.models import Case, CaseStatus, Sex
from sspf.cases.personnummer import PersonalNumber, normalize
from sspf.cases.services import SignalInput, TransitionError
from sspf.catalogue import catalogue
from sspf.db import utcnow
from sspf.extensions import db
from sspf.org.models import Agency, District
from sspf.web.forms import REQUIRED, BaseForm, clean_text, refuse_before_form, show_service_error

bp = Blueprint("cases", __name__, url_prefix="/cases")

STATUS_LABELS = {
    CaseStatus.SIGNAL: _l("Ny signal"),
    CaseStatus.TRIAGED: _l("Bedömd, väntar på samtycke"),
    CaseStatus.ACTIVE: _l("Aktiv"),
    CaseStatus.CLOSED: _l("Avslutad"),
}
#: Legal sex as the personnummer gave it: shown as such ("Juridiskt kön"), never as the youth's gender.
SEX_LABELS = {Sex.FEMALE: _l("Kvinna"), Sex.MALE: _l("Man"), Sex.UNKNOWN: _l("Okänt")}


@bp.app_context_processor
def case_helpers() -> dict:
    return {"status_label": lambda status: STATUS_LABELS.get(CaseStatus(status), status),
            "sex_label": lambda sex: SEX_LABELS.get(sex, SEX_LABELS[Sex.UNKNOWN])}


def _user() -> User:
    return current_user._get_current_object()


def _load(case_id: str, *, coordinate: bool = False):
    return queries.get_case_for(_user(), case_id, now=utcnow(), coordinate=coordinate)


@bp.route("/")
@require(Permission.VIEW_CASES)
def list_cases():
    page = request.args.get("page", "1")
    page_no = int(page) if page.isdigit() and 0 < int(page) < 100000 else 1
    status = request.args.get("status") or None
    result = queries.list_cases_for(_user(), now=utcnow(), status=status, page=page_no)
    return render_template("cases/list.html", result=result, status=status, statuses=list(CaseStatus))


@bp.route("/search", methods=["POST"])
@require(Permission.VIEW_CASES)
def search():
    """Search by personnummer via POST, so the number never lands in a URL, a log or the history."""
    if not BaseForm().validate_on_submit():
        abort(400)
    raw = (request.form.get("personnummer") or "")[:20]
    result = queries.list_cases_for(_user(), now=utcnow(), personnummer=normalize(raw)) if raw.strip() else None
    return render_template("cases/list.html", result=result, status=None, statuses=list(CaseStatus), searched=True)


@bp.route("/new", methods=["GET", "POST"])
@require(Permission.VIEW_CASES)
def new_case():
    user = _user()
    form = SignalForm()
    form.categories.choices = catalogue().choices("concern_categories")
    districts = [d for d in user.districts if d.active]
    if not districts:
        flash(_("Du är inte knuten till något område. Kontakta administratören."), "error")
        return redirect(url_for("cases.list_cases"))
    district_id = request.form.get("district_id", type=int) or districts[0].id
    district = next((d for d in districts if d.id == district_id), None)
    if request.method == "POST" and district is None:
        abort(400)  # a tampered district: not one of the user's
    if form.validate_on_submit():
        # The name may be left out only for a youth whose open case the user may identify; for anyone else the form
        # asks for it as for an unknown youth, so that it does not tell whether sspf knows the number.
        if not clean_text(form.name.data) and not _joins_identified_case(user, form.parsed):
            form.name.errors = [_("Ange den ungas namn.")]
        else:
            try:
                case, created = services.register_signal(
                    actor=user, personnummer=form.parsed, name=clean_text(form.name.data) or "", district=district,
                    signal=SignalInput(raised_on=form.raised_on.data, categories=tuple(form.categories.data),
                                       note=clean_text(form.note.data), report_made=form.report_made.data,
                                       report_made_on=form.report_made_on.data,
                                       report_made_by=clean_text(form.report_made_by.data)))
            except TransitionError as exc:
                show_service_error(form, exc)  # refused before anything is written; the form keeps what was typed
            else:
                return _signal_registered(user, case, created)
    return render_template("cases/new.html", form=form, districts=districts, district_id=district_id)


def _joins_identified_case(user: User, personnummer: PersonalNumber) -> bool:
    """The signal would join an open case that the access rule lets ``user`` identify."""
    case = services.open_case_for(personnummer)
    return case is not None and can_identify(Actor.of(user), queries.access_for(user, case.id, now=utcnow()))


def _signal_registered(user: User, case: Case, created: bool):
    access = queries.access_for(user, case.id, now=utcnow())
    if created:
        flash(_("Signalen är registrerad som ärende %(code)s.", code=case.code), "success")
    elif can_identify(Actor.of(user), access):
        flash(_("Det fanns redan ett öppet ärende (%(code)s). Signalen lades till där och samordnaren ser "
                "den.", code=case.code), "info")
    else:
        # Another district's case, or a protected youth the user is not named for: the signal joins it all the same
        # (no second youth or case), but the answer names no case, code or district, which would tell the user that
        # the youth is an SSPF case, and where.
        flash(_("Signalen är registrerad och har lämnats till samordnaren."), "success")
        return redirect(url_for("cases.list_cases"))
    return redirect(url_for("cases.show", case_id=case.id) if access.visible else url_for("cases.list_cases"))


@bp.route("/<case_id>")
@require(Permission.VIEW_CASES)
def show(case_id: str):
    case, access = _load(case_id)
    detail = queries.case_detail(_user(), case, access)
    actor = Actor.of(_user())
    fields = ["code", "status"] + (["name", "personnummer"] if access.identity_visible else []) + \
        (["address", "guardians"] if access.guardians_visible else []) + \
        (["signals"] if detail.signals else []) + (["contacts"] if detail.contacts else []) + \
        (["triage", "consents"] if access.full else []) + (["disclosures"] if detail.disclosures else [])
    queries.audit_read(_user(), case, access, fields)
    perms = {"coordinate": can_coordinate(actor, access), "contact": can_log_contact(actor, access)
             and case.status != CaseStatus.CLOSED, "disclose": can_disclose(actor, access),
             "edit_youth": access.full and access.via != "emergency" and access.identity_visible
             and access.guardians_visible}
    agency_names = dict(db.session.execute(select(Agency.id, Agency.name)).all()) if access.full else {}
    return render_template("cases/show.html", case=case, access=access, detail=detail, perms=perms,
                           cat=catalogue(), today=date.today(), agency_names=agency_names)


@bp.route("/<case_id>/triage", methods=["GET", "POST"])
@require(Permission.COORDINATE)
def triage(case_id: str):
    case, _access = _load(case_id, coordinate=True)
    if request.method == "GET" and case.status != CaseStatus.SIGNAL:
        # Say so before the form is filled in, not after (a POST is still refused by the service, e.g. after a race).
        flash(_("Ärendet är avslutat.") if case.status == CaseStatus.CLOSED else _("Ärendet är redan bedömt."),
              "warning")
        return redirect(url_for("cases.show", case_id=case.id))
    form = TriageForm()
    form.risk_factors.choices = catalogue().choices("risk_factors")
    form.protective_factors.choices = catalogue().choices("protective_factors")
    if form.validate_on_submit():
        try:
            services.triage_case(actor=_user(), case=case, eligible=form.eligible.data == "yes",
                                 risk_factors=form.risk_factors.data, protective_factors=form.protective_factors.data,
                                 note=clean_text(form.note.data), today=date.today())
        except TransitionError as exc:
            flash(str(exc), "error")
        else:
            flash(_("Bedömningen är sparad."), "success")
            return redirect(url_for("cases.show", case_id=case.id))
    return render_template("cases/triage.html", case=case, form=form)


@bp.route("/<case_id>/close", methods=["GET", "POST"])
@require(Permission.COORDINATE)
def close(case_id: str):
    case, _access = _load(case_id, coordinate=True)
    if case.status == CaseStatus.CLOSED and request.method == "GET":
        return refuse_before_form(case.id, _("Ärendet är redan avslutat."))
    form = CloseForm()
    form.reason.choices = catalogue().choices("closure_reasons")
    if form.validate_on_submit():
        try:
            services.close_case(actor=_user(), case=case, reason=form.reason.data)
        except TransitionError as exc:
            flash(str(exc), "error")
        else:
            flash(_("Ärendet är avslutat."), "success")
            return redirect(url_for("cases.show", case_id=case.id))
    return render_template("cases/close.html", case=case, form=form)


@bp.route("/<case_id>/protection", methods=["GET", "POST"])
@require(Permission.COORDINATE)
def protection(case_id: str):
    case, _access = _load(case_id, coordinate=True)
    youth = case.youth
    candidates = list(db.session.scalars(
        select(User).where(User.active.is_(True), User.role.in_([Role.FIELD_WORKER, Role.COORDINATOR]),
                           User.districts.any(District.id == case.district_id), User.id != _user().id)
        .order_by(User.display_name)))
    form = ProtectionForm(obj=youth)
    form.named_users.choices = [(str(u.id), f"{u.display_name} ({u.agency.name})") for u in candidates]
    if request.method == "GET":
        from sspf.cases.models import ProtectedAccess

        form.named_users.data = [str(uid) for uid in db.session.scalars(
            select(ProtectedAccess.user_id).where(ProtectedAccess.youth_id == youth.id))]
    if form.validate_on_submit():
        chosen = [u for u in candidates if str(u.id) in set(form.named_users.data)]
        try:
            services.set_protection(actor=_user(), case=case, protected_identity=form.protected_identity.data,
                                    guardian_protected=form.guardian_protected.data, named_users=chosen,
                                    offered=candidates)
        except TransitionError as exc:
            flash(str(exc), "error")
        else:
            flash(_("Skyddet är sparat."), "success")
        return redirect(url_for("cases.show", case_id=case.id))
    return render_template("cases/protection.html", case=case, form=form)


@bp.route("/<case_id>/youth", methods=["GET", "POST"])
@require(Permission.VIEW_CASES)
def edit_youth(case_id: str):
    """Identity and guardians: for the owner agency and the coordinator, and only if they may see them."""
    case, access = _load(case_id)
    if not (access.full and access.via != "emergency" and access.identity_visible and access.guardians_visible):
        abort(403)
    form = YouthForm(obj=case.youth)
    if form.validate_on_submit():
        values = {name: clean_text(getattr(form, name).data) for name in services.YOUTH_FIELDS}
        if not values["name"]:
            form.name.errors = [str(REQUIRED)]
        else:
            changed = services.update_youth(actor=_user(), youth=case.youth, values=values)
            flash(_("Uppgifterna är sparade.") if changed else _("Inget ändrades."), "success")
            return redirect(url_for("cases.show", case_id=case.id))
    return render_template("cases/youth.html", case=case, form=form)


@bp.route("/emergency", methods=["GET", "POST"])
@require(Permission.EMERGENCY_ACCESS)
def emergency():
    form = EmergencyForm()
    if form.validate_on_submit():
        case = db.session.scalar(select(Case).where(Case.code == form.code.data.strip().upper()))
        if case is None:
            form.code.errors = [_("Det finns inget ärende med den koden.")]
        else:
            services.start_emergency_access(actor=_user(), case=case, reason=clean_text(form.reason.data) or "")
            flash(_("Nödåtkomst gäller i %(h)d timmar och granskas i loggkontrollen.",
                    h=catalogue().emergency_access_hours), "info")
            return redirect(url_for("cases.show", case_id=case.id))
    return render_template("cases/emergency.html", form=form)
