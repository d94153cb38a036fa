"""Error pages in the product's style. No stack trace reaches a user; a 500 carries a request id."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from sspf.web.boundary import rollback

log = logging.getLogger("sspf.errors")

MESSAGES = {
    400: (_l("Felaktig begäran"), _l("Begäran kunde inte behandlas. Ladda om sidan och försök igen.")),
    403: (_l("Åtkomst nekad"), _l("Du har inte behörighet till den här sidan.")),
    404: (_l("Sidan finns inte"), _l("Sidan du sökte finns inte, eller så har du inte tillgång till den.")),
    405: (_l("Felaktig begäran"), _l("Den här sidan kan inte användas på det sättet.")),
    413: (_l("För stor begäran"), _l("Det du skickade var för stort.")),
    429: (_l("För många försök"), _l("Du har gjort för många försök på kort tid. Vänta en stund och försök igen.")),
    500: (_l("Något gick fel"),
          _l("Ett oväntat fel inträffade. Inget sparades. Ange referensen nedan om du kontaktar supporten.")),
}


CSRF_MESSAGE = _l("Formuläret hade gått ut eller saknade sin säkerhetskod. Ladda om sidan och försök igen.")


def _render(code: int, detail: str | None = None):
    title, text = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/healthz"):
        return jsonify(error=code, request_id=g.get("request_id")), code
    return render_template("errors/error.html", code=code, title=title, text=detail or text,
                           request_id=g.get("request_id")), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return _render(400, str(CSRF_MESSAGE))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code and exc.code >= 500:
            return server_error(exc)
        return _render(exc.code or 400)

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        original = getattr(exc, "original_exception", None) or exc
        if not isinstance(original, InternalServerError) or original is not exc:
            log.error("unhandled error (request %s)", g.get("request_id"), exc_info=original)
        rollback()
        return _render(500)
