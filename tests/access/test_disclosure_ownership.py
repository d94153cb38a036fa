"""A disclosure hands over the disclosing agency's own information, never another agency's.

The attack this guards against: social services sees the school's contacts under the youth's
consent, then records a disclosure of "the school's information" to the police, whom the consent
does not cover for it. Through the form (forged past its choices) and through the service, the
disclosure is refused, nothing is stored, and the police still do not see the school's contact.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from sspf.consent.models import Disclosure
from sspf.extensions import db
from tests import factories
from tests.case_factories import Cases

NOTE = "Hög frånvaro i november"


def _disclosures() -> int:
    return db.session.scalar(select(func.count()).select_from(Disclosure))


def _school_case_shared_with_soc_and_police(org):
    world = Cases(org)
    org.users["soc_orm"] = factories.make_user("soc.orm", org.users["field_worker"].role, org.agencies["soc"],
                                               [org.districts["ORM"]])
    org.users["police_orm"] = factories.make_user("polis.orm", org.users["field_worker"].role,
                                                  org.agencies["police"], [org.districts["ORM"]])
    case = world.open_case("field_worker")
    world.consent(case, {"soc": {"school", "social_services"}, "police": {"police"}})
    world.contact(case, "field_worker", visibility="consented", note=NOTE)
    db.session.commit()
    return world, case


def test_the_form_offers_only_the_agencys_own_information(app, client, org, session):
    _world, case = _school_case_shared_with_soc_and_police(org)
    soc = app.test_client()
    factories.login(soc, "soc.orm")
    page = soc.get(f"/cases/{case.id}/disclosures/new").get_data(as_text=True)
    assert 'value="social_services"' in page and 'value="basic"' in page
    assert 'value="school"' not in page and 'value="police"' not in page


def test_a_forged_form_cannot_disclose_the_schools_contact(app, client, org, session):
    _world, case = _school_case_shared_with_soc_and_police(org)
    police = app.test_client()
    factories.login(police, "polis.orm")
    assert NOTE not in police.get(f"/cases/{case.id}").get_data(as_text=True)

    soc = app.test_client()
    factories.login(soc, "soc.orm")
    path = f"/cases/{case.id}/disclosures/new"
    token = factories.csrf_token(soc.get(path).get_data(as_text=True))
    before = _disclosures()
    answer = soc.post(path, data={
        "csrf_token": token, "legal_basis": "osl_10_27", "to_agency": str(org.agencies["police"].id),
        "categories": ["school"], "assessment": "Bedömning av risk för brott.",
        "valid_until": (case.created_at.date() + timedelta(days=7)).isoformat()})
    assert answer.status_code == 200  # the form again, with its message
    assert _disclosures() == before
    assert NOTE not in police.get(f"/cases/{case.id}").get_data(as_text=True)


def test_the_agency_can_disclose_its_own(app, org, session):
    world, case = _school_case_shared_with_soc_and_police(org)
    disclosure = world.disclose(case, by="soc_orm", to="police", categories={"social_services"}, basis="osl_10_27")
    assert disclosure.categories == ["social_services"] and disclosure.from_agency_id == org.agencies["soc"].id
