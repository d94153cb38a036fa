"""Logging a contact: one form, one tap, made for a phone."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from sspf.access.rules import Actor, can_log_contact
from sspf.auth.permissions import Permission, require
from sspf.cases.models import CaseStatus
from sspf.cases.queries import get_case_head_for
from sspf.catalogue import catalogue
from sspf.contacts import services
from sspf.contacts.forms import ContactForm
from sspf.contacts.models import Visibility
from sspf.db import utcnow
from sspf.web.forms import clean_text, refuse_before_form, show_service_error

bp = Blueprint("contacts", __name__, url_prefix="/cases")


@bp.route("/<case_id>/contacts/new", methods=["GET", "POST"])
@require(Permission.VIEW_CASES)
def new_contact(case_id: str):
    user = current_user._get_current_object()
    case, access = get_case_head_for(user, case_id, now=utcnow())
    if not can_log_contact(Actor.of(user), access):
        abort(403)
    if case.status == CaseStatus.CLOSED and request.method == "GET":
        return refuse_before_form(case.id, _("Ärendet är avslutat."))
    form = ContactForm()
    form.type.choices = catalogue().choices("contact_types")
    form.parties.choices = catalogue().choices("contact_parties")
    # The contact will carry the author agency's category (the user and their agency are loaded: no query).
    category = catalogue().category_of_agency_kind(user.agency.kind)
    form.name_shared_audience(catalogue().label("information_categories", category))
    if form.validate_on_submit():
        try:
            services.log_contact(actor=user, case=case, occurred_on=form.occurred_on.data, type=form.type.data,
                                 duration_minutes=form.duration_minutes.data, parties=form.parties.data,
                                 note=clean_text(form.note.data), visibility=Visibility(form.visibility.data),
                                 today=date.today(), flagged=access.flagged)
        except services.ContactError as exc:
            show_service_error(form, exc, fallback="type")
        else:
            flash(_("Kontakten är sparad."), "success")
            return redirect(url_for("cases.show", case_id=case.id))
    return render_template("contacts/new.html", case=case, form=form)
