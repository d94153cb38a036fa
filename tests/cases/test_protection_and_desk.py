"""Protected identity never leaks into lists or pages; the coordinator's desk; tampered form values."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from sspf.auth.permissions import Role
from sspf.cases.personnummer import parse
from sspf.cases.services import SignalInput, register_signal, set_protection, triage_case
from sspf.consent.models import Consent, ConsentScope
from sspf.consent.services import record_consent
from tests import factories
from tests.cases.test_case_flow import luhn_pnr

MARKER = "Hemligsson Skyddad"


def _case(org, session, *, name: str = MARKER, years: int = 15):
    today = date.today()
    pnr = parse(luhn_pnr(today.replace(year=today.year - years) - timedelta(days=2)), today=today)
    case, _ = register_signal(actor=org.users["field_worker"], personnummer=pnr, name=name,
                              district=org.districts["ORM"], signal=SignalInput(today, ("truancy",), None, False,
                                                                                None, None))
    session.commit()
    return case


def test_protected_identity_is_masked_everywhere_but_for_named_users(app, client, org, session):
    case = _case(org, session)
    named = factories.make_user("soc.orm", Role.FIELD_WORKER, org.agencies["soc"], [org.districts["ORM"]])
    set_protection(actor=org.users["coordinator"], case=case, protected_identity=True,
                   guardian_protected=False, named_users=[named])
    triage_case(actor=org.users["coordinator"], case=case, eligible=True, risk_factors=(), protective_factors=(),
                note=None, today=date.today())
    record_consent(actor=org.users["coordinator"], case=case, signed_on=date.today(),
                   valid_until=date.today() + timedelta(days=60), guardian1=True, guardian2=False, youth=True,
                   method="in_person", scope={org.agencies["soc"].id: {"social_services"}}, today=date.today())
    session.commit()

    factories.login(client, "skola.orm")  # the registering agency, not named
    assert MARKER not in client.get("/cases/").get_data(as_text=True)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert MARKER not in page and "Skyddad identitet" in page
    assert case.youth.personnummer not in page

    named_client = app.test_client()
    factories.login(named_client, "soc.orm")
    assert MARKER in named_client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert MARKER not in named_client.get("/cases/").get_data(as_text=True)  # never in lists, even for named users

    from sqlalchemy import select

    from sspf.audit.models import AuditEvent

    reads = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.read")).all()
    assert reads and all(event.flagged for event in reads)


def test_coordinator_desk_lists_new_signals_and_expiring_consent(client, org, session):
    fresh = _case(org, session, name="Ny Signal")
    older = _case(org, session, name="Snart Utgången", years=16)
    triage_case(actor=org.users["coordinator"], case=older, eligible=True, risk_factors=(), protective_factors=(),
                note=None, today=date.today())
    record_consent(actor=org.users["coordinator"], case=older, signed_on=date.today() - timedelta(days=100),
                   valid_until=date.today() + timedelta(days=5), guardian1=True, guardian2=False, youth=True,
                   method="in_person", scope={org.agencies["police"].id: {"police"}}, today=date.today())
    session.commit()
    factories.login(client, "samordnare.orm")
    html = client.get("/").get_data(as_text=True)
    triage_list = html.split('data-testid="awaiting-triage"', 1)[1].split("</ul>", 1)[0]
    expiring_list = html.split('data-testid="expiring-consents"', 1)[1].split("</ul>", 1)[0]
    assert fresh.code in triage_list and older.code not in triage_list
    assert older.code in expiring_list


def test_tampered_district_and_foreign_consent_id(client, org, session):
    case = _case(org, session, name="Annan Person")
    other = _case(org, session, name="Tredje Person", years=14)
    consent = Consent(case_id=other.id, signed_on=date.today(), valid_until=date.today() + timedelta(days=10),
                      guardian1_signed=True, method="in_person", recorded_by_id=org.users["coordinator"].id)
    consent.scope = [ConsentScope(agency_id=org.agencies["police"].id, category="police")]
    session.add(consent)
    session.commit()
    factories.login(client, "samordnare.orm")
    response = factories.post_form(client, f"/cases/{case.id}", f"/cases/{case.id}/consent/{consent.id}/withdraw",
                                   {"by": "guardian1"})
    assert response.status_code == 404  # the consent belongs to another case
    session.refresh(consent)
    assert consent.withdrawn_at is None

    factories.post_form(client, "/", "/logout")
    factories.login(client, "skola.orm")
    response = factories.post_form(client, "/cases/new", data={
        "personnummer": luhn_pnr(date(date.today().year - 14, 2, 2)), "name": "X Y",
        "raised_on": date.today().isoformat(), "categories": ["truancy"], "district_id": str(org.districts["FIS"].id)})
    assert response.status_code == 400  # a district that is not the user's


def test_the_desk_judges_each_active_case_by_its_latest_consent_and_shows_no_names(client, org, session):
    from tests.case_factories import Cases

    world = Cases(org)
    day = timedelta(days=1)

    def active(name: str, district: str = "ORM", by: str = "field_worker", until: int = 60):
        case = world.open_case(by, district)
        case.youth.name = name
        world.consent(case, {"police": ["school"]}, valid_until=world.today + until * day)  # makes it active
        return case

    soon = active("Snart Utgångsson", until=5)
    world.insert_consent(soon, {"police": ["school"]}, signed_on=world.today - 100 * day,
                         valid_until=world.today - 50 * day)  # an older, lapsed one too: the latest decides
    lapsed = active("Utgången Redansson")
    lapsed_consent = session.scalars(select(Consent).where(Consent.case_id == lapsed.id)).one()
    lapsed_consent.valid_until = world.today - 10 * day
    renewed = active("Förnyad Fortsson")
    world.insert_consent(renewed, {"police": ["school"]}, signed_on=world.today - 300 * day,
                         valid_until=world.today + 3 * day)  # expiring, but a later consent runs on
    withdrawn = active("Återkallad Ersson", until=3)  # on the list: a later consent was withdrawn, so this one counts
    world.insert_consent(withdrawn, {"police": ["school"]}, signed_on=world.today - 300 * day,
                         valid_until=world.today + 400 * day, withdrawn_at=world.now)
    elsewhere = active("Fisksätra Fiskson", "FIS", "school_fis")
    session.scalars(select(Consent).where(Consent.case_id == elsewhere.id)).one().valid_until = world.today + 2 * day
    closed = active("Avslutad Avsson")
    session.scalars(select(Consent).where(Consent.case_id == closed.id)).one().valid_until = world.today + 2 * day
    world.close(closed)
    session.commit()

    factories.login(client, "samordnare.orm")
    html = client.get("/").get_data(as_text=True)
    expiring = html.split('data-testid="expiring-consents"', 1)[1].split("</ul>", 1)[0]
    shown = sorted((expiring.index(c.code), c.code) for c in (lapsed, withdrawn, soon) if c.code in expiring)
    assert [code for _at, code in shown] == [lapsed.code, withdrawn.code, soon.code]  # soonest (or lapsed) first
    for case in (renewed, elsewhere, closed):
        assert case.code not in expiring, case.youth.name
    assert "gick ut" in expiring.split(soon.code)[0]  # the lapsed one is shown as expired
    for name in ("Utgångsson", "Redansson", "Fortsson", "Ersson", "Fiskson", "Avsson"):
        assert name not in html


def test_the_coordinator_sees_who_has_read_the_case_each_once_newest_first(app, client, org, session):
    from tests.case_factories import Cases

    world = Cases(org)
    case = world.open_case()
    world.consent(case, {"police": ["school"]})
    world.contact(case, "police_orm")  # a contact is no read: it must not put anyone on the list
    session.commit()
    police, school = world.user("police_orm"), world.user("field_worker")

    def read_as(user) -> str:
        browser = app.test_client()
        factories.login(browser, user.username)
        return browser.get(f"/cases/{case.id}").get_data(as_text=True)

    read_as(police)
    read_as(school)
    assert "Vem har läst ärendet" not in read_as(police)  # the list is the coordinator's, not a reader's
    factories.login(client, "samordnare.orm")
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    readers = html.split("Vem har läst ärendet", 1)[1].split("</ul>", 1)[0]
    assert readers.count(police.display_name) == 1 and readers.count(school.display_name) == 1  # read twice: once
    assert readers.index(police.display_name) < readers.index(school.display_name)  # police read last


def test_the_desk_lists_active_cases_whose_consent_was_withdrawn_until_a_new_one_is_valid(client, org, session):
    from tests.case_factories import Cases

    world = Cases(org)
    withdrawn = world.open_case()
    world.withdraw(withdrawn, world.consent(withdrawn, {"police": ["school"]}))
    renewed = world.open_case()
    world.withdraw(renewed, world.consent(renewed, {"police": ["school"]}))
    world.consent(renewed, {"police": ["school"]})  # a new, valid consent: nothing to do
    closed = world.open_case()
    world.withdraw(closed, world.consent(closed, {"police": ["school"]}))
    world.close(closed, "consent_withdrawn")
    elsewhere = world.open_case("school_fis", "FIS")
    world.withdraw(elsewhere, world.consent(elsewhere, {"police": ["school"]}))
    session.commit()

    factories.login(client, "samordnare.orm")
    html = client.get("/").get_data(as_text=True)
    listed = html.split('data-testid="withdrawn-consents"', 1)[1].split("</ul>", 1)[0]
    assert withdrawn.code in listed and "återkallat" in listed
    for case in (renewed, closed, elsewhere):
        assert case.code not in listed
