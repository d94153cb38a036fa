"""The pages a field worker and a coordinator use most, on a 360 × 740 phone: nothing scrolls sideways.

A page that fits only because its table scrolls inside a box still hides columns, so the checks look at what
matters on each page too: every scope checkbox of the consent form is on the screen, the case list's table
does not scroll and its case codes stay on one line, and a long note without spaces wraps.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LiveServer
from tests.e2e.test_case_journeys import PHONE, POLICE_SCOPE, h1, scroll_width, seed_case

pytestmark = pytest.mark.e2e

WIDTH = PHONE["viewport"]["width"]
#: A pasted link as long as a note may be (1000 characters): one word, no spaces to wrap at.
LONG_LINK = "https://example.org/" + "a" * 980


def off_screen(page, selector: str) -> list[str]:
    """The elements matching ``selector`` that are not entirely within the screen's width."""
    return page.evaluate("""([selector, width]) => [...document.querySelectorAll(selector)]
        .filter(e => { const r = e.getBoundingClientRect(); return r.left < 0 || r.right > width; })
        .map(e => e.id || e.textContent.trim().slice(0, 40))""", [selector, WIDTH])


@pytest.fixture(scope="module")
def cases(live_server: LiveServer) -> dict:
    return {
        "triaged": seed_case(live_server, by="skola.orm", district="ORM", name="Tova Telefonsson",
                             coordinator="samordnare.orm"),
        "long_note": seed_case(live_server, by="skola.orm", district="ORM", name="Linus Långlänksson",
                               coordinator="samordnare.orm", consent={"Polisen": {"police"}}, contact_note=LONG_LINK),
    }


def test_a_long_note_without_spaces_wraps_on_the_case_page(page_as, cases):
    page = page_as("field_worker", **PHONE)
    page.goto(cases["long_note"].url)
    note = page.locator("ul.contacts > li").filter(has_text="https://example.org/")
    expect(note).to_be_visible()
    assert scroll_width(page) <= WIDTH, "the case page scrolls sideways: the note does not wrap"
    assert off_screen(page, "ul.contacts > li") == []


def test_the_case_list_fits_a_phone(page_as, cases):
    page = page_as("coordinator", **PHONE)
    page.goto("/cases/")
    expect(h1(page)).to_have_text("Ärenden")
    assert scroll_width(page) <= WIDTH
    wrap = page.locator(".table-wrap")
    assert wrap.evaluate("e => e.scrollWidth <= e.clientWidth"), "the case list's columns scroll out of sight"
    codes = page.locator("table.case-list tbody a")
    assert codes.count() >= 2
    lines = codes.evaluate_all("links => links.map(a => [a.textContent, a.getClientRects().length])")
    assert all(n == 1 for _code, n in lines), f"case codes wrap: {lines}"
    # The status, the column that used to be cut off, is there for every case, on the screen.
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=cases["triaged"].code, exact=True))
    expect(row.locator(".status:visible")).to_have_text("Bedömd, väntar på samtycke")
    expect(row).to_contain_text("ORM")
    assert off_screen(page, "table.case-list td *") == []


def test_the_consent_scope_is_usable_on_a_phone(page_as, cases):
    page = page_as("coordinator", **PHONE)
    page.goto(cases["triaged"].url + "/consent")
    expect(h1(page)).to_contain_text("Registrera samtycke")
    assert scroll_width(page) <= WIDTH, "the consent form scrolls sideways on a phone"
    boxes = page.locator(".scope-grid input[type=checkbox]")
    assert boxes.count() >= 25  # five organisations × five kinds of information
    assert off_screen(page, ".scope-grid input[type=checkbox]") == []
    police = page.get_by_role("checkbox", name=POLICE_SCOPE, exact=True)
    police.tap()
    expect(police).to_be_checked()
    expect(page.get_by_role("group", name="Polisen", exact=True)).to_be_visible()
