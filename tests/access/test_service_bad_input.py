"""The services refuse bad input with their own error and a message, and write nothing.

"Nothing" is checked by counting the rows of every table a service writes (audit trail included)
before and after, with an autoflushing query: an object added to the session and then abandoned
by the raise would show up too. Each refusal has a positive control nearby, so a test cannot pass
because the setup itself was wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from sspf.audit.models import AuditEvent
from sspf.cases.models import Case, EmergencyAccess, ProtectedAccess, Signal, Triage, Youth
from sspf.cases.services import TransitionError, close_case, triage_case
from sspf.consent.models import Consent, ConsentScope, Disclosure
from sspf.consent.services import ConsentError, record_consent, withdraw_consent
from sspf.contacts.models import Contact, Visibility
from sspf.contacts.services import MAX_NOTE, ContactError
from sspf.extensions import db
from tests.case_factories import Cases, personnummer

MODELS = (Youth, Case, Signal, Triage, Consent, ConsentScope, Disclosure, Contact, EmergencyAccess, ProtectedAccess,
          AuditEvent)


def counts() -> dict[str, int]:
    return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in MODELS}


def case_state(case: Case) -> tuple:
    return case.status, case.triaged_at, case.coordinator_id, case.closed_at, case.closure_reason, \
        case.flagged_for_meeting


def refused(error: type[Exception], call: Callable[[], object], *, case: Case | None = None,
            field: str | None = None) -> Exception:
    """``call`` raises ``error`` with a message (and form ``field``), and no table nor ``case`` changes."""
    before, state = counts(), case and case_state(case)
    with pytest.raises(error) as info:
        call()
    assert str(info.value).strip(), "the error needs a message for the user"
    if field is not None:
        assert info.value.field == field
    assert counts() == before, "a refused call wrote rows"
    if case is not None:
        assert case_state(case) == state, "a refused call changed the case"
    return info.value


@pytest.fixture
def world(org) -> Cases:
    return Cases(org)


# --- consent ---------------------------------------------------------------------------------

def consent_call(world: Cases, case: Case, **overrides) -> Callable[[], Consent]:
    today = world.today
    kwargs = dict(actor=world.user("coordinator"), case=case, signed_on=today - timedelta(days=1),
                  valid_until=today + timedelta(days=30), guardian1=True, guardian2=False, youth=True,
                  method="in_person", scope=world.scope_ids({"police": {"police"}}), today=today)
    kwargs.update(overrides)
    return lambda: record_consent(**kwargs)


def club_id(world: Cases) -> int:
    return world.agency_id("club")


CONSENT_REFUSALS = {
    "no signatory": (lambda w: dict(guardian1=False, guardian2=False, youth=False), "guardian1"),
    "youth of 15 has not signed": (lambda w: dict(youth=False), "guardian1"),
    "end before start": (lambda w: dict(valid_until=w.today - timedelta(days=2)), "valid_until"),
    "signed in the future": (lambda w: dict(signed_on=w.today + timedelta(days=1),
                                            valid_until=w.today + timedelta(days=30)), "signed_on"),
    "valid over the maximum": (lambda w: dict(valid_until=w.today - timedelta(days=1) + timedelta(days=366)),
                               "valid_until"),
    "scope names a non-authority": (lambda w: dict(scope={club_id(w): {"basic"}}), "scope"),
    "scope mixes a non-authority in": (lambda w: dict(scope={**w.scope_ids({"police": {"police"}}),
                                                             club_id(w): {"basic"}}), "scope"),
    "scope names an unknown agency": (lambda w: dict(scope={max(a.id for a in w.org.agencies.values()) + 100:
                                                            {"basic"}}), "scope"),
    "scope has an unknown category": (lambda w: dict(scope=w.scope_ids({"police": {"police", "crime_data"}})),
                                      "scope"),
    "scope is empty": (lambda w: dict(scope={}), "scope"),
    "scope has no categories": (lambda w: dict(scope=w.scope_ids({"police": set()})), "scope"),
    "unknown method": (lambda w: dict(method="telepathy"), "method"),
    "scan too large": (lambda w: dict(scan=b"%PDF" + b"0" * (5 * 1024 * 1024), scan_type="application/pdf"), "scan"),
    "scan of the wrong type": (lambda w: dict(scan=b"<html>", scan_type="text/html"), "scan"),
}


@pytest.mark.parametrize("name", list(CONSENT_REFUSALS))
def test_record_consent_refuses(world, name):
    case = world.open_case()
    overrides, field = CONSENT_REFUSALS[name]
    assert refused(ConsentError, consent_call(world, case, **overrides(world)), case=case, field=field)
    assert case.status == "triaged"


def test_record_consent_accepts_the_boundaries(world):
    """Positive control: the longest validity, today's signature, the youth and one guardian."""
    case = world.open_case()
    consent = consent_call(world, case, signed_on=world.today, valid_until=world.today + timedelta(days=365))()
    assert consent.is_active(world.today) and case.status == "active"
    assert {(s.agency_id, s.category) for s in consent.scope} == {(world.agency_id("police"), "police")}


def test_record_consent_refuses_untriaged_and_closed_cases(world):
    signal = world.signal()
    assert refused(ConsentError, consent_call(world, signal), case=signal)
    closed = world.open_case()
    world.close(closed, "moved")
    assert refused(ConsentError, consent_call(world, closed), case=closed)


def test_record_consent_refuses_a_signature_before_the_youth_was_born(world):
    case = world.open_case()
    born = date(int(case.youth.personnummer[:4]), int(case.youth.personnummer[4:6]), int(case.youth.personnummer[6:8]))
    signed = born - timedelta(days=10)
    assert refused(ConsentError, consent_call(world, case, signed_on=signed, valid_until=signed + timedelta(days=30)),
            case=case)


# --- withdrawal ------------------------------------------------------------------------------

def test_withdrawing_twice_is_refused(world):
    case = world.open_case()
    consent = world.consent(case, {"police": {"police"}})
    world.withdraw(case, consent, who="youth")
    first = (consent.withdrawn_at, consent.withdrawn_by, consent.withdrawal_recorded_by_id)
    assert refused(ConsentError, lambda: withdraw_consent(actor=world.user("coordinator_both"), case=case,
                                                          consent=consent, by="guardian1"), case=case)
    assert (consent.withdrawn_at, consent.withdrawn_by, consent.withdrawal_recorded_by_id) == first


def test_withdrawing_a_consent_of_another_case_is_refused(world):
    mine, theirs = world.open_case(), world.open_case()
    their_consent = world.consent(theirs, {"police": {"police"}})
    world.consent(mine, {"police": {"police"}})
    theirs.flagged_for_meeting = False
    db.session.flush()
    state = case_state(theirs)
    assert refused(ConsentError, lambda: withdraw_consent(actor=world.user("coordinator"), case=mine,
                                                          consent=their_consent, by="guardian1"), case=mine)
    assert their_consent.withdrawn_at is None and case_state(theirs) == state


def test_withdrawal_needs_to_know_who_withdrew(world):
    case = world.open_case()
    consent = world.consent(case, {"police": {"police"}})
    assert refused(ConsentError, lambda: withdraw_consent(actor=world.user("coordinator"), case=case, consent=consent,
                                                   by="the neighbour"), case=case, field="by")
    assert consent.withdrawn_at is None


# --- disclosure ------------------------------------------------------------------------------

DISCLOSURE_REFUSALS = {
    # name: (discloser, overrides, field)
    "basis not in the catalogue": ("soc_orm", dict(basis="osl_99_1"), "legal_basis"),
    "osl_10_18a from school to police": ("field_worker", dict(basis="osl_10_18a"), "legal_basis"),
    "osl_10_18a from social services to school": ("soc_orm", dict(basis="osl_10_18a", to="school"), "legal_basis"),
    "no categories": ("soc_orm", dict(categories=set()), "categories"),
    "an unknown category": ("soc_orm", dict(categories={"social_services", "gossip"}), "categories"),
    "to a non-authority": ("soc_orm", dict(to="club", basis="osl_10_2"), "to_agency"),
    "to the discloser's own agency": ("soc_orm", dict(to="soc", basis="osl_10_2"), "to_agency"),
    "ending yesterday": ("soc_orm", dict(valid_until=-1), "valid_until"),
    "ending in 91 days": ("soc_orm", dict(valid_until=91), "valid_until"),
    # Social services sees the school's information under the youth's consent, but it is not theirs to give.
    "another agency's information": ("soc_orm", dict(categories={"social_services", "school"}, basis="osl_10_27"),
                                     "categories"),
    "the coordinator handing out the police's": ("coordinator", dict(categories={"police"}, basis="osl_10_27"),
                                                 "categories"),
}


@pytest.mark.parametrize("name", list(DISCLOSURE_REFUSALS))
def test_record_disclosure_refuses(world, name):
    case = world.open_case("soc_orm")
    by, overrides, field = DISCLOSURE_REFUSALS[name]
    kwargs = dict(to="police", categories={"social_services"}, basis="osl_10_18a", valid_until=14)
    kwargs.update(overrides)
    kwargs["valid_until"] = world.today + timedelta(days=kwargs["valid_until"])
    assert refused(ConsentError, lambda: world.disclose(case, by=by, **kwargs), case=case, field=field)


def test_osl_10_18a_has_an_age_limit(world):
    old = world.signal("soc_orm", age=21)  # a signal only: triage would refuse the age band
    assert refused(ConsentError, lambda: world.disclose(old, by="soc_orm", to="police", categories={"social_services"},
                                                 basis="osl_10_18a"), case=old, field="legal_basis")
    # Positive controls: 20 is under 21, and the same basis and parties work for a youth of 15.
    for age in (20, 15):
        case = world.signal("soc_orm", age=age)
        disclosure = world.disclose(case, by="soc_orm", to="police", categories={"social_services"},
                                    basis="osl_10_18a", valid_until=world.today + timedelta(days=90))
        assert disclosure.legal_basis == "osl_10_18a" and disclosure.categories == ["social_services"]


# --- contacts --------------------------------------------------------------------------------

CONTACT_REFUSALS = {
    "in the future": (lambda w: dict(occurred_on=w.today + timedelta(days=1)), "occurred_on"),
    "an unknown type": (lambda w: dict(type="seance"), "type"),
    "a note over the limit": (lambda w: dict(note="x" * (MAX_NOTE + 1)), "note"),
    "an unknown party": (lambda w: dict(parties=["youth", "journalist"]), "parties"),
    "no duration": (lambda w: dict(duration_minutes=0), "duration_minutes"),
    "over a day": (lambda w: dict(duration_minutes=24 * 60 + 1), "duration_minutes"),
}


def contact_call(world: Cases, case: Case, **overrides) -> Callable[[], Contact]:
    from sspf.access.scoping import CaseHead
    from sspf.contacts.services import log_contact

    kwargs = dict(actor=world.user("field_worker"), case=CaseHead.of(case), occurred_on=world.today, type="meeting",
                  duration_minutes=30, parties=["youth"], note=None, visibility=Visibility.OWN_AGENCY,
                  today=world.today)
    kwargs.update(overrides)
    return lambda: db.session.get(Contact, log_contact(**kwargs))


@pytest.mark.parametrize("name", list(CONTACT_REFUSALS))
def test_log_contact_refuses(world, name):
    case = world.open_case()
    overrides, field = CONTACT_REFUSALS[name]
    assert refused(ContactError, contact_call(world, case, **overrides(world)), case=case, field=field)


def test_log_contact_accepts_the_longest_note_and_refuses_a_closed_case(world):
    case = world.open_case()
    contact = contact_call(world, case, note="x" * MAX_NOTE, duration_minutes=24 * 60)()
    assert contact.note == "x" * MAX_NOTE and contact.category == "school"
    world.close(case)
    assert refused(ContactError, contact_call(world, case), case=case)


def test_log_contact_refuses_an_unknown_visibility_with_its_own_error(world):
    case = world.open_case()
    assert refused(ContactError, contact_call(world, case, visibility="everyone"), case=case)


# --- triage and closure ----------------------------------------------------------------------

def triage_call(world: Cases, case: Case, *, eligible: bool = True, today: date | None = None) -> Callable[[], None]:
    return lambda: triage_case(actor=world.user("coordinator"), case=case, eligible=eligible, risk_factors=["peers"],
                               protective_factors=[], note=None, today=today or world.today)


def test_triage_of_a_triaged_case_is_refused(world):
    case = world.open_case()
    assert refused(TransitionError, triage_call(world, case), case=case)
    assert refused(TransitionError, triage_call(world, case, eligible=False), case=case)
    closed = world.triage(world.signal(), eligible=False)
    assert (closed.status, closed.closure_reason) == ("closed", "not_eligible")
    assert refused(TransitionError, triage_call(world, closed), case=closed)


def test_triage_refuses_a_youth_outside_the_age_band(world):
    adult = world.signal(age=25)
    assert refused(TransitionError, triage_call(world, adult), case=adult)
    young = world.signal(age=9)
    assert refused(TransitionError, triage_call(world, young), case=young)
    # Positive control: the same adult may be assessed as not eligible, which closes the case.
    triage_call(world, adult, eligible=False)()
    assert adult.status == "closed"


#: A fixed day, so that the birthdays below fall on the same side of it every year the suite runs.
DAY = date(2026, 6, 15)


@pytest.mark.parametrize("born", [date(2014, 6, 15), date(2007, 6, 16)], ids=["turned 12 today", "18, 19 tomorrow"])
def test_triage_accepts_the_ends_of_the_age_band(world, born):
    case = world.signal(number=personnummer(born, 123))
    triage_call(world, case, today=DAY)()
    assert case.status == "triaged"


@pytest.mark.parametrize("born", [date(2007, 1, 1), date(2014, 12, 31)], ids=["19 since January", "11 until December"])
def test_triage_refuses_the_year_either_side_of_the_age_band(world, born):
    case = world.signal(number=personnummer(born, 123))
    assert refused(TransitionError, triage_call(world, case, today=DAY), case=case)


def test_closing_twice_or_for_an_unknown_reason_is_refused(world):
    case = world.open_case()
    assert refused(TransitionError, lambda: close_case(actor=world.user("coordinator"), case=case, reason="bored"),
            case=case)
    assert case.status == "triaged"
    world.close(case, "goals_met")
    assert refused(TransitionError, lambda: close_case(actor=world.user("coordinator"), case=case, reason="moved"),
            case=case)
    assert case.closure_reason == "goals_met"
