"""Deny by default: every page needs a login unless it is named public here.

A logged-in user who must first change a temporary password or enrol a second factor is held
to those pages until done.
"""

from __future__ import annotations

from flask import Flask, current_app, redirect, request, url_for
from flask_login import current_user

from sspf.auth.permissions import role_needs_mfa

PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.login_mfa", "auth.logout", "auth.set_language", "web.healthz",
                              "static"})
#: What a user may still reach while a password change or second-factor enrolment is pending.
SETUP_ENDPOINTS = frozenset({"auth.change_password", "auth.enrol_mfa", "auth.logout", "auth.set_language",
                             "web.healthz", "static"})


def init_app(app: Flask) -> None:
    @app.before_request
    def require_login():
        endpoint = request.endpoint
        if endpoint in PUBLIC_ENDPOINTS:
            return None
        if not current_user.is_authenticated:
            if endpoint is None:
                return None  # unknown URL: let it 404 like any other
            return current_app.login_manager.unauthorized()
        if endpoint in SETUP_ENDPOINTS:
            return None
        if current_user.must_change_password:
            return redirect(url_for("auth.change_password"))
        needs_mfa = current_app.config["SSPF_REQUIRE_MFA"] and role_needs_mfa(current_user.role)
        if needs_mfa and not current_user.mfa_enabled:
            return redirect(url_for("auth.enrol_mfa"))
        return None
