"""Security headers, error pages, health check, language."""

from __future__ import annotations

import logging

from tests import factories


def test_security_headers_on_every_response(client, org):
    for response in (client.get("/login"), client.get("/nope"), client.get("/static/sspf.css")):
        h = response.headers
        assert "script-src 'self'" in h["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
        assert "unsafe-inline" not in h["Content-Security-Policy"]
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in client.get("/login").headers  # test config is not production


def test_session_cookie_flags(client, org):
    response = factories.login(client, "admin")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_no_inline_script_in_pages(client, org):
    factories.login(client, "admin")
    for url in ("/", "/account", "/account/mfa", "/admin/users/", "/admin/districts"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>" not in html and "onclick=" not in html and "style=" not in html, url


def test_404_page_is_in_product_style_with_request_id(client, org):
    response = client.get("/does-not-exist")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Sidan finns inte" in html and 'data-testid="request-id"' in html


def test_500_shows_a_request_id_and_no_trace_and_logs_it(client, org, caplog, monkeypatch):
    factories.login(client, "admin")

    def explode(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr("sspf.web.views.render_template", explode)
    with caplog.at_level(logging.ERROR, logger="sspf.errors"):
        response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret internal detail" not in html and "Traceback" not in html
    request_id = html.split('data-testid="request-id">', 1)[1].split("<", 1)[0]
    assert any(request_id in record.getMessage() for record in caplog.records)


def test_healthz_reports_database_state(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["database"] == "ok"


def test_language_switch_to_english_and_back(client, org):
    token = factories.csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/language", data={"lang": "en", "csrf_token": token, "next": "/login"})
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html and "Log in" in html
    token = factories.csrf_token(html)
    client.post("/language", data={"lang": "xx", "csrf_token": token})
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)


def test_dates_in_swedish_format(client, org):
    factories.login(client, "admin")
    html = client.get("/account").get_data(as_text=True)
    import re

    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", html), "Swedish short datetime (ISO-like) expected"


def test_form_fields_never_render_unset_attributes(app, client, org):
    """WTForms prints None as "None": a type="None" password field would show the password in clear."""
    import re

    login_page = app.test_client().get("/login").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="password"[^>]*type="password"', login_page)
    assert '="None"' not in login_page
    factories.login(client, "admin")
    for url in ("/account/password", "/admin/users/new", "/admin/districts", "/account/mfa"):
        assert '="None"' not in client.get(url).get_data(as_text=True), url


def test_waiting_flash_messages_are_capped_so_the_cookie_stays_small(client, org):
    """A client that never follows the redirects (repeated submits, a script) must not grow the session cookie
    without bound: past 4 KB a browser drops it and the user is logged out."""
    from sspf.web.boundary import MAX_WAITING_FLASHES

    factories.login(client, "samordnare.orm")
    token = factories.csrf_token(client.get("/account").get_data(as_text=True))
    with client.session_transaction() as s:
        s["_flashes"] = [("info", f"Meddelande {n} som ingen sida har visat än.") for n in range(40)]
    response = client.post("/language", data={"csrf_token": token, "lang": "sv", "next": "/"})
    assert response.status_code == 302  # a redirect: nothing was shown
    with client.session_transaction() as s:
        assert [text for _cat, text in s["_flashes"]] == [f"Meddelande {n} som ingen sida har visat än."
                                                           for n in range(40 - MAX_WAITING_FLASHES, 40)]


def _nav(page: str) -> str:
    start = page.index('<nav aria-label="')
    return page[start:page.index("</nav>", start)]


def test_navigation_follows_role_language_and_section(app, client, org):
    """The menu is built once per role, language and section; each of those still changes it."""
    factories.login(client, "skola.orm")
    start = _nav(client.get("/").get_data(as_text=True))
    assert ">Ärenden<" in start and ">Användare<" not in start
    assert start.count('aria-current="page"') == 1 and 'href="/" aria-current="page"' in start
    cases = _nav(client.get("/cases/").get_data(as_text=True))
    assert cases.count('aria-current="page"') == 1 and 'href="/cases/" aria-current="page"' in cases

    admin = app.test_client()
    factories.login(admin, "admin")
    menu = _nav(admin.get("/").get_data(as_text=True))
    assert ">Användare<" in menu and ">Ärenden<" not in menu  # another role: not the field worker's menu

    page = factories.post_form(admin, "/", "/language", data={"lang": "en", "next": "/"}, follow=True)
    english = _nav(page.get_data(as_text=True))
    assert "Main menu" in english and ">Users<" in english and "Användare" not in english
    assert ">Ärenden<" in _nav(client.get("/").get_data(as_text=True))  # the Swedish menu is still Swedish
