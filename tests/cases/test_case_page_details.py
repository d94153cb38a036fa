"""What the case page shows beyond the basics, and to whom: the closure, who raised a signal, the youth's legal
sex, who signed a consent and how it was obtained, and the disclosure register.

Each detail is checked for a viewer who should see it and, where the rule limits it, for one who should not:
signatories, method and the person behind a signal are for full access (coordinator, owner); a disclosure is
seen by full access and by the agency that made it, never by another agency that holds the case by consent.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from sspf.cases.models import Case
from sspf.catalogue import catalogue
from tests import factories
from tests.case_factories import Cases

SEX_LABEL = {"female": "Kvinna", "male": "Man"}


@pytest.fixture
def world(org, session) -> Cases:
    return Cases(org)


def page_as(app, world: Cases, who: str, case: Case) -> str:
    client: FlaskClient = app.test_client()
    factories.login(client, world.user(who).username)
    response = client.get(f"/cases/{case.id}")
    assert response.status_code == 200, (who, response.status_code)
    return response.get_data(as_text=True)


def part(html: str, testid: str) -> str:
    """The element marked ``data-testid=testid`` (a section or a paragraph), or "" if the page has none."""
    match = re.search(rf'<(section|p)[^>]*data-testid="{testid}"[^>]*>(.*?)</\1>', html, re.S)
    return match.group(2) if match else ""


def test_a_closed_case_shows_when_and_why_it_was_closed(app, client, world, session):
    case = world.open_case()
    world.close(case, "moved")
    session.commit()
    closed_on = world.today.isoformat()

    for who in ("coordinator", "field_worker"):  # the district's coordinator and the registering agency
        closure = part(page_as(app, world, who, case), "closure")
        assert closed_on in closure, who
        assert catalogue().label("closure_reasons", "moved") in closure, who


def test_an_open_case_shows_no_closure(app, client, world, session):
    case = world.open_case()
    session.commit()
    assert part(page_as(app, world, "coordinator", case), "closure") == ""


def test_full_access_sees_who_raised_the_signal_a_consented_agency_only_the_agency(app, client, world, session):
    case = world.open_case("field_worker")  # the school's signal
    world.consent(case, {"police": {"school"}})  # so the police see the school's signal, but not who wrote it
    session.commit()
    raiser = world.user("field_worker").display_name

    signals = part(page_as(app, world, "coordinator", case), "signals")
    assert raiser in signals and "Skola" in signals

    police = page_as(app, world, "police_orm", case)
    signals = part(police, "signals")
    assert "Skola" in signals  # the signal itself is visible to them
    assert raiser not in police


def test_the_youths_legal_sex_is_shown_with_the_basic_details(app, client, world, session):
    case = world.open_case()
    world.consent(case, {"police": {"police"}})  # basic details come with any consented category
    session.commit()
    expected = SEX_LABEL[case.youth.sex]

    for who in ("coordinator", "police_orm"):
        html = page_as(app, world, who, case)
        assert re.search(rf"<dt>Juridiskt kön</dt>\s*<dd>{expected}</dd>", html), who


def test_consent_signatories_and_method_for_full_access_only(app, client, world, session):
    case = world.open_case()
    world.consent(case, {"police": {"police"}})  # guardian 1 and the youth signed, at a meeting
    session.commit()
    method = catalogue().label("consent_methods", "in_person")

    consents = part(page_as(app, world, "coordinator", case), "consents")
    assert "Underskrivet av vårdnadshavare 1, den unge" in consents, consents
    assert "vårdnadshavare 2" not in consents  # guardian 2 did not sign
    assert method in consents

    police = page_as(app, world, "police_orm", case)  # sees the case by that very consent
    assert part(police, "consents") == ""
    assert method not in police and "Underskrivet av" not in police


def _disclosed_by_soc(world: Cases, session) -> Case:
    """A school case that social services and leisure hold by consent; social services disclose to the police."""
    case = world.open_case("field_worker")
    world.consent(case, {"soc": {"school"}, "leisure": {"school"}})
    world.disclose(case, by="soc_orm", to="police", categories={"social_services"}, basis="osl_10_18a",
                   valid_until=world.today + timedelta(days=10))
    session.commit()
    return case


def test_the_disclosing_agency_sees_its_own_disclosure(app, client, world, session):
    case = _disclosed_by_soc(world, session)
    basis = catalogue().label("legal_bases", "osl_10_18a")

    register = part(page_as(app, world, "soc_orm", case), "disclosures")
    assert basis in register
    assert "Polisen" in register  # to whom
    assert catalogue().label("information_categories", "social_services") in register  # what
    assert world.today.isoformat() in register  # when
    assert (world.today + timedelta(days=10)).isoformat() in register  # until when
    assert world.user("soc_orm").display_name in register  # who decided


def test_another_consented_agency_does_not_see_the_disclosure(app, client, world, session):
    case = _disclosed_by_soc(world, session)
    basis = catalogue().label("legal_bases", "osl_10_18a")

    leisure = page_as(app, world, "leisure_orm", case)
    assert part(leisure, "disclosures") == ""
    assert basis not in leisure and world.user("soc_orm").display_name not in leisure


def test_full_access_keeps_seeing_every_disclosure(app, client, world, session):
    case = _disclosed_by_soc(world, session)
    register = part(page_as(app, world, "coordinator", case), "disclosures")
    assert catalogue().label("legal_bases", "osl_10_18a") in register
    assert "Socialtjänsten" in register and "Polisen" in register
