"""The main menu, rendered once per role, language and section instead of on every page.

The menu is a dozen links, each asking for a permission, a URL and a translation: about a fifth
of a small page's rendering. What it shows depends only on the user's role (permissions are fixed
per role in ``sspf.auth.permissions``), the language and which section the page belongs to, so the
rendered HTML is kept per combination (a few dozen at most) and reused.
"""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

#: Path prefixes of the menu's sections, longest first where one contains another.
SECTIONS = (
    ("/cases", "cases"), ("/tasks", "tasks"), ("/meetings", "meetings"), ("/admin/users", "users"),
    ("/admin/districts", "districts"), ("/account", "account"),
)

_rendered: dict[tuple[str, str, str, str], Markup] = {}


def section_of(path: str) -> str:
    if path == "/":
        return "start"
    return next((name for prefix, name in SECTIONS if path.startswith(prefix)), "")


def main_menu() -> Markup:
    """The menu for the logged-in user on this page."""
    key = (str(get_locale()), current_user.role, section_of(request.path), request.script_root)
    html = _rendered.get(key)
    if html is None:
        html = _rendered[key] = Markup(render_template("_nav.html", section=key[2]))  # noqa: S704 (our template)
    return html


def init_app(app: Flask) -> None:
    app.jinja_env.globals["main_menu"] = main_menu
