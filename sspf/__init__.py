"""sspf: the shared platform for SSPF work (school, social services, police, leisure)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Any = None, overrides: dict[str, Any] | None = None) -> Flask:
    """Build the application. Nothing happens at import time; nothing touches the database here."""
    from config import config_from_env
    from sspf import catalogue, i18n, models  # noqa: F401  (models: every table in the metadata)
    from sspf.auth import guard
    from sspf.bootstrap import prepare_secrets
    from sspf.calendar import use_local_calendar
    from sspf.db import configure_engine
    from sspf.extensions import csrf, db, limiter, login_manager, migrate
    from sspf.web import boundary, errors, nav, security, urls

    use_local_calendar()
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder="static")
    app.config.from_object(config or config_from_env())
    if overrides:
        app.config.update(overrides)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["SSPF_REDIS_URL"] or "memory://")
    prepare_secrets(app)
    if app.config["SSPF_TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["SSPF_TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    boundary.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    _throttle_posts_only(app, limiter)
    i18n.init_app(app)
    catalogue.init_app(app)
    _init_login(app, login_manager)
    guard.init_app(app)
    _init_crypto_and_audit(app)
    security.init_app(app)
    urls.init_app(app)
    nav.init_app(app)
    errors.init_app(app)
    _register_blueprints(app)
    from sspf.cli import register_commands

    register_commands(app)
    from flask_login import current_user

    from sspf.auth.permissions import template_can

    @app.context_processor
    def inject_can() -> dict:
        return {"can": template_can(current_user)}

    if not app.testing:
        _freeze_startup_objects()
    return app


def _freeze_startup_objects() -> None:
    """Move everything built at start-up (modules, mappers, compiled config) out of the garbage collector's
    reach: it lives as long as the process anyway, and a full collection would otherwise walk it again on
    every request that allocates many objects (a 200-case agenda did, and was a quarter slower for it).

    Then collect the young generation after 20,000 new objects rather than 700: a request's objects are
    freed by reference counting when it ends, and at 700 the collector ran several times within every
    request to look at objects about to go anyway (3% of a start page). Cycles are still collected."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def _throttle_posts_only(app: Flask, limiter) -> None:
    """Only forms are throttled (the login forms, by their POST). Flask-Limiter checks every request
    before it finds one exempt, which cost a page view 2% of its time; its check now runs for POSTs only.
    Should a Flask-Limiter release register its check differently, ``index`` fails at start-up, not silently."""
    from flask import request

    hooks = app.before_request_funcs[None]
    check = hooks[hooks.index(limiter._check_request_limit)]

    def check_posts() -> None:
        if request.method == "POST":
            check()

    hooks[hooks.index(check)] = check_posts


def _init_login(app: Flask, login_manager) -> None:
    from flask_babel import lazy_gettext as _l

    from sspf.auth.sessions import load_user

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Logga in för att fortsätta.")
    login_manager.login_message_category = "info"
    #: Our server-side sessions replace Flask-Login's IP/user-agent heuristics.
    login_manager.session_protection = None
    login_manager.user_loader(load_user)


def _init_crypto_and_audit(app: Flask) -> None:
    from sspf import crypto
    from sspf.audit import sealing

    crypto.init_app(app)
    sealing.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from sspf.auth.admin_views import bp as users_bp
    from sspf.auth.views import bp as auth_bp
    from sspf.cases.views import bp as cases_bp
    from sspf.consent.views import bp as consent_bp
    from sspf.contacts.views import bp as contacts_bp
    from sspf.meetings.views import bp as meetings_bp
    from sspf.org.views import bp as org_bp
    from sspf.plans.views import bp as plans_bp
    from sspf.web.views import bp as web_bp

    for bp in (web_bp, auth_bp, users_bp, org_bp, cases_bp, consent_bp, contacts_bp, plans_bp, meetings_bp):
        app.register_blueprint(bp)
