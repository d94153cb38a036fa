"""What a person does in the browser: log in and out, mistype, get locked out, use a phone,
switch language, and (as administrator) create a user."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LOCKOUT_THRESHOLD, login, translations_exist

pytestmark = pytest.mark.e2e

GENERIC_FAILURE = "Inloggningen misslyckades. Kontrollera användarnamn och lösenord."


def test_login_shows_start_page_with_name_and_role(page, live_server):
    worker = live_server.accounts["field_worker"]
    login(page, worker)

    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Välkommen, {worker.display_name}")
    expect(page.get_by_test_id("role")).to_have_text("Handläggare/fältarbetare")
    nav = page.get_by_role("navigation", name="Huvudmeny")
    expect(nav.get_by_role("link", name="Start")).to_have_attribute("aria-current", "page")
    # A field worker does not administer anything, so the menu does not offer it.
    expect(nav.get_by_role("link", name="Användare")).to_have_count(0)
    expect(page).to_have_title(re.compile(r"^Start · sspf"))


def test_logout_ends_the_session(page, live_server):
    login(page, live_server.accounts["coordinator"])
    expect(page.get_by_role("heading", level=1)).to_contain_text("Välkommen")

    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Logga in")
    expect(page.get_by_role("status")).to_contain_text("Du är utloggad.")

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
    expect(page.get_by_label("Användarnamn", exact=True)).to_be_visible()


def test_bad_password_shows_generic_error_next_to_the_field(page, live_server):
    worker = live_server.accounts["analyst"]
    login(page, worker, password="fel lösenord helt enkelt")

    expect(page).to_have_url(re.compile(r"/login$"))
    password = page.get_by_label("Lösenord", exact=True)
    expect(password).to_have_attribute("type", "password")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_attribute("aria-describedby", "password-err")
    error = page.locator("#password-err")
    expect(error).to_contain_text(GENERIC_FAILURE)
    expect(error).to_have_attribute("role", "alert")
    # The error sits in the password field's own block, and the typed username is kept.
    expect(page.locator(".field.has-error").filter(has=password)).to_contain_text(GENERIC_FAILURE)
    expect(page.get_by_label("Användarnamn", exact=True)).to_have_value(worker.username)
    expect(password).to_have_value("")


def test_lockout_after_repeated_failures(page, live_server):
    victim = live_server.accounts["lockout"]
    for _ in range(LOCKOUT_THRESHOLD):
        login(page, victim, password="gissning gissning gissning")
        expect(page.locator("#password-err")).to_contain_text(GENERIC_FAILURE)

    # Locked now: the right password fails too, with the very same words (nothing to learn from).
    login(page, victim)
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("#password-err")).to_have_text(re.compile(re.escape(GENERIC_FAILURE)))
    expect(page.get_by_role("heading", level=1)).to_have_text("Logga in")

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next="))


def test_phone_login_without_horizontal_scroll(new_context, live_server):
    context = new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                          has_touch=True)
    page = context.new_page()
    page.goto("/login")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    worker = live_server.accounts["working_group"]
    login(page, worker)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Välkommen, {worker.display_name}")
    expect(page.get_by_test_id("role")).to_have_text("Lokal arbetsgrupp")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.goto("/account")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mitt konto")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def _assert_english(page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Svenska")).to_be_visible()


def test_language_switch_before_login(page):
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "sv")

    page.get_by_role("button", name="English").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    _assert_english(page)
    if translations_exist("en"):  # until the English catalogue exists the text stays Swedish
        expect(page.get_by_role("heading", level=1)).to_have_text("Log in")

    page.get_by_role("button", name="Svenska").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("heading", level=1)).to_have_text("Logga in")


def test_language_choice_follows_the_user(page, live_server):
    login(page, live_server.accounts["language"])
    page.get_by_role("button", name="English").click()
    expect(page).to_have_url(live_server.url + "/")
    _assert_english(page)

    page.goto("/account")
    _assert_english(page)

    page.get_by_role("button", name="Svenska").click()
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mitt konto")


def test_admin_new_user_with_short_password_keeps_other_values(page_as, live_server):
    page = page_as("admin")
    page.goto("/")
    nav = page.get_by_role("navigation", name="Huvudmeny")
    nav.get_by_role("link", name="Användare").click()
    expect(page).to_have_url(re.compile(r"/admin/users/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Användare")
    table = page.get_by_role("table")
    for key in ("field_worker", "coordinator", "admin"):
        expect(table.get_by_role("link", name=live_server.accounts[key].username, exact=True)).to_be_visible()

    page.get_by_role("link", name="Ny användare").click()
    expect(page).to_have_url(re.compile(r"/admin/users/new$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ny användare")

    page.get_by_label("Användarnamn", exact=True).fill("fritid.orm")
    page.get_by_label("Namn", exact=True).fill("Fritidsledare Orminge")
    page.get_by_label("Roll", exact=True).select_option(label="Samordnare")
    page.get_by_label("Organisation", exact=True).select_option(label="Fritid")
    page.get_by_label("Områden", exact=True).select_option(label="Orminge (ORM)")
    password = page.get_by_label("Tillfälligt lösenord", exact=True)
    expect(password).to_have_attribute("type", "password")
    password.fill("kort")
    page.get_by_role("button", name="Spara").click()

    expect(page).to_have_url(re.compile(r"/admin/users/new$"))
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#password-err")).to_contain_text("Lösenordet måste vara minst 12 tecken.")
    expect(page.locator(".field.has-error")).to_have_count(1)
    expect(page.locator(".field.has-error").filter(has=password)).to_be_visible()
    expect(page.get_by_label("Användarnamn", exact=True)).to_have_value("fritid.orm")
    expect(page.get_by_label("Namn", exact=True)).to_have_value("Fritidsledare Orminge")
    expect(page.get_by_label("Roll", exact=True).locator("option:checked")).to_have_text("Samordnare")
    expect(page.get_by_label("Organisation", exact=True).locator("option:checked")).to_have_text("Fritid")
    expect(page.get_by_label("Områden", exact=True).locator("option:checked")).to_have_text(["Orminge (ORM)"])
    expect(password).to_have_value("")

    # Nothing was created.
    page.goto("/admin/users/?q=fritid.orm")
    expect(page.get_by_role("table")).to_contain_text("Inga användare hittades.")
