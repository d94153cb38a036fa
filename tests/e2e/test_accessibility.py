"""axe-core on every page a user can reach: no serious or critical violation.

axe is injected with ``page.evaluate``, which Chromium runs outside the page's Content Security
Policy, so the app's strict CSP (no inline scripts) stays on during the check. Moderate and minor
findings are printed (``pytest -s``) but do not fail the run.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e

AXE = Axe()
BLOCKING = {"serious", "critical"}


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}  [{v['helpUrl']}]")
        for node in v["nodes"]:
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {', '.join(map(str, node['target']))}: {summary}")
    return "\n".join(lines)


def assert_accessible(page, what: str) -> None:
    """Run axe on the page as it is now; fail on serious or critical violations, print every violation."""
    violations = AXE.run(page).response["violations"]
    if violations:
        print(f"\naxe on {what} ({page.url}):\n{describe(violations)}")
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"axe: serious/critical violations on {what} ({page.url}):\n{describe(blocking)}"


# (who is logged in, where to go, a link to follow from there or None, the h1 that proves we got there)
PAGES = [
    pytest.param(None, "/login", None, "Logga in", id="login"),
    pytest.param("field_worker", "/", None, "Välkommen, {field_worker}", id="start-field-worker"),
    pytest.param("field_worker", "/account", None, "Mitt konto", id="account"),
    pytest.param("field_worker", "/account/password", None, "Byt lösenord", id="change-password"),
    pytest.param("field_worker", "/account/mfa", None, "Aktivera tvåstegsverifiering", id="mfa-enrol"),
    pytest.param("field_worker", "/finns-inte", None, "Sidan finns inte", id="404"),
    pytest.param("admin", "/", None, "Välkommen, {admin}", id="start-admin"),
    pytest.param("admin", "/admin/users/", None, "Användare", id="admin-users"),
    pytest.param("admin", "/admin/users/new", None, "Ny användare", id="admin-new-user"),
    pytest.param("admin", "/admin/users/", "skola.orm", "skola.orm", id="admin-edit-user"),
    pytest.param("admin", "/admin/districts", None, "Områden", id="admin-districts"),
    pytest.param("admin", "/admin/districts", "Orminge", "Orminge", id="admin-edit-district"),
]


@pytest.mark.parametrize(("who", "path", "follow", "heading"), PAGES)
def test_page_is_accessible(page_as, new_context, live_server, who, path, follow, heading):
    page = page_as(who) if who else new_context().new_page()
    page.goto(path)
    if follow:
        page.get_by_role("main").get_by_role("link", name=follow, exact=True).click()
    names = {key: account.display_name for key, account in live_server.accounts.items()}
    expect(page.get_by_role("heading", level=1)).to_have_text(heading.format(**names))
    assert_accessible(page, path)


def test_login_with_error_is_accessible(page, live_server):
    login(page, live_server.accounts["analyst"], password="inte rätt lösenord")
    expect(page.locator("#password-err")).to_be_visible()
    assert_accessible(page, "login with an error")


def test_new_user_form_with_errors_is_accessible(page_as):
    page = page_as("admin")
    page.goto("/admin/users/new")
    page.get_by_label("Tillfälligt lösenord", exact=True).fill("kort")
    page.get_by_role("button", name="Spara").click()
    expect(page.locator(".field.has-error")).not_to_have_count(0)
    assert_accessible(page, "new-user form with errors")


def test_phone_start_page_is_accessible(page_as):
    page = page_as("coordinator", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Välkommen")
    assert_accessible(page, "start page on a phone")
