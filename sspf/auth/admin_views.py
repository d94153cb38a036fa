"""User administration: create, edit, deactivate, reset. Administrators never see case content."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from sspf.auth import services
from sspf.auth.forms import EmptyForm, NewUserForm, ResetPasswordForm, UserForm
from sspf.auth.models import User
from sspf.auth.permissions import ROLE_LABELS, Permission, Role, require
from sspf.db import parse_uuid
from sspf.extensions import db
from sspf.org.models import Agency
from sspf.org.queries import all_agencies, all_districts, districts_by_ids

bp = Blueprint("users", __name__, url_prefix="/admin/users")


def _get_user(user_id: str) -> User:
    uid = parse_uuid(user_id)
    user = db.session.get(User, uid) if uid else None
    if user is None:
        abort(404)
    return user


def _fill_choices(form: UserForm) -> None:
    form.agency_id.choices = [(a.id, a.name) for a in all_agencies(active_only=True)]
    form.district_ids.choices = [(d.id, f"{d.name} ({d.code})") for d in all_districts(active_only=True)]


@bp.route("/")
@require(Permission.MANAGE_USERS)
def list_users():
    q = (request.args.get("q") or "").strip().lower()[:64]
    stmt = select(User).order_by(User.active.desc(), User.username)
    if q:
        stmt = stmt.where(User.username.contains(q, autoescape=True))
    users = db.session.scalars(stmt.limit(500)).all()
    return render_template("admin/users.html", users=users, q=q, role_labels=ROLE_LABELS)


@bp.route("/new", methods=["GET", "POST"])
@require(Permission.MANAGE_USERS)
def create_user():
    form = NewUserForm()
    _fill_choices(form)
    if form.validate_on_submit():
        if services.find_user(form.username.data) is not None:
            form.username.errors = [_("Användarnamnet är upptaget.")]
        else:
            user = services.user_create(
                actor=current_user._get_current_object(), username=form.username.data,
                display_name=form.display_name.data, password=form.password.data, role=Role(form.role.data),
                agency=db.session.get(Agency, form.agency_id.data), districts=districts_by_ids(form.district_ids.data))
            flash(_("Användaren %(u)s skapades. Lösenordet måste bytas vid första inloggningen.", u=user.username),
                  "success")
            return redirect(url_for("users.edit_user", user_id=user.id))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/<user_id>", methods=["GET", "POST"])
@require(Permission.MANAGE_USERS)
def edit_user(user_id: str):
    user = _get_user(user_id)
    form = UserForm(obj=user) if request.method == "GET" else UserForm()
    if request.method == "GET":
        form.district_ids.data = [d.id for d in user.districts]
    _fill_choices(form)
    if form.validate_on_submit():
        if user.id == current_user.id and form.role.data != user.role:
            form.role.errors = [_("Du kan inte ändra din egen roll.")]
        else:
            changed = services.user_update(
                actor=current_user._get_current_object(), user=user, display_name=form.display_name.data,
                role=Role(form.role.data), agency=db.session.get(Agency, form.agency_id.data),
                districts=districts_by_ids(form.district_ids.data))
            flash(_("Ändringarna sparades.") if changed else _("Inget ändrades."), "success")
            return redirect(url_for("users.edit_user", user_id=user.id))
    return render_template("admin/user_form.html", form=form, user=user, action_form=EmptyForm(),
                           reset_form=ResetPasswordForm(username=user.username))


@bp.route("/<user_id>/active", methods=["POST"])
@require(Permission.MANAGE_USERS)
def set_active(user_id: str):
    user = _get_user(user_id)
    form = EmptyForm()
    activate = request.form.get("active") == "1"
    if form.validate_on_submit():
        if user.id == current_user.id:
            flash(_("Du kan inte inaktivera ditt eget konto."), "error")
        else:
            services.user_set_active(actor=current_user._get_current_object(), user=user, active=activate)
            if activate:
                flash(_("Kontot är aktiverat."), "success")
            else:
                flash(_("Kontot är inaktiverat och alla dess sessioner avslutade."), "success")
    return redirect(url_for("users.edit_user", user_id=user.id))


@bp.route("/<user_id>/password", methods=["POST"])
@require(Permission.MANAGE_USERS)
def reset_password(user_id: str):
    user = _get_user(user_id)
    form = ResetPasswordForm(username=user.username)
    if form.validate_on_submit():
        services.user_reset_password(actor=current_user._get_current_object(), user=user,
                                     new_password=form.password.data)
        flash(_("Lösenordet är återställt. Användaren måste byta det vid nästa inloggning."), "success")
        return redirect(url_for("users.edit_user", user_id=user.id))
    edit_form = UserForm(obj=user)
    edit_form.district_ids.data = [d.id for d in user.districts]
    _fill_choices(edit_form)
    return render_template("admin/user_form.html", form=edit_form, user=user, action_form=EmptyForm(),
                           reset_form=form), 400


@bp.route("/<user_id>/mfa-reset", methods=["POST"])
@require(Permission.MANAGE_USERS)
def reset_mfa(user_id: str):
    user = _get_user(user_id)
    if EmptyForm().validate_on_submit():
        services.user_reset_mfa(actor=current_user._get_current_object(), user=user)
        flash(_("Tvåstegsverifieringen är borttagen. Användaren måste registrera en ny vid nästa inloggning."),
              "success")
    return redirect(url_for("users.edit_user", user_id=user.id))
