"""The shared case through the web: signal → triage → consent → another agency sees what is consented."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

from sqlalchemy import select

from sspf.audit.models import AuditEvent
from sspf.auth.permissions import Role
from sspf.cases.models import Case, CaseStatus, Youth
from sspf.cases.personnummer import make
from tests import factories


def luhn_pnr(born: date, serial: int = 123) -> str:
    """A valid personnummer as a user types it (YYYYMMDD-NNNC)."""
    return make(born, serial).display


def _register(client, pnr: str, name: str = "Testa Testsson", **extra):
    data = {"personnummer": pnr, "name": name, "raised_on": date.today().isoformat(),
            "categories": ["truancy", "criminal_peers"], "note": "Hög frånvaro sedan höstlovet"}
    data.update(extra)
    return factories.post_form(client, "/cases/new", data=data)


def _case_id(response) -> str:
    return response.headers["Location"].rsplit("/", 1)[1]


def test_signal_triage_consent_and_consented_agency_view(app, client, org, session):
    factories.make_user("polis.orm", Role.FIELD_WORKER, org.agencies["police"], [org.districts["ORM"]])
    session.commit()
    pnr = luhn_pnr(date.today().replace(year=date.today().year - 15) - timedelta(days=3))

    factories.login(client, "skola.orm")
    response = _register(client, pnr)
    assert response.status_code == 302
    case_id = _case_id(response)
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Testa Testsson" in page and "ORM-" in page

    cop = app.test_client()
    factories.login(cop, "polis.orm")
    assert cop.get(f"/cases/{case_id}").status_code == 404  # no consent yet: the case does not exist for police
    assert "Testa Testsson" not in cop.get("/cases/").get_data(as_text=True)

    coordinator = app.test_client()
    factories.login(coordinator, "samordnare.orm")
    assert factories.post_form(coordinator, f"/cases/{case_id}/triage", data={
        "eligible": "yes", "risk_factors": ["school_absence"]}).status_code == 302
    police_id = org.agencies["police"].id
    response = factories.post_form(coordinator, f"/cases/{case_id}/consent", data={
        "signed_on": date.today().isoformat(), "valid_until": (date.today() + timedelta(days=180)).isoformat(),
        "guardian1": "y", "youth": "y", "method": "in_person", f"scope-{police_id}-police": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert session.get(Case, uuid.UUID(case_id)).status == CaseStatus.ACTIVE

    page = cop.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Testa Testsson" in page  # basic identity comes with any consented category
    assert "Hög frånvaro" not in page  # the school's signal note is school information, not consented
    assert "Bedömning" not in page  # triage and consents are for the owner and the coordinator

    consent_id = re.search(r"/consent/([0-9a-f-]{36})/withdraw", coordinator.get(f"/cases/{case_id}")
                           .get_data(as_text=True)).group(1)
    factories.post_form(coordinator, f"/cases/{case_id}/consent/{consent_id}/withdraw", data={"by": "guardian1"})
    assert cop.get(f"/cases/{case_id}").status_code == 404  # withdrawal bites on the very next request


def test_search_before_create_reuses_youth_and_case(client, org, session):
    pnr = luhn_pnr(date(date.today().year - 14, 5, 17))
    factories.login(client, "skola.orm")
    first = _case_id(_register(client, pnr))
    second = _case_id(_register(client, pnr.replace("-", ""), name=""))
    assert first == second
    assert len(session.scalars(select(Youth)).all()) == 1


def test_bad_personnummer_and_future_date_are_refused(client, org, session):
    factories.login(client, "skola.orm")
    bad = _register(client, "20100101-1235")
    assert bad.status_code == 200 and "Kontrollsiffran stämmer inte" in bad.get_data(as_text=True)
    future = _register(client, luhn_pnr(date(date.today().year - 14, 1, 1)),
                       raised_on=(date.today() + timedelta(days=2)).isoformat())
    assert "framtiden" in future.get_data(as_text=True)
    assert session.scalars(select(Case)).all() == []


def test_case_read_is_audited_with_pseudonym_not_name(client, org, session):
    factories.login(client, "skola.orm")
    case_id = _case_id(_register(client, luhn_pnr(date(date.today().year - 13, 3, 3))))
    client.get(f"/cases/{case_id}")
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "case.read"))
    youth = session.scalar(select(Youth))
    assert event.subject_ref == youth.ref and "name" in event.fields
    assert "Testa" not in str(event.detail)


def test_contact_logged_from_phone_form(client, org, session):
    factories.login(client, "skola.orm")
    case_id = _case_id(_register(client, luhn_pnr(date(date.today().year - 15, 8, 8))))
    response = factories.post_form(client, f"/cases/{case_id}/contacts/new", data={
        "occurred_on": date.today().isoformat(), "type": "phone", "parties": ["guardian"],
        "note": "Pratade med mamma", "visibility": "own_agency"})
    assert response.status_code == 302
    assert "Pratade med mamma" in client.get(f"/cases/{case_id}").get_data(as_text=True)


def test_owner_edits_guardians_and_scanned_form_round_trips_encrypted(app, client, org, session):
    factories.login(client, "skola.orm")
    case_id = _case_id(_register(client, luhn_pnr(date(date.today().year - 15, 4, 4))))
    response = factories.post_form(client, f"/cases/{case_id}/youth", data={
        "name": "Testa Testsson", "address": "Storgatan 1", "guardian1_name": "Mamma Testsson",
        "guardian1_phone": "070-1234567", "guardian2_name": "Pappa Testsson"})
    assert response.status_code == 302
    assert "Mamma Testsson" in client.get(f"/cases/{case_id}").get_data(as_text=True)

    coordinator = app.test_client()
    factories.login(coordinator, "samordnare.orm")
    factories.post_form(coordinator, f"/cases/{case_id}/triage", data={"eligible": "yes"})
    import io

    pdf = b"%PDF-1.4 samtyckesblankett-MARKOR"
    token = factories.csrf_token(coordinator.get(f"/cases/{case_id}/consent").get_data(as_text=True))
    response = coordinator.post(f"/cases/{case_id}/consent", data={
        "csrf_token": token, "signed_on": date.today().isoformat(),
        "valid_until": (date.today() + timedelta(days=30)).isoformat(), "guardian1": "y", "youth": "y",
        "method": "in_person", f"scope-{org.agencies['soc'].id}-social_services": "1",
        "scan": (io.BytesIO(pdf), "blankett.pdf", "application/pdf")}, content_type="multipart/form-data")
    assert response.status_code == 200  # two guardians are recorded, so both must sign
    assert "vårdnadshavare 2" in response.get_data(as_text=True)
    token = factories.csrf_token(response.get_data(as_text=True))
    response = coordinator.post(f"/cases/{case_id}/consent", data={
        "csrf_token": token, "signed_on": date.today().isoformat(),
        "valid_until": (date.today() + timedelta(days=30)).isoformat(), "guardian1": "y", "guardian2": "y",
        "youth": "y", "method": "in_person", f"scope-{org.agencies['soc'].id}-social_services": "1",
        "scan": (io.BytesIO(pdf), "blankett.pdf", "application/pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    page = coordinator.get(f"/cases/{case_id}").get_data(as_text=True)
    link = re.search(r'href="(/cases/[^"]+/form)"', page).group(1)
    download = coordinator.get(link)
    assert download.data == pdf and download.mimetype == "application/pdf"
    raw = session.connection().exec_driver_sql("SELECT scanned_form FROM consents").scalar_one()
    assert b"MARKOR" not in bytes(raw)


def test_a_consent_form_with_a_scope_box_it_never_offered_saves_nothing(app, client, org, session):
    from sspf.consent.models import Consent
    from tests.case_factories import Cases

    case = Cases(org).open_case()
    session.commit()
    factories.login(client, "samordnare.orm")
    police_id = org.agencies["police"].id
    form = {"signed_on": date.today().isoformat(), "valid_until": (date.today() + timedelta(days=30)).isoformat(),
            "guardian1": "y", "youth": "y", "method": "in_person", f"scope-{police_id}-police": "1"}
    for forged in (f"scope-{police_id}-weapons", "scope-999999-police", f"scope-{police_id}"):
        response = factories.post_form(client, f"/cases/{case.id}/consent", data={**form, forged: "1"})
        assert response.status_code == 200
        assert "som inte finns" in response.get_data(as_text=True)
        assert session.scalars(select(Consent).where(Consent.case_id == case.id)).first() is None
    assert factories.post_form(client, f"/cases/{case.id}/consent", data=form).status_code == 302  # the control


def test_forms_a_closed_case_cannot_take_send_back_to_the_case_with_the_reason(app, client, org, session):
    from tests.case_factories import Cases

    world = Cases(org)
    closed, signal = world.open_case(), world.signal()
    world.close(closed, "moved")
    session.commit()
    factories.login(client, "samordnare.orm")
    cases = {"closed": closed, "signal": signal}
    for state, form, message in (("closed", "contacts/new", "Ärendet är avslutat."),
                                 ("closed", "consent", "Ärendet är avslutat."),
                                 ("closed", "disclosures/new", "Ärendet är avslutat."),
                                 ("signal", "consent", "Ärendet måste bedömas innan samtycke registreras.")):
        case = cases[state]
        response = client.get(f"/cases/{case.id}/{form}")
        assert response.status_code == 302 and response.location.endswith(f"/cases/{case.id}"), (state, form)
        assert message in client.get(response.location).get_data(as_text=True), (state, form)
    # The forms a case can still take open as before.
    assert client.get(f"/cases/{signal.id}/contacts/new").status_code == 200


def test_a_consent_registered_after_it_ran_out_is_kept_with_a_warning_that_it_shares_nothing(client, org, session):
    from tests.case_factories import Cases

    case = Cases(org).open_case()
    session.commit()
    factories.login(client, "samordnare.orm")
    response = factories.post_form(client, f"/cases/{case.id}/consent", data={
        "signed_on": (date.today() - timedelta(days=100)).isoformat(),
        "valid_until": (date.today() - timedelta(days=1)).isoformat(), "guardian1": "y", "youth": "y",
        "method": "in_person", f"scope-{org.agencies['police'].id}-police": "1"})
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "gäller inte i dag, så ingenting delas" in page and "flash-warning" in page
    assert session.get(Case, case.id).status == CaseStatus.TRIAGED
