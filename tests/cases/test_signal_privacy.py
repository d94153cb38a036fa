"""The personnummer search and the signal form tell nobody about a case they may not see or identify;
the signal and triage forms refuse what they cannot save before saving anything, and keep what was typed."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from sspf.access.rules import Actor, can_identify, case_access
from sspf.access.scoping import case_head_and_facts, identity_visible, visible_cases
from sspf.audit.models import AuditEvent
from sspf.cases.models import Case, CaseStatus, Signal, Youth
from sspf.cases.personnummer import parse
from sspf.cases.services import SignalInput, TransitionError, register_signal
from sspf.catalogue import catalogue
from tests import factories
from tests.case_factories import Cases, youth_number

NEUTRAL = "Signalen är registrerad och har lämnats till samordnaren."
NAME = "Test Testsson"  # what Cases.signal names every youth


@pytest.fixture
def world(org, session, client) -> Cases:
    """``client`` too: it makes every ``app.test_client()`` run each request in a context of its own."""
    return Cases(org)


def _as(app, world: Cases, who: str):
    browser = app.test_client()
    factories.login(browser, world.user(who).username)
    return browser


def _search(browser, number: str) -> str:
    html = factories.post_form(browser, "/cases/", "/cases/search", {"personnummer": number}).get_data(as_text=True)
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value="TOKEN"', html)


def _signal(browser, number: str, *, name: str = "Annat Namn", **extra):
    data = {"personnummer": number, "name": name, "raised_on": date.today().isoformat(), "categories": ["truancy"],
            "note": "Ny oro i korridoren"}
    data.update(extra)
    return factories.post_form(browser, "/cases/new", data=data)


def _flashes(html: str) -> str:
    found = re.search(r'<div class="flashes".*?</div>', html, re.S)
    return found.group(0) if found else ""


def _protected_world(world: Cases):
    """An active ORM case, consented to police and social services, its youth protected with soc.orm named
    (and the ORM coordinator, who marked it); returns the case and its personnummer as typed."""
    number = youth_number(today=world.today)
    case = world.open_case(number=number)
    world.consent(case, {"police": ["police"], "soc": ["social_services"]})
    world.protect(case, named=["soc_orm"])
    return case, number.display


# --- 1. the personnummer search -------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["police_orm", "field_worker", "coordinator_both"])
def test_a_protected_youth_is_not_found_by_users_not_named(app, world, session, who):
    """Consented police, the registering school and a coordinator of the district who is not named: the search
    answers as for a number that has no case at all."""
    case, number = _protected_world(world)
    unknown = youth_number(today=world.today).display
    session.commit()
    browser = _as(app, world, who)
    hit, miss = _search(browser, number), _search(browser, unknown)
    assert case.code not in hit and "Skyddad identitet" not in hit
    assert hit == miss
    assert browser.get(f"/cases/{case.id}").status_code == 200  # the case itself is theirs to see, masked


@pytest.mark.parametrize("who", ["soc_orm", "coordinator"])
def test_named_users_still_find_the_protected_youth(app, world, session, who):
    case, number = _protected_world(world)
    session.commit()
    assert case.code in _search(_as(app, world, who), number)


def test_an_unprotected_youth_is_still_found_by_consented_police(app, world, session):
    number = youth_number(today=world.today)
    case = world.open_case(number=number)
    world.consent(case, {"police": ["police"]})
    session.commit()
    assert case.code in _search(_as(app, world, "police_orm"), number.display)


def test_the_sql_identity_rule_agrees_with_the_pure_rule(world, session):
    protected, _number = _protected_world(world)
    plain = world.open_case()
    world.consent(plain, {"police": ["police"]})
    elsewhere = world.open_case("school_fis", "FIS")
    cases = [protected, plain, elsewhere]
    for key in ("field_worker", "coordinator", "coordinator_both", "coordinator_fis", "police_orm", "soc_orm",
                "school_fis", "police_both"):
        actor = Actor.of(world.user(key))
        found = set(session.scalars(select(Case.id).join(Youth, Youth.id == Case.youth_id).where(
            Case.id.in_([c.id for c in cases]), visible_cases(actor, now=world.now), identity_visible(actor))))
        for case in cases:
            access = case_access(actor, case_head_and_facts(actor, case.id, now=world.now)[1], now=world.now,
                                 all_categories=catalogue().codes("information_categories"))
            assert (case.id in found) == can_identify(actor, access), (key, case.code)
    assert protected.id not in found  # police_both: ORM police, consented, not named


# --- 2. a signal about a youth whose case the user may not identify ---------------------------------------------------


def test_a_signal_from_another_district_joins_the_case_without_naming_it(app, world, session):
    number = youth_number(today=world.today)
    case = world.open_case(number=number)
    session.commit()
    browser = _as(app, world, "school_fis")

    nameless = _signal(browser, number.display, name="")  # asks for a name, as for a youth sspf does not know
    unknown = _signal(browser, youth_number(today=world.today).display, name="")
    assert nameless.status_code == unknown.status_code == 200
    assert "Ange den ungas namn." in nameless.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Signal)) == 1

    response = _signal(browser, number.display)
    assert response.status_code == 302 and response.headers["Location"].endswith("/cases/")
    html = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert NEUTRAL in _flashes(html)
    for secret in (case.code, "ORM", "Orminge", NAME):
        assert secret not in html
    signals = session.scalars(select(Signal).where(Signal.case_id == case.id)).all()
    assert len(signals) == 2 and {s.agency_id for s in signals} == {world.agency_id("school"), world.user(
        "school_fis").agency_id}
    assert session.scalar(select(func.count()).select_from(Youth)) == 1
    assert session.scalar(select(func.count()).select_from(Case)) == 1
    assert session.get(Youth, case.youth_id).name == NAME  # the name typed is not used
    added = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.signal_added",
                                                     AuditEvent.target_id == str(case.id))).all()
    assert str(world.user("school_fis").id) in {e.actor_id for e in added}


def test_a_brand_new_youth_still_gets_a_case_of_its_own(app, world, session):
    browser = _as(app, world, "school_fis")
    response = _signal(browser, youth_number(today=world.today).display)
    case = session.scalars(select(Case)).one()
    assert case.code.startswith("FIS-") and response.headers["Location"].endswith(f"/cases/{case.id}")
    assert f"Signalen är registrerad som ärende {case.code}." in _flashes(browser.get(f"/cases/{case.id}")
                                                                          .get_data(as_text=True))
    assert session.get(Youth, case.youth_id).name == "Annat Namn"


@pytest.mark.parametrize(("who", "told"), [("police_orm", False), ("coordinator_both", False), ("soc_orm", True),
                                           ("coordinator", True)])
def test_a_signal_about_a_protected_youth_names_the_case_only_to_named_users(app, world, session, who, told):
    case, number = _protected_world(world)
    session.commit()
    browser = _as(app, world, who)
    response = _signal(browser, number, name="")
    assert response.status_code == (302 if told else 200)  # a name is asked for unless the case is theirs to name
    if not told:
        response = _signal(browser, number)
    html = browser.get(response.headers["Location"]).get_data(as_text=True)
    if told:
        assert response.headers["Location"].endswith(f"/cases/{case.id}")
        assert f"Det fanns redan ett öppet ärende ({case.code})" in _flashes(html)
    else:
        assert response.headers["Location"].endswith("/cases/")  # where the case is listed as ever, masked
        assert NEUTRAL in _flashes(html) and case.code not in _flashes(html)
    assert session.scalar(select(func.count()).select_from(Signal).where(Signal.case_id == case.id)) == 2
    assert session.scalar(select(func.count()).select_from(Case)) == 1


# --- 3. and 4. refusals: shown next to the field, what was typed kept, nothing saved --------------------------------


def test_a_concern_dated_before_the_youths_birth_is_shown_on_the_form_not_a_server_error(app, world, session):
    browser = _as(app, world, "field_worker")
    response = _signal(browser, "20110808-1272", name="Född Augustsson", raised_on="2005-01-01")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    error = re.search(r'id="raised_on-err"[^>]*>([^<]*)<', html)
    assert error and "Datumet för oron är inte rimligt." in error.group(1)
    assert 'value="Född Augustsson"' in html and "Ny oro i korridoren" in html and 'value="2005-01-01"' in html
    assert session.scalars(select(Youth)).all() == [] and session.scalars(select(Signal)).all() == []
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "case.signal_added")).all() == []


def test_a_refused_signal_marks_only_the_field_at_fault_when_sent_as_a_browser_sends_it(app, world, session):
    """A browser sends the empty report date as "": that is no date, not a date that could not be read."""
    response = _signal(_as(app, world, "field_worker"), "20110808-1272", raised_on="2005-01-01",
                       report_made_on="", report_made_by="")
    html = response.get_data(as_text=True)
    assert 'id="raised_on-err"' in html
    assert 'id="report_made_on-err"' not in html, re.search(r'id="report_made_on-err"[^>]*>([^<]*)<', html).group(1)


def test_the_service_names_the_field_it_refuses(world):
    number = parse("20110808-1272", today=world.today)
    args = {"raised_on": world.today, "categories": ("truancy",), "note": None, "report_made": False,
            "report_made_on": None, "report_made_by": None}
    for changes, field in (({"raised_on": date(2005, 1, 1)}, "raised_on"), ({"categories": ("nonsense",)},
                           "categories"), ({"report_made": True}, "report_made_on"),
                           ({"report_made": True, "report_made_on": date(2005, 1, 1)}, "report_made_on")):
        with pytest.raises(TransitionError) as refused:
            register_signal(actor=world.user("field_worker"), personnummer=number, name="X", district=world.org
                            .districts["ORM"], signal=SignalInput(**{**args, **changes}))
        assert refused.value.field == field, changes


@pytest.mark.parametrize(("extra", "field", "message"), [
    ({"report_made": "y"}, "report_made_on", "Ange datum för orosanmälan."),
    ({"report_made": "y", "report_made_on": "", "report_made_by": "Rektor"}, "report_made_on",
     "Ange datum för orosanmälan."),
    ({"report_made_on": "TODAY"}, "report_made", "Kryssa i rutan om en orosanmälan har gjorts"),
    ({"report_made_by": "Rektor"}, "report_made", "Kryssa i rutan om en orosanmälan har gjorts"),
    ({"report_made": "y", "report_made_on": "2005-01-01"}, "report_made_on",  # the service's check, on the form
     "Datumet för orosanmälan är inte rimligt."),
])
def test_a_report_of_concern_needs_its_date_and_a_date_needs_the_box(app, world, session, extra, field, message):
    extra = {k: (date.today().isoformat() if v == "TODAY" else v) for k, v in extra.items()}
    response = _signal(_as(app, world, "field_worker"), youth_number(today=world.today).display, **extra)
    assert response.status_code == 200
    error = re.search(rf'id="{field}-err"[^>]*>([^<]*)<', response.get_data(as_text=True))
    assert error and message in error.group(1)
    assert session.scalars(select(Signal)).all() == []


def test_no_report_of_concern_as_a_browser_sends_it_is_accepted(app, world, session):
    """An unticked box and empty report fields, sent as empty strings the way a browser sends them."""
    response = _signal(_as(app, world, "field_worker"), youth_number(today=world.today).display,
                       report_made_on="", report_made_by="")
    assert response.status_code == 302, response.get_data(as_text=True)
    signal = session.scalars(select(Signal)).one()
    assert (signal.report_made, signal.report_made_on, signal.report_made_by) == (False, None, None)


def test_a_report_of_concern_with_its_date_is_saved(app, world, session):
    day = date.today() - timedelta(days=3)
    browser = _as(app, world, "field_worker")
    response = _signal(browser, youth_number(today=world.today).display, report_made="y",
                       report_made_on=day.isoformat(), report_made_by="Rektor")
    assert response.status_code == 302
    signal = session.scalars(select(Signal)).one()
    assert (signal.report_made, signal.report_made_on, signal.report_made_by) == (True, day, "Rektor")


# --- 5. the triage form on a case that is past triage ---------------------------------------------------------------


def test_the_triage_form_is_not_shown_for_a_triaged_or_closed_case(app, world, session):
    fresh = world.signal()
    triaged = world.open_case()
    closed = world.open_case()
    world.close(closed)
    session.commit()
    browser = _as(app, world, "coordinator")
    assert browser.get(f"/cases/{fresh.id}/triage").status_code == 200
    for case, message in ((triaged, "Ärendet är redan bedömt."), (closed, "Ärendet är avslutat.")):
        response = browser.get(f"/cases/{case.id}/triage")
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{case.id}")
        flashes = _flashes(browser.get(response.headers["Location"]).get_data(as_text=True))
        assert "flash-warning" in flashes and message in flashes
    assert session.get(Case, triaged.id).status == CaseStatus.TRIAGED
