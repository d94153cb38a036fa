"""The shared case in the browser: a field worker logs a contact on a phone, the coordinator triages
and records consent, another agency sees only what the consent covers until it is withdrawn, a
case that is not yours is the same 404 as one that does not exist, and the case pages pass axe.

Journeys that are about a flow drive every step through the pages. The accessibility checks and
the other district's case start from rows seeded through the services (the same code the pages
call), so each check costs one page load.
"""

from __future__ import annotations

import itertools
import re
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LiveServer, login
from tests.e2e.test_accessibility import assert_accessible

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
CASE_URL = re.compile(r"/cases/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")
POLICE_SCOPE = "Polisen: Polisens uppgifter (brott och händelser)"

_serials = itertools.count(401)


def youth_pnr() -> str:
    """A new youth aged 16 today (so guardian 1 and the youth sign the consent), unique per call."""
    from sspf.cases.personnummer import make

    return make(date.today() - timedelta(days=round(16.5 * 365.25)), next(_serials)).display


def six_months_from(day: date) -> date:
    month = day.month + 6
    year, month = day.year + (month - 1) // 12, (month - 1) % 12 + 1
    for last in (31, 30, 29, 28):  # the same day of the month, or the month's last day
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def hidden_behind_sticky_save(page) -> bool:
    """Whether the focused element is entirely behind the sticky save bar at the bottom of the screen."""
    return page.evaluate("""() => {
        const focused = document.activeElement, box = focused.getBoundingClientRect();
        const bar = document.querySelector('.sticky-save').getBoundingClientRect();
        return !focused.closest('.sticky-save') && box.top >= bar.top && box.bottom <= bar.bottom;
    }""")


def flash(page):
    return page.locator(".flashes[role=status]")


def h1(page):
    return page.get_by_role("heading", level=1)


# -- Through the pages ---------------------------------------------------------------------------

def register_signal(page, *, pnr: str, name: str, note: str, tap: bool = False) -> tuple[str, str]:
    """The new-signal form from the case list, as a field worker fills it in; returns (case path, code)."""
    page.goto("/cases/")
    new = page.get_by_role("main").get_by_role("link", name="Ny signal", exact=True)
    new.tap() if tap else new.click()
    expect(h1(page)).to_have_text("Ny signal (aktualisering)")
    page.get_by_label("Personnummer eller samordningsnummer").fill(pnr)
    page.get_by_label("Namn", exact=True).fill(name)
    concern = page.get_by_role("group", name="Vad gäller oron?")
    concern.get_by_label("Skolfrånvaro", exact=True).check()
    concern.get_by_label("Kamrater i kriminalitet", exact=True).check()
    page.get_by_label("Kort beskrivning").fill(note)
    submit = page.get_by_role("button", name="Registrera signalen")
    submit.tap() if tap else submit.click()
    expect(page).to_have_url(CASE_URL)
    expect(flash(page)).to_contain_text("Signalen är registrerad som ärende ORM-")
    code = re.search(r"ORM-\d{4}-\d{3}", flash(page).inner_text()).group(0)
    expect(h1(page)).to_contain_text(code)
    expect(page.get_by_test_id("youth-name")).to_have_text(name)
    return "/cases/" + CASE_URL.search(page.url).group(1), code


# -- Seeded through the services -----------------------------------------------------------------

@dataclass(frozen=True)
class Seeded:
    id: str
    code: str
    name: str

    @property
    def url(self) -> str:
        return f"/cases/{self.id}"


@contextmanager
def in_app(live_server: LiveServer) -> Iterator:
    from sspf.audit import sealing
    from sspf.extensions import db

    with live_server.app.app_context():
        try:
            yield db.session
            db.session.commit()
            sealing.seal_pending()
        finally:
            db.session.remove()


def seed_case(live_server: LiveServer, *, by: str, district: str, name: str, coordinator: str | None = None,
              consent: Mapping[str, set[str]] | None = None, contact_note: str | None = None) -> Seeded:
    """A case registered by ``by``; triaged by ``coordinator``; with ``consent`` ({agency name: categories})."""
    from sqlalchemy import select

    from sspf.access.scoping import CaseHead
    from sspf.auth.models import User
    from sspf.cases import services as cases
    from sspf.cases.personnummer import parse
    from sspf.consent import services as consents
    from sspf.contacts import services as contacts
    from sspf.contacts.models import Visibility
    from sspf.org.models import Agency, District

    today = date.today()
    with in_app(live_server) as session:
        def user(username: str) -> User:
            return session.scalar(select(User).where(User.username == username))

        registrar = user(by)
        case, _created = cases.register_signal(
            actor=registrar, personnummer=parse(youth_pnr(), today=today), name=name,
            district=session.scalar(select(District).where(District.code == district)),
            signal=cases.SignalInput(raised_on=today, categories=("truancy",), note="Seedad signal",
                                     report_made=False, report_made_on=None, report_made_by=None))
        if coordinator:
            cases.triage_case(actor=user(coordinator), case=case, eligible=True, risk_factors=["school_absence"],
                              protective_factors=["trusted_adult"], note="Seedad bedömning", today=today)
        if consent:
            agencies = {a.name: a.id for a in session.scalars(select(Agency))}
            consents.record_consent(
                actor=user(coordinator), case=case, signed_on=today, valid_until=today + timedelta(days=180),
                guardian1=True, guardian2=False, youth=True, method="in_person",
                scope={agencies[name]: set(cats) for name, cats in consent.items()}, today=today)
        if contact_note:
            contacts.log_contact(actor=registrar, case=CaseHead.of(case), occurred_on=today, type="meeting",
                                 duration_minutes=30, parties=["youth", "guardian"], note=contact_note,
                                 visibility=Visibility.CONSENTED, today=today)
        return Seeded(id=str(case.id), code=case.code, name=name)


@pytest.fixture(scope="module")
def seeded(live_server: LiveServer) -> dict[str, Seeded]:
    return {
        # Fisksätra's case, consented to the police: only the district keeps it from ORM's police.
        "other_district": seed_case(live_server, by="skola.fis", district="FIS", name="Frida Fisksätra",
                                    coordinator="samordnare.fis", consent={"Polisen": {"basic", "police"}}),
        "signal": seed_case(live_server, by="skola.orm", district="ORM", name="Signe Signalsson"),
        "triaged": seed_case(live_server, by="skola.orm", district="ORM", name="Tage Triagesson",
                             coordinator="samordnare.orm"),
        "active": seed_case(live_server, by="skola.orm", district="ORM", name="Aktiva Andersson",
                            coordinator="samordnare.orm", consent={"Polisen": {"police"}, "Socialtjänsten": {"school"}},
                            contact_note="Träffade den unge och mamma på skolan"),
    }


# -- 1. A field worker on a phone ----------------------------------------------------------------

def test_field_worker_logs_a_contact_on_a_phone(page_as):
    page = page_as("field_worker", **PHONE)
    path, code = register_signal(page, pnr=youth_pnr(), name="Elsa Mobilsson", note="Ofta sen till första lektionen",
                                 tap=True)
    assert scroll_width(page) <= 360, "the case page scrolls sideways on a phone"

    page.get_by_role("link", name="Logga kontakt").tap()
    expect(page).to_have_url(re.compile(re.escape(path) + "/contacts/new$"))
    expect(h1(page)).to_have_text(f"Logga kontakt {code}")
    expect(page.get_by_label("Datum", exact=True)).to_have_value(date.today().isoformat())
    assert scroll_width(page) <= 360, "the contact form scrolls sideways on a phone"

    page.get_by_role("group", name="Typ av kontakt").get_by_label("Telefon", exact=True).check()
    page.keyboard.press("Tab")  # from the radio group to the next field, which is below the fold
    expect(page.get_by_label("Tid (minuter)")).to_be_focused()
    assert not hidden_behind_sticky_save(page), "the focused field is hidden behind the sticky save button"
    page.get_by_role("group", name="Med vem").get_by_label("Vårdnadshavare", exact=True).check()
    page.get_by_label("Kort anteckning").fill("Pratade med pappa om morgnarna")
    save = page.get_by_role("button", name="Spara kontakten")
    expect(save).to_be_in_viewport()  # the sticky save button is reachable without scrolling
    started = time.perf_counter()
    save.tap()
    expect(flash(page)).to_have_text("Kontakten är sparad.")
    elapsed = time.perf_counter() - started
    print(f"\nsaving a contact on a phone (tap to case page shown): {elapsed * 1000:.0f} ms")

    expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    contacts = page.locator("ul.contacts > li")
    expect(contacts).to_have_count(1)  # one tap, one contact
    expect(contacts).to_contain_text("Pratade med pappa om morgnarna")
    expect(contacts).to_contain_text("Telefon")
    expect(contacts).to_contain_text("Vårdnadshavare")
    expect(contacts).to_contain_text(date.today().isoformat())
    assert scroll_width(page) <= 360, "the case page with a contact scrolls sideways on a phone"


# -- 2. Coordinator: triage, consent, withdrawal; the police see only what is consented ------------

def test_coordinator_triages_and_records_consent_and_police_see_only_that(page_as, new_context, live_server):
    name, note = "Hugo Samtyckesson", "Hög frånvaro, skolan oroad sedan höstlovet"
    path, code = register_signal(page_as("field_worker"), pnr=youth_pnr(), name=name, note=note)

    # The coordinator finds it in the list.
    coordinator = page_as("coordinator")
    coordinator.goto("/cases/")
    row = coordinator.get_by_role("row").filter(has=coordinator.get_by_role("link", name=code, exact=True))
    expect(row).to_contain_text(name)
    expect(row).to_contain_text("Ny signal")
    row.get_by_role("link", name=code, exact=True).click()
    expect(coordinator).to_have_url(re.compile(re.escape(path) + "$"))
    expect(coordinator.get_by_role("main")).to_contain_text(note)  # the coordinator sees the whole case

    # Triage.
    coordinator.get_by_role("link", name="Bedöm", exact=True).click()
    expect(h1(coordinator)).to_have_text(f"Bedömning av {code}")
    coordinator.get_by_role("group", name="Beslut").get_by_label("Tas upp i SSPF", exact=True).check()
    coordinator.get_by_role("group", name="Riskfaktorer").get_by_label("Hög skolfrånvaro", exact=True).check()
    coordinator.get_by_role("button", name="Spara bedömningen").click()
    expect(flash(coordinator)).to_have_text("Bedömningen är sparad.")
    expect(h1(coordinator)).to_contain_text("Bedömd, väntar på samtycke")

    # Consent: a 16-year-old, so guardian 1 and the youth sign; the police may see police information.
    coordinator.get_by_role("link", name="Registrera samtycke").click()
    expect(h1(coordinator)).to_have_text(f"Registrera samtycke för {code}")
    expect(coordinator.locator(".card > p.hint")).to_have_text(
        re.compile(r"Krävs enligt åldersreglerna:\s+vårdnadshavare 1,\s*den unge\.$"))
    today = date.today()
    expect(coordinator.get_by_label("Datum för samtycket")).to_have_value(today.isoformat())
    coordinator.get_by_label("Gäller till och med").fill(six_months_from(today).isoformat())
    coordinator.get_by_label("Vårdnadshavare 1 har skrivit under").check()
    coordinator.get_by_label("Den unge har skrivit under").check()
    coordinator.get_by_label("Hur samtycket inhämtades").select_option(label="Underskrift vid möte")
    coordinator.get_by_role("checkbox", name=POLICE_SCOPE, exact=True).check()
    expect(coordinator.locator(".scope-grid input:checked")).to_have_count(1)
    coordinator.get_by_role("button", name="Spara samtycket").click()
    expect(flash(coordinator)).to_have_text("Samtycket är registrerat.")
    expect(h1(coordinator)).to_contain_text("Aktiv")
    consents = coordinator.get_by_role("main").locator(".consent")
    expect(consents).to_have_count(1)
    expect(consents).to_contain_text(POLICE_SCOPE)
    expect(consents).to_contain_text(f"{today.isoformat()} – {six_months_from(today).isoformat()}")

    # The police officer logs in and finds the case: the youth's name, not the school's note.
    police = new_context().new_page()
    login(police, live_server.accounts["police"])
    police.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Ärenden").click()
    expect(police.get_by_role("row").filter(has_text=code)).to_contain_text(name)
    police.get_by_role("link", name=code, exact=True).click()
    expect(police).to_have_url(re.compile(re.escape(path) + "$"))
    expect(police.get_by_test_id("youth-name")).to_have_text(name)
    main = police.get_by_role("main")
    expect(main).to_contain_text("Du ser de uppgifter som samtycket")
    expect(main).not_to_contain_text(note)
    for hidden in ("Bedömning", "Samtycken"):
        expect(police.get_by_role("heading", name=hidden, exact=True)).to_have_count(0)
    expect(police.get_by_role("link", name="Bedöm", exact=True)).to_have_count(0)
    expect(police.get_by_role("link", name="Registrera samtycke")).to_have_count(0)

    # Social services are in the district too, but the consent does not name them.
    social = page_as("soc")
    assert social.goto(path).status == 404
    expect(h1(social)).to_have_text("Sidan finns inte")

    # The coordinator withdraws the consent ...
    coordinator.reload()
    coordinator.locator(".consent").get_by_role("link", name="Återkalla", exact=True).click()
    expect(h1(coordinator)).to_have_text("Återkalla samtycke")
    coordinator.get_by_label("Vem återkallade?").select_option(label="Vårdnadshavare 1")
    coordinator.get_by_role("button", name="Återkalla", exact=True).click()
    expect(flash(coordinator)).to_have_text("Samtycket är återkallat. Delningen upphörde direkt.")
    expect(coordinator.locator(".consent")).to_contain_text("Återkallat")
    coordinator.goto("/cases/")  # a withdrawal puts the case on the next meeting's agenda
    row = coordinator.get_by_role("row").filter(has=coordinator.get_by_role("link", name=code, exact=True))
    expect(row.get_by_role("img", name="Flaggat till mötet")).to_be_visible()

    # ... and the officer's very next load of the case is the 404 page; the list forgets it too.
    response = police.goto(path)
    assert response.status == 404
    expect(h1(police)).to_have_text("Sidan finns inte")
    expect(police.get_by_role("main")).not_to_contain_text(name)
    police.goto("/cases/")
    expect(police.get_by_role("link", name=code, exact=True)).to_have_count(0)
    expect(police.get_by_role("main")).not_to_contain_text(name)


# -- 3. Not yours looks exactly like not there ---------------------------------------------------

def _not_found(page, path: str) -> tuple[str, str]:
    response = page.goto(path)
    assert response.status == 404, f"{path}: {response.status}"
    expect(h1(page)).to_have_text("Sidan finns inte")
    main = page.get_by_role("main").inner_html()
    return page.title(), re.sub(r'(data-testid="request-id">)[^<]*', r"\1…", main)


def test_guessed_id_and_other_districts_case_give_the_same_404(page_as, seeded):
    page = page_as("police")
    other = seeded["other_district"]
    guessed = _not_found(page, f"/cases/{uuid.uuid4()}")
    foreign = _not_found(page, other.url)
    assert foreign == guessed
    assert other.name not in foreign[1] and other.code not in foreign[1]
    assert _not_found(page, other.url + "/contacts/new") == guessed
    page.goto("/cases/")
    expect(page.get_by_role("main")).not_to_contain_text(other.code)


# -- 4. Accessibility ----------------------------------------------------------------------------

# (who, which seeded case or None, path under it, the h1 that proves we got there)
PAGES = [
    pytest.param("field_worker", None, "/cases/", "Ärenden", id="case-list"),
    pytest.param("field_worker", None, "/cases/new", "Ny signal (aktualisering)", id="new-signal"),
    pytest.param("field_worker", "signal", "", "{code} Ny signal", id="case-page-owner"),
    pytest.param("coordinator", "active", "", "{code} Aktiv", id="case-page-coordinator"),
    pytest.param("police", "active", "", "{code} Aktiv", id="case-page-consented"),
    pytest.param("coordinator", "signal", "/triage", "Bedömning av {code}", id="triage"),
    pytest.param("coordinator", "triaged", "/consent", "Registrera samtycke för {code}", id="consent"),
    pytest.param("field_worker", "signal", "/contacts/new", "Logga kontakt {code}", id="contact-form"),
]


@pytest.mark.parametrize(("who", "case", "path", "heading"), PAGES)
def test_case_page_is_accessible(page_as, seeded, who, case, path, heading):
    page = page_as(who)
    code = seeded[case].code if case else ""
    page.goto((seeded[case].url if case else "") + path)
    expect(h1(page)).to_have_text(heading.format(code=code))
    assert_accessible(page, f"{who} on {case or ''}{path}")


def test_new_signal_with_errors_is_accessible_and_says_what_is_wrong(page_as):
    page = page_as("field_worker", **PHONE)
    page.goto("/cases/new")
    page.get_by_label("Personnummer eller samordningsnummer").fill("20100101-1235")
    page.get_by_role("button", name="Registrera signalen").tap()
    expect(page).to_have_url(re.compile(r"/cases/new$"))
    pnr = page.get_by_label("Personnummer eller samordningsnummer")
    expect(pnr).to_have_attribute("aria-invalid", "true")
    expect(pnr).to_have_attribute("aria-describedby", re.compile(r"\bpersonnummer-err\b"))
    expect(pnr).to_have_value("20100101-1235")
    error = page.locator("#personnummer-err")
    expect(error).to_have_attribute("role", "alert")
    expect(error).to_contain_text("Kontrollsiffran stämmer inte")
    expect(page.locator(".field.has-error").filter(has=pnr)).to_contain_text("Kontrollsiffran stämmer inte")
    # No category chosen: that error sits in its own group.
    expect(page.get_by_role("group", name="Vad gäller oron?")).to_contain_text("Välj minst en.")
    assert scroll_width(page) <= 360
    assert_accessible(page, "new-signal form with errors on a phone")


def test_consent_without_scope_is_accessible_and_says_what_is_missing(page_as, seeded):
    page = page_as("coordinator", **PHONE)
    case = seeded["triaged"]
    page.goto(case.url + "/consent")
    assert scroll_width(page) <= 360, "the consent form scrolls sideways on a phone"
    page.get_by_label("Vårdnadshavare 1 har skrivit under").check()
    page.get_by_label("Den unge har skrivit under").check()
    page.get_by_role("button", name="Spara samtycket").tap()
    scope = page.get_by_role("group", name=re.compile("^Vad samtycket omfattar"))
    expect(scope).to_have_attribute("aria-describedby", "scope-err")
    expect(page.locator("#scope-err")).to_have_text("Välj minst en organisation och en sorts uppgifter.")
    expect(page.locator("#scope-err")).to_have_attribute("role", "alert")
    expect(page.get_by_label("Vårdnadshavare 1 har skrivit under")).to_be_checked()  # what was ticked stays
    assert scroll_width(page) <= 360
    assert_accessible(page, "consent form with an error on a phone")
