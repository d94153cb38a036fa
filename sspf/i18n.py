"""Language: Swedish first, English second. Dates and numbers follow the chosen locale."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale
from flask import Flask, current_app, g, has_app_context, has_request_context, request, session
from flask_babel import format_date, format_datetime, format_decimal, get_locale, get_translations
from flask_login import current_user
from markupsafe import Markup

from sspf.calendar import today_of
from sspf.extensions import babel


@cache
def _locale(identifier: str) -> Locale:
    return Locale.parse(identifier)


def select_locale() -> Locale:
    """The request's language. A parsed ``Locale``, kept per language: Flask-Babel would otherwise
    parse the identifier anew on every request."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # the CLI and background work speak the default language
        return _locale(current_app.config["BABEL_DEFAULT_LOCALE"])
    user = current_user._get_current_object()
    if user.is_authenticated and user.language in languages:
        return _locale(user.language)
    if session.get("lang") in languages:
        return _locale(session["lang"])
    return _locale(current_app.config["BABEL_DEFAULT_LOCALE"])


def _translations():
    """The request's translations, looked up once per request rather than once per string.

    Flask-Babel's template callables find the locale, domain and catalogue anew for every string
    (several context lookups each; a page has dozens). The result is kept in Flask-Babel's own
    per-request slot, which its ``refresh()`` and ``force_locale()`` clear, so both still work.
    """
    if not has_app_context():
        return get_translations()
    ns = g.get("_flask_babel")
    translations = getattr(ns, "babel_translations", None)
    if translations is None:
        translations = get_translations()  # creates g._flask_babel
        g._flask_babel.babel_translations = translations
    return translations


#: The short formats are ISO in every language: a Swedish municipality writes 2026-11-23 whatever language the page
#: is in, and CLDR's English short forms ("11/23/26, 4:57 AM") read as US dates. Swedish's own short forms are these.
_SHORT_DATE = "yyyy-MM-dd"
_SHORT_DATETIME = "yyyy-MM-dd HH:mm"


def _pattern(fmt: str, short: str) -> str:
    return short if fmt == "short" else fmt


@lru_cache(maxsize=4096)
def _format_calendar_date(value: date, fmt: str, locale: Locale) -> str:
    return format_date(value, fmt)  # called with ``locale`` current, so the cached text is that locale's


def _date_filter(value, fmt: str = "short") -> str:
    """``|date``. A calendar date's text depends only on the date, the format and the locale (no time zone),
    and a case page shows the same few dates a hundred times, so those are formatted once per process. An
    instant is first turned into the user's calendar date."""
    if not value:
        return ""
    fmt = _pattern(fmt, _SHORT_DATE)
    locale = get_locale()
    if locale is None:
        return format_date(value, fmt)
    if isinstance(value, datetime):  # an instant shows as its Swedish calendar date (BABEL_DEFAULT_TIMEZONE)
        value = today_of(value)
    return _format_calendar_date(value, fmt, locale)


def _datetime_filter(value, fmt: str = "short") -> str:
    """``|datetime``: an instant in the user's time zone (BABEL_DEFAULT_TIMEZONE, Swedish time)."""
    return format_datetime(value, _pattern(fmt, _SHORT_DATETIME)) if value else ""


def _markup_gettext(translations) -> Callable[..., Markup]:
    """``_()`` for templates: what Jinja's newstyle gettext does, in one plain call.

    Jinja's version passes each string through three context-aware calls (alias, wrapper, our
    callable); a page has dozens of strings, and that chain cost more than the translating. The
    result is the same: the translated text is trusted markup and the variables are escaped into it.
    """

    def gettext(string: str, /, **variables) -> Markup:
        return Markup(translations.ugettext(string)) % variables  # noqa: S704 (our own catalogue, not input)

    return gettext


class _RequestTranslations:
    """Stands for the current request's catalogue where no render has bound one (imported macros)."""

    def ugettext(self, string: str) -> str:
        return _translations().ugettext(string)


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(Path(app.root_path) / "translations"))
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals["_"] = app.jinja_env.globals["gettext"] = _markup_gettext(_RequestTranslations())
    app.jinja_env.filters["datetime"] = _datetime_filter
    app.jinja_env.filters["date"] = _date_filter
    app.jinja_env.filters["number"] = lambda value: format_decimal(value) if value is not None else ""

    @app.context_processor
    def inject_locale() -> dict:
        # Each render binds ``_`` to the request's catalogue once, instead of finding it per string.
        gettext = _markup_gettext(_translations())
        return {"current_locale": str(get_locale()), "request_path": request.path, "_": gettext, "gettext": gettext}
