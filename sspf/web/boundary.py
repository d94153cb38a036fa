"""The request boundary: one request id, one commit, and a rollback on any error.

Services only flush. The single commit happens here, after the view returned and before the
response leaves, so a failing commit turns into an error page rather than a false "saved".
"""

from __future__ import annotations

import logging
import secrets
import time

from flask import Flask, Response, g, request, session

from sspf.extensions import db

log = logging.getLogger("sspf.request")
#: Flash messages kept for the next page: the newest few.
MAX_WAITING_FLASHES = 3


def init_app(app: Flask) -> None:
    @app.before_request
    def assign_request_id() -> None:
        g.request_id = secrets.token_hex(8)
        g.started = time.perf_counter()

    @app.after_request
    def commit(response: Response) -> Response:
        if g.get("rolled_back"):
            return response
        db.session.commit()
        after = g.pop("after_commit", [])
        for callback in after:
            try:
                callback()
            except Exception:
                # The request's work is committed; an after-commit task (e.g. sealing the audit
                # chain) that fails is retried by the next request and must not undo a success.
                log.exception("after-commit task failed", extra={"request_id": g.get("request_id")})
        return response

    @app.after_request
    def cap_flashes(response: Response) -> Response:
        # Messages wait in the cookie session until a page shows them. A client that never follows the
        # redirect (a script, repeated submits) would otherwise grow the cookie past the 4 KB browsers keep,
        # which logs the user out, and make every request sign and parse it all again.
        flashes = session.get("_flashes")
        if flashes and len(flashes) > MAX_WAITING_FLASHES:
            session["_flashes"] = flashes[-MAX_WAITING_FLASHES:]
        return response

    @app.after_request
    def log_request(response: Response) -> Response:
        # The path only: a query string may carry what a user typed. No user ids either: the audit
        # trail, not the operations log, says who did what.
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        log.info("%s %s %s %.1fms rid=%s", request.method, request.path, response.status_code, elapsed,
                 g.get("request_id"))
        return response

    @app.teardown_request
    def rollback_on_error(exc: BaseException | None) -> None:
        if exc is not None:
            db.session.rollback()


def after_commit(callback) -> None:
    """Run ``callback`` once the request's transaction has committed."""
    queue = g.setdefault("after_commit", [])
    if callback not in queue:
        queue.append(callback)


def rollback() -> None:
    """Abandon the request's writes (used by the 500 handler before it renders)."""
    db.session.rollback()
    g.rolled_back = True


def release_loaded_rows() -> None:
    """After a large page is rendered: write what is pending, then let the session forget its loaded rows,
    so the request's commit does not expire hundreds of objects that nobody reads again (a 200-case agenda
    spent a tenth of its time there). Detached objects keep what they loaded, so the current user still reads."""
    db.session.flush()
    db.session.expunge_all()
