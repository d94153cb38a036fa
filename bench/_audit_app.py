"""The real sspf app plus two public bench endpoints, for ``bench_audit_write.py``.

``/bench/select`` does the bare endpoint's indexed SELECT inside sspf's full request cycle;
``/bench/audited`` does the same and records one audit event. The difference is the audit
trail's cost per request. Gunicorn loads ``_audit_app:create_audit_bench_app()``.
"""

from __future__ import annotations

import os


def create_audit_bench_app():
    from flask import Blueprint
    from sqlalchemy import text

    from sspf import create_app
    from sspf.audit import AuditAction, record
    from sspf.auth import guard
    from sspf.extensions import db

    app = create_app()
    bp = Blueprint("bench", __name__)
    username = os.environ.get("BENCH_BARE_USERNAME", "admin")
    query = text("SELECT id FROM users WHERE username = :u")

    @bp.route("/bench/select")
    def select_only():
        db.session.execute(query, {"u": username}).scalar_one()
        return "ok"

    @bp.route("/bench/audited")
    def audited():
        user_id = db.session.execute(query, {"u": username}).scalar_one()
        record(AuditAction.ACCESS_DENIED, target_type="bench", target_id=user_id, fields=["username"])
        return "ok"

    app.register_blueprint(bp)
    guard.PUBLIC_ENDPOINTS = guard.PUBLIC_ENDPOINTS | {"bench.select_only", "bench.audited"}
    return app
