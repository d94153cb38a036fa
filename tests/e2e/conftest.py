"""Browser tests: the real app on a real socket, driven by Debian's chromium through Playwright.

One server per test session (werkzeug, threaded, on a free port of 127.0.0.1) over a fresh SQLite
file built by the migrations; one browser per session; a fresh browser context (cookies, storage)
per test, so no test inherits another's login.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests import factories
from tests.conftest import build_app, migrate_fresh, missing

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: Fail fast: a page of this app that takes seconds is a bug, not something to wait for.
TIMEOUT_MS = 10_000
LOCKOUT_THRESHOLD = 3


@dataclass(frozen=True)
class Account:
    username: str
    display_name: str
    id: str
    password: str = factories.PASSWORD


@dataclass
class LiveServer:
    url: str
    accounts: dict[str, Account] = field(default_factory=dict)
    #: The served app, for tests that seed rows through the services (in its app context).
    app: Flask | None = None


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    from sspf.audit import sealing
    from sspf.auth.permissions import Role
    from sspf.extensions import db

    instance = tmp_path_factory.mktemp("instance-e2e")
    app = build_app(
        f"sqlite:///{instance / 'e2e.db'}", instance,
        SSPF_LOCKOUT_THRESHOLD=LOCKOUT_THRESHOLD,
        SSPF_LOGIN_RATE_LIMIT="1000 per minute",
        SSPF_LOGIN_ACCOUNT_RATE_LIMIT="1000 per minute",
    )
    migrate_fresh(app)
    accounts: dict[str, Account] = {}
    with app.app_context():
        org = factories.make_org()
        orm = [org.districts["ORM"]]
        # Dedicated users: the lockout test locks its own account and the language test stores
        # its choice on its own account, so neither changes what the other tests see.
        org.users["lockout"] = factories.make_user("sparras.orm", Role.FIELD_WORKER, org.agencies["school"], orm)
        org.users["language"] = factories.make_user("sprak.orm", Role.FIELD_WORKER, org.agencies["school"], orm)
        # Case journeys: other agencies in the district (they see a case only as far as a consent
        # covers them), and staff of the other district (whose cases must not exist for ORM's).
        fis = [org.districts["FIS"]]
        org.users["police"] = factories.make_user("polis.orm", Role.FIELD_WORKER, org.agencies["police"], orm)
        org.users["soc"] = factories.make_user("soc.orm", Role.FIELD_WORKER, org.agencies["soc"], orm)
        org.users["school_fis"] = factories.make_user("skola.fis", Role.FIELD_WORKER, org.agencies["school"], fis)
        org.users["coordinator_fis"] = factories.make_user("samordnare.fis", Role.COORDINATOR,
                                                           org.agencies["coord"], fis)
        db.session.commit()
        sealing.seal_pending()
        for key, user in org.users.items():
            accounts[key] = Account(username=user.username, display_name=user.display_name, id=str(user.id))
        db.session.remove()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="sspf-e2e-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", accounts=accounts, app=app)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not os.access(CHROMIUM, os.X_OK):
        missing(f"chromium not found at {CHROMIUM} (Debian package 'chromium')")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright (Python) is not installed")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except Exception as exc:
        playwright.stop()
        missing(f"chromium did not start: {exc}")
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()


@pytest.fixture
def new_context(browser, live_server: LiveServer):
    """``new_context(**options)``: a fresh browser context on the live server, closed after the test."""
    contexts = []

    def make(**options):
        options.setdefault("locale", "sv-SE")
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()


def login(page, account: Account, password: str | None = None) -> None:
    """Log in through the login form, as a person would."""
    page.goto("/login")
    page.get_by_label("Användarnamn", exact=True).fill(account.username)
    page.get_by_label("Lösenord", exact=True).fill(password if password is not None else account.password)
    with page.expect_navigation():
        page.get_by_role("button", name="Logga in").click()


@pytest.fixture(scope="session")
def signed_in_states(browser, live_server: LiveServer) -> dict:
    """One real login per seeded user for the whole run, kept as Playwright storage state (the cookies).

    Tests that are not about logging in start from this state in their own fresh context, which
    saves a login per test. Sessions are server-side, so this is the same session in each context.
    """
    return {}


@pytest.fixture
def page_as(new_context, signed_in_states: dict, live_server: LiveServer):
    """``page_as("admin")``: a page in a fresh context, already logged in as that seeded user."""

    def make(key: str, **options):
        if key not in signed_in_states:
            context = new_context()
            page = context.new_page()
            login(page, live_server.accounts[key])
            assert page.url == live_server.url + "/", f"login as {key} failed: at {page.url}"
            signed_in_states[key] = context.storage_state()
        return new_context(storage_state=signed_in_states[key], **options).new_page()

    return make


def translations_exist(locale: str) -> bool:
    from sspf import ROOT

    return (ROOT / "sspf" / "translations" / locale / "LC_MESSAGES" / "messages.mo").is_file()
