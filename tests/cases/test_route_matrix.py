"""Case routes × actors × consent states: every cell asserted, through real requests.

A case the user may not see is a 404 on every route, never a 403 that would confirm it exists.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from sspf.auth.permissions import Role
from sspf.cases.personnummer import make
from sspf.cases.services import SignalInput, register_signal, triage_case
from sspf.consent.models import Consent, ConsentScope
from sspf.consent.services import record_consent, record_disclosure, withdraw_consent
from tests import factories

STATES = ("none", "consent_police", "consent_soc_only", "expired", "withdrawn", "disclosed_to_police")
ROUTES = ("show", "contact", "disclose", "youth", "triage")
URLS = {"show": "/cases/{id}", "contact": "/cases/{id}/contacts/new", "disclose": "/cases/{id}/disclosures/new",
        "youth": "/cases/{id}/youth", "triage": "/cases/{id}/triage"}


def _expected(actor: str, state: str, route: str) -> int:
    owner = actor == "school_orm"
    coordinator = actor == "coord_orm"
    police_sees = actor == "police_orm" and state in {"consent_police", "disclosed_to_police"}
    visible = owner or coordinator or police_sees
    if route == "triage":
        if not actor.startswith("coord"):
            return 403  # the permission gate comes before the case is looked up
        if not coordinator:
            return 404
        return 200 if state == "none" else 302  # every other state is triaged: back to the case page, told so
    if not visible:
        return 404
    if route == "youth":
        return 200 if owner or coordinator else 403
    return 200


def _build(org, session, state: str):
    today = date.today()
    n = STATES.index(state)
    pnr = make(today.replace(year=today.year - 15) - timedelta(days=30 + n), 100 + n)
    case, _ = register_signal(actor=org.users["field_worker"], personnummer=pnr, name=f"Matris {state}",
                              district=org.districts["ORM"],
                              signal=SignalInput(today, ("truancy",), "Skolans anteckning", False, None, None))
    if state != "none":
        triage_case(actor=org.users["coordinator"], case=case, eligible=True, risk_factors=(), protective_factors=(),
                    note=None, today=today)
    police, soc = org.agencies["police"].id, org.agencies["soc"].id
    if state in {"consent_police", "withdrawn"}:
        consent = record_consent(actor=org.users["coordinator"], case=case, signed_on=today,
                                 valid_until=today + timedelta(days=30), guardian1=True, guardian2=False, youth=True,
                                 method="in_person", scope={police: {"police"}}, today=today)
        if state == "withdrawn":
            withdraw_consent(actor=org.users["coordinator"], case=case, consent=consent, by="youth")
    elif state == "consent_soc_only":
        record_consent(actor=org.users["coordinator"], case=case, signed_on=today,
                       valid_until=today + timedelta(days=30), guardian1=True, guardian2=False, youth=True,
                       method="in_person", scope={soc: {"social_services"}}, today=today)
    elif state == "expired":
        consent = Consent(case_id=case.id, signed_on=today - timedelta(days=100), valid_until=today - timedelta(days=1),
                          guardian1_signed=True, youth_signed=True, method="in_person",
                          recorded_by_id=org.users["coordinator"].id)
        consent.scope = [ConsentScope(agency_id=police, category="police")]
        session.add(consent)
    elif state == "disclosed_to_police":
        soc_user = org.users["soc_orm"]
        record_disclosure(actor=soc_user, case=case, legal_basis="osl_10_27", to_agency=org.agencies["police"],
                          categories={"social_services"}, assessment="Akut risk för brott enligt bedömning",
                          valid_until=today + timedelta(days=7), today=today)
    return case


@pytest.fixture
def matrix(org, session):
    orm, fis = [org.districts["ORM"]], [org.districts["FIS"]]
    actors = {
        "school_orm": org.users["field_worker"], "coord_orm": org.users["coordinator"],
        "police_orm": factories.make_user("polis.orm", Role.FIELD_WORKER, org.agencies["police"], orm),
        "police_fis": factories.make_user("polis.fis", Role.FIELD_WORKER, org.agencies["police"], fis),
        "coord_fis": factories.make_user("samordnare.fis", Role.COORDINATOR, org.agencies["coord"], fis),
    }
    org.users["soc_orm"] = factories.make_user("soc.orm", Role.FIELD_WORKER, org.agencies["soc"], orm)
    cases = {state: _build(org, session, state) for state in STATES}
    session.commit()
    return actors, cases


def test_every_cell(app, client, matrix):
    actors, cases = matrix
    failures = []
    for name, user in actors.items():
        client = app.test_client()
        factories.login(client, user.username)
        for state, case in cases.items():
            for route in ROUTES:
                got = client.get(URLS[route].format(id=case.id)).status_code
                want = _expected(name, state, route)
                if got != want:
                    failures.append(f"{name} {state} {route}: got {got}, want {want}")
    assert not failures, "\n".join(failures)


def test_guessed_and_foreign_ids_look_the_same(app, client, matrix):
    actors, cases = matrix
    client = app.test_client()
    factories.login(client, actors["police_fis"].username)
    guessed = client.get("/cases/3f2a9c1e-0000-4000-8000-000000000000")
    foreign = client.get(f"/cases/{cases['consent_police'].id}")
    garbage = client.get("/cases/not-a-uuid")
    assert guessed.status_code == foreign.status_code == garbage.status_code == 404
    def page(response, path: str) -> str:
        # The request id, the path (in the language form) and the CSRF token's timestamp differ by design.
        html = response.get_data(as_text=True).replace(path, "PATH").split('data-testid="request-id">')[0]
        return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value="TOKEN"', html)

    assert page(guessed, "/cases/3f2a9c1e-0000-4000-8000-000000000000") == page(
        foreign, f"/cases/{cases['consent_police'].id}")
