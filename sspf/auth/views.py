"""Login, second factor, logout and the user's own account pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from sspf.audit import AuditAction, record
from sspf.auth import mfa as totp
from sspf.auth import services
from sspf.auth.forms import ChangePasswordForm, EmptyForm, LoginForm, MfaEnrolForm, MfaForm
from sspf.auth.passwords import verify_password
from sspf.auth.sessions import (
    end_all_sessions,
    end_current_session,
    live_sessions,
    pending_session,
    rotate_after_mfa,
    start_session,
)
from sspf.extensions import limiter

bp = Blueprint("auth", __name__)

#: Deliberately one message for unknown user, wrong password, deactivated and locked accounts.
LOGIN_FAILED = _l("Inloggningen misslyckades. Kontrollera användarnamn och lösenord. "
                  "Efter flera misslyckade försök spärras kontot en stund.")


def _login_ip_limit() -> str:
    return current_app.config["SSPF_LOGIN_RATE_LIMIT"]


def _login_account_limit() -> str:
    return current_app.config["SSPF_LOGIN_ACCOUNT_RATE_LIMIT"]


def _account_key() -> str:
    return "login-account:" + (request.form.get("username") or "").strip().lower()[:64]


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect after login is a phishing tool."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc \
            and "\\" not in target:
        return target
    return url_for("web.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_ip_limit, methods=["POST"])
@limiter.limit(_login_account_limit, key_func=_account_key, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("web.index"))
    form = LoginForm()
    if form.validate_on_submit():
        result = services.authenticate(username=form.username.data, password=form.password.data)
        if result.user is None:
            form.password.errors = [str(LOGIN_FAILED)]
            return render_template("auth/login.html", form=form), 200
        start_session(result.user, mfa_passed=not result.user.mfa_enabled)
        session["next"] = _safe_next(request.args.get("next"))
        if result.user.mfa_enabled:
            return redirect(url_for("auth.login_mfa"))
        return redirect(session.pop("next"))
    return render_template("auth/login.html", form=form)


@bp.route("/login/mfa", methods=["GET", "POST"])
@limiter.limit(_login_ip_limit, methods=["POST"])
def login_mfa():
    row = pending_session()
    if row is None:
        return redirect(url_for("auth.login"))
    if row.mfa_at is not None:
        return redirect(url_for("web.index"))
    form = MfaForm()
    if form.validate_on_submit():
        if services.mfa_verify(user=row.user.record, code=form.code.data):
            target = session.get("next")
            rotate_after_mfa(row)
            return redirect(_safe_next(target))
        form.code.errors = [_("Koden stämmer inte eller har redan använts.")]
    return render_template("auth/login_mfa.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    form = EmptyForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        record(AuditAction.LOGOUT, target_type="user", target_id=current_user.id)
    end_current_session("logout")
    flash(_("Du är utloggad."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account")
def account():
    user = current_user._get_current_object()
    return render_template("auth/account.html", sessions=live_sessions(user), current=pending_session(),
                           recovery_left=services.unused_recovery_codes(user), form=EmptyForm())


@bp.route("/account/sessions/end-others", methods=["POST"])
def end_other_sessions():
    form = EmptyForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        ended = end_all_sessions(user, "ended_by_user", keep=pending_session())
        record(AuditAction.SESSIONS_ENDED, target_type="user", target_id=user.id, detail={"count": ended})
        flash(_("%(n)d andra sessioner avslutades.", n=ended), "success")
    return redirect(url_for("auth.account"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    user = current_user.record
    form = ChangePasswordForm(username=user.username)
    if form.validate_on_submit():
        if not verify_password(user.password_hash, form.current_password.data):
            form.current_password.errors = [_("Nuvarande lösenord stämmer inte.")]
        elif form.new_password.data == form.current_password.data:
            # Above all after a reset: the administrator who set the temporary password must not keep knowing it.
            form.new_password.errors = [_("Välj ett annat lösenord än det nuvarande.")]
        else:
            services.password_change(actor=user, new_password=form.new_password.data, keep_session=pending_session())
            flash(_("Lösenordet är bytt. Dina andra inloggningar har avslutats."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/password.html", form=form, forced=user.must_change_password)


@bp.route("/account/mfa", methods=["GET", "POST"])
def enrol_mfa():
    user = current_user.record
    if user.mfa_enabled:
        return render_template("auth/mfa_enrolled.html", recovery_left=services.unused_recovery_codes(user))
    form = MfaEnrolForm()
    if form.validate_on_submit() and user.mfa is not None:
        codes = services.mfa_enrol_confirm(actor=user, code=form.code.data)
        if codes is not None:
            return render_template("auth/recovery_codes.html", codes=codes)
        form.code.errors = [_("Koden stämmer inte. Kontrollera att klockan i telefonen går rätt och försök igen.")]
        cred = user.mfa
    else:
        # An unconfirmed secret is kept across reloads, so a QR code already scanned stays valid.
        cred = user.mfa if user.mfa is not None else services.mfa_enrol_start(actor=user)
    issuer = "sspf " + current_app.config["SSPF_MUNICIPALITY"]
    uri = totp.provisioning_uri(cred.secret, username=user.username, issuer=issuer)
    return render_template("auth/mfa_enrol.html", form=form, uri=uri, secret=cred.secret, qr=totp.qr_svg(uri),
                           required=_mfa_required(user))


@bp.route("/language", methods=["POST"])
def set_language():
    form = EmptyForm()
    lang = request.form.get("lang", "")
    if form.validate_on_submit() and lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.record.language = lang
    return redirect(_safe_next(request.form.get("next")))


def _mfa_required(user) -> bool:
    from sspf.auth.permissions import role_needs_mfa

    return bool(current_app.config["SSPF_REQUIRE_MFA"]) and role_needs_mfa(user.role)
