"""District administration (agencies are listed; they change rarely and come from configuration)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from sspf.auth.permissions import Permission, require
from sspf.extensions import db
from sspf.org import services
from sspf.org.forms import DistrictForm
from sspf.org.models import District
from sspf.org.queries import all_agencies, all_districts

bp = Blueprint("org", __name__, url_prefix="/admin")


def _code_taken(code: str, *, except_id: int | None = None) -> bool:
    stmt = select(func.count()).select_from(District).where(District.code == code.strip().upper())
    if except_id is not None:
        stmt = stmt.where(District.id != except_id)
    return bool(db.session.scalar(stmt))


def _name_taken(name: str, *, except_id: int | None = None) -> bool:
    stmt = select(func.count()).select_from(District).where(District.name == name.strip())
    if except_id is not None:
        stmt = stmt.where(District.id != except_id)
    return bool(db.session.scalar(stmt))


@bp.route("/districts", methods=["GET", "POST"])
@require(Permission.MANAGE_ORGANISATION)
def districts():
    form = DistrictForm()
    if form.validate_on_submit():
        if _code_taken(form.code.data):
            form.code.errors = [_("Koden används redan.")]
        elif _name_taken(form.name.data):
            form.name.errors = [_("Det finns redan ett område med det namnet.")]
        else:
            district = services.district_create(actor=current_user._get_current_object(), name=form.name.data,
                                                code=form.code.data)
            flash(_("Området %(name)s skapades.", name=district.name), "success")
            return redirect(url_for("org.districts"))
    return render_template("admin/districts.html", form=form, districts=all_districts(), agencies=all_agencies())


@bp.route("/districts/<int:district_id>", methods=["GET", "POST"])
@require(Permission.MANAGE_ORGANISATION)
def edit_district(district_id: int):
    district = db.session.get(District, district_id) or abort(404)
    form = DistrictForm(obj=district)
    if form.validate_on_submit():
        if _code_taken(form.code.data, except_id=district.id):
            form.code.errors = [_("Koden används redan.")]
        elif _name_taken(form.name.data, except_id=district.id):
            form.name.errors = [_("Det finns redan ett område med det namnet.")]
        else:
            services.district_update(actor=current_user._get_current_object(), district=district,
                                     name=form.name.data, code=form.code.data, active=form.active.data)
            flash(_("Ändringarna sparades."), "success")
            return redirect(url_for("org.districts"))
    return render_template("admin/district_form.html", form=form, district=district)
