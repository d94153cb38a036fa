"""The start page and the load balancer's health check."""

from __future__ import annotations

import time

from flask import Blueprint, jsonify, render_template
from flask_login import current_user
from sqlalchemy import text

from sspf.auth.permissions import ROLE_LABELS, Permission, role_has
from sspf.auth.sessions import pending_session
from sspf.calendar import today_of
from sspf.db import utcnow
from sspf.extensions import db

bp = Blueprint("web", __name__)


@bp.route("/")
def index():
    """Start page: who you are, where you work, and what you may use (the navigation is role-aware)."""
    user = current_user._get_current_object()
    login = pending_session()  # already loaded by the login guard: no query here
    desk = None
    if role_has(user.role, Permission.COORDINATE):
        from sspf.cases.queries import coordinator_desk

        desk = coordinator_desk(user, now=utcnow())
    return render_template("web/index.html", user=user, login=login, role_labels=ROLE_LABELS, desk=desk,
                           today=today_of(utcnow()))


@bp.route("/healthz")
def healthz():
    """For a load balancer: 200 with the database's state when it answers, 503 otherwise."""
    started = time.perf_counter()
    try:
        db.session.execute(text("SELECT 1"))
        state, code = "ok", 200
    except Exception:
        db.session.rollback()
        state, code = "unavailable", 503
    return jsonify(status="ok" if code == 200 else "degraded", database=state,
                   database_ms=round((time.perf_counter() - started) * 1000, 2)), code
