"""Recording and withdrawing consent, the scanned form, and disclosures on other legal bases."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from sspf.access.rules import Actor, can_disclose
from sspf.audit import AuditAction, record
from sspf.auth.permissions import Permission, require
from sspf.cases.models import CaseStatus
from sspf.cases.queries import get_case_for
from sspf.catalogue import catalogue
from sspf.consent import services
from sspf.consent.forms import ConsentForm, DisclosureForm, WithdrawForm
from sspf.consent.models import Consent
from sspf.db import parse_uuid, utcnow
from sspf.extensions import db
from sspf.org.models import Agency
from sspf.org.queries import active_authorities
from sspf.web.forms import clean_text, refuse_before_form, show_service_error

bp = Blueprint("consent", __name__, url_prefix="/cases")


def _case(case_id: str, *, coordinate: bool):
    return get_case_for(current_user._get_current_object(), case_id, now=utcnow(), coordinate=coordinate)


def _consent_of(case, consent_id: str) -> Consent:
    cid = parse_uuid(consent_id)
    consent = db.session.get(Consent, cid) if cid else None
    if consent is None or consent.case_id != case.id:  # a guessed or tampered id: not found
        abort(404)
    return consent


@bp.route("/<case_id>/consent", methods=["GET", "POST"])
@require(Permission.COORDINATE)
def new_consent(case_id: str):
    case, _access = _case(case_id, coordinate=True)
    if request.method == "GET" and case.status in {CaseStatus.CLOSED, CaseStatus.SIGNAL}:
        return refuse_before_form(case.id, _("Ärendet är avslutat.") if case.status == CaseStatus.CLOSED
                                  else _("Ärendet måste bedömas innan samtycke registreras."))
    cat = catalogue()
    form = ConsentForm()
    form.method.choices = cat.choices("consent_methods")
    agencies = active_authorities()
    categories = cat.choices("information_categories")
    allowed = {f"scope-{a.id}-{code}": (a.id, code) for a in agencies for code, _label in categories}
    chosen = {key for key in request.form if key in allowed}
    # A scope box the form never offered (an unknown agency or category) means a tampered form: refuse it whole
    # rather than save the rest, so that what is recorded is exactly what the coordinator saw and ticked.
    tampered = any(key.startswith("scope-") and key not in allowed for key in request.form)
    error = None
    submitted = form.validate_on_submit()
    if submitted and tampered:
        error = _("Omfattningen innehåller en organisation eller sorts uppgifter som inte finns.")
    elif submitted:
        scope: dict[int, set[str]] = {}
        for key in chosen:
            agency_id, code = allowed[key]
            scope.setdefault(agency_id, set()).add(code)
        upload = form.scan.data
        scan = upload.read(services.MAX_SCAN_BYTES + 1) if upload and upload.filename else None
        try:
            consent = services.record_consent(
                actor=current_user._get_current_object(), case=case, signed_on=form.signed_on.data,
                valid_until=form.valid_until.data, guardian1=form.guardian1.data, guardian2=form.guardian2.data,
                youth=form.youth.data, method=form.method.data, scope=scope, today=date.today(), scan=scan,
                scan_type=upload.mimetype if scan is not None else None)
        except services.ConsentError as exc:
            error = str(exc)
            field = getattr(form, exc.field or "", None)
            if field is not None and hasattr(field, "errors"):
                field.errors = [*field.errors, error]
                error = None if exc.field != "scope" else error
        else:
            if consent.is_active(date.today()):
                flash(_("Samtycket är registrerat."), "success")
            else:  # a paper consent registered late, or one that starts later: on record, but it shares nothing now
                flash(_("Samtycket är registrerat men gäller inte i dag, så ingenting delas med stöd av det."),
                      "warning")
            return redirect(url_for("cases.show", case_id=case.id))
    return render_template("consent/new.html", case=case, form=form, agencies=agencies, categories=categories,
                           chosen=chosen, error=error,
                           signatories=services.required_signatories(case, date.today()))


@bp.route("/<case_id>/consent/<consent_id>/withdraw", methods=["GET", "POST"])
@require(Permission.COORDINATE)
def withdraw(case_id: str, consent_id: str):
    case, _access = _case(case_id, coordinate=True)
    consent = _consent_of(case, consent_id)
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            services.withdraw_consent(actor=current_user._get_current_object(), case=case, consent=consent,
                                      by=form.by.data)
        except services.ConsentError as exc:
            flash(str(exc), "error")
        else:
            flash(_("Samtycket är återkallat. Delningen upphörde direkt."), "success")
        return redirect(url_for("cases.show", case_id=case.id))
    return render_template("consent/withdraw.html", case=case, consent=consent, form=form)


@bp.route("/<case_id>/consent/<consent_id>/form")
@require(Permission.COORDINATE)
def scanned_form(case_id: str, consent_id: str):
    case, _access = _case(case_id, coordinate=True)
    consent = _consent_of(case, consent_id)
    if consent.scanned_form is None or isinstance(consent.scanned_form, str):
        abort(404)
    record(AuditAction.CONSENT_FORM_READ, target_type="consent", target_id=consent.id, subject_ref=case.youth.ref,
           fields=["scanned_form"])
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(consent.scanned_form_type,
                                                                                         "bin")
    return Response(consent.scanned_form, mimetype=consent.scanned_form_type or "application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="samtycke-{case.code}.{extension}"'})


@bp.route("/<case_id>/disclosures/new", methods=["GET", "POST"])
@require(Permission.VIEW_CASES)
def new_disclosure(case_id: str):
    user = current_user._get_current_object()
    case, access = _case(case_id, coordinate=False)
    if not can_disclose(Actor.of(user), access):
        abort(403)
    if request.method == "GET" and case.status == CaseStatus.CLOSED:
        return refuse_before_form(case.id, _("Ärendet är avslutat."))
    cat = catalogue()
    form = DisclosureForm()
    form.legal_basis.choices = cat.choices("legal_bases")
    form.to_agency.choices = [(a.id, a.name) for a in active_authorities() if a.id != user.agency_id]
    held = services.disclosable_categories(user.agency)
    form.categories.choices = [(code, label) for code, label in cat.choices("information_categories") if code in held]
    if form.validate_on_submit():
        try:
            services.record_disclosure(
                actor=user, case=case, legal_basis=form.legal_basis.data,
                to_agency=db.session.get(Agency, form.to_agency.data), categories=set(form.categories.data),
                assessment=clean_text(form.assessment.data) or "", valid_until=form.valid_until.data,
                today=date.today())
        except services.ConsentError as exc:
            show_service_error(form, exc, fallback="legal_basis")
        else:
            flash(_("Utlämnandet är registrerat."), "success")
            return redirect(url_for("cases.show", case_id=case.id))
    return render_template("consent/disclosure.html", case=case, form=form)
