"""``url_for`` for templates, with the fixed URLs built once per process.

Every page builds the same navigation links (a dozen ``url_for`` calls, each a routing-table build)
and the stylesheet link. A link that takes no values (and a static file's) is the same for every
request under the same script root, so it is built once and then looked up; a link with values
(a case id, say) or relative to the blueprint (``.name``) is built every time, as before.
"""

from __future__ import annotations

from flask import Flask, request, url_for

_built: dict[tuple[str, str, str | None], str] = {}


def template_url_for(endpoint: str, **values) -> str:
    if endpoint.startswith(".") or (values and (endpoint != "static" or values.keys() != {"filename"})):
        return url_for(endpoint, **values)
    key = (request.script_root, endpoint, values.get("filename"))
    url = _built.get(key)
    if url is None:
        url = _built[key] = url_for(endpoint, **values)
    return url


def init_app(app: Flask) -> None:
    app.jinja_env.globals["url_for"] = template_url_for
