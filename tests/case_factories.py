"""Cases in a given state, for the access-rule and service tests.

Every state the services can reach is built through them (signal, triage, consent, withdrawal,
disclosure, contact, emergency access, protection, closure), so the rows look exactly like
production's and each step writes its audit event. States the services refuse on purpose are
inserted directly, and say so in their name (``insert_*``): a consent signed in the future or
already expired, an expired disclosure or emergency access, a consent or disclosure that names a
non-authority agency.

Personnummer are built with the Luhn check digit for a youth of a given age today; each call gives
a new number, so ``register_signal`` never folds two test cases into one youth.

Usage::

    world = Cases(org)          # adds the extra staff below to ``org.users``
    case = world.open_case("field_worker", "ORM")            # signal by school, triaged
    world.consent(case, {"police": {"police", "school"}})   # active from today
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta

from sqlalchemy import select

from sspf.access.rules import Actor, CaseAccess, case_access
from sspf.access.scoping import CaseHead, case_head_and_facts, visible_cases
from sspf.auth.models import User
from sspf.auth.permissions import Role
from sspf.calendar import today_of
from sspf.cases import services as case_services
from sspf.cases.models import Case, EmergencyAccess
from sspf.cases.personnummer import PersonalNumber, make
from sspf.catalogue import catalogue
from sspf.consent import services as consent_services
from sspf.consent.models import Consent, ConsentScope, Disclosure
from sspf.contacts import services as contact_services
from sspf.contacts.models import Contact, Visibility
from sspf.db import utcnow
from sspf.extensions import db
from tests.factories import Org, make_user

#: Extra users beside make_org()'s: key -> (role, agency key, district codes).
#: make_org() gives field_worker (school, ORM), coordinator (coord, ORM), working_group (club, ORM),
#: analyst (coord, ORM), log_reviewer (coord, none) and admin (coord, none).
STAFF: dict[str, tuple[Role, str, tuple[str, ...]]] = {
    "police_orm": (Role.FIELD_WORKER, "police", ("ORM",)),
    "soc_orm": (Role.FIELD_WORKER, "soc", ("ORM",)),
    "leisure_orm": (Role.FIELD_WORKER, "leisure", ("ORM",)),
    "school_fis": (Role.FIELD_WORKER, "school", ("FIS",)),
    "soc_fis": (Role.FIELD_WORKER, "soc", ("FIS",)),
    "police_both": (Role.FIELD_WORKER, "police", ("ORM", "FIS")),
    "school_none": (Role.FIELD_WORKER, "school", ()),
    "coordinator_fis": (Role.COORDINATOR, "coord", ("FIS",)),
    "coordinator_both": (Role.COORDINATOR, "coord", ("ORM", "FIS")),
    "coordinator_none": (Role.COORDINATOR, "coord", ()),
    "coordinator_soc": (Role.COORDINATOR, "soc", ("FIS",)),
    "club_field_worker": (Role.FIELD_WORKER, "club", ("ORM", "FIS")),
    "club_coordinator": (Role.COORDINATOR, "club", ("ORM", "FIS")),
    "leisure_wg": (Role.WORKING_GROUP, "leisure", ("ORM",)),
    "admin_police": (Role.ADMIN, "police", ("ORM", "FIS")),
}

#: The coordinator who triages, records consent and protects in each district.
DISTRICT_COORDINATOR = {"ORM": "coordinator", "FIS": "coordinator_fis"}

_serials = itertools.count()


def personnummer(born: date, serial: int) -> PersonalNumber:
    return make(born, serial)


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year - years, day=28)


def youth_number(*, age: int = 15, today: date) -> PersonalNumber:
    """A fresh, valid personnummer of someone who is ``age`` today (born 30–330 days after that birthday)."""
    n = next(_serials)
    born = years_before(today, age) - timedelta(days=30 + (n // 900) % 300)
    return personnummer(born, 100 + n % 900)


def add_staff(org: Org, keys: Iterable[str] | None = None) -> None:
    for key in STAFF if keys is None else keys:
        if key not in org.users:
            role, agency, districts = STAFF[key]
            org.users[key] = make_user(f"t.{key}", role, org.agencies[agency],
                                       [org.districts[code] for code in districts])
    db.session.flush()


def rule_views(user: User, case: Case, *, now: datetime) -> tuple[bool, CaseAccess]:
    """What the SQL rule (``visible_cases``) and the pure rule (``case_access``) say of one case."""
    actor = Actor.of(user)
    sql = db.session.scalar(select(Case.id).where(Case.id == case.id, visible_cases(actor, now=now))) is not None
    pure = case_access(actor, case_head_and_facts(actor, case.id, now=now)[1], now=now,
                       all_categories=catalogue().codes("information_categories"))
    return sql, pure


class Cases:
    """Builds cases for one test; ``now``/``today`` are the instant (and Stockholm date) the services see."""

    def __init__(self, org: Org, *, now: datetime | None = None) -> None:
        self.org = org
        self.now = now or utcnow()
        self.today = today_of(self.now)
        add_staff(org)

    def user(self, who: str | User) -> User:
        return self.org.users[who] if isinstance(who, str) else who

    def agency_id(self, key: str) -> int:
        return self.org.agencies[key].id

    def coordinator_of(self, case: Case) -> User:
        return self.org.users[DISTRICT_COORDINATOR[case.district.code]]

    # --- the individual process, through the services ---------------------------------------

    def signal(self, by: str | User = "field_worker", district: str = "ORM", *, age: int = 15,
               number: PersonalNumber | None = None, categories: Iterable[str] = ("truancy",)) -> Case:
        case, created = case_services.register_signal(
            actor=self.user(by), personnummer=number or youth_number(age=age, today=self.today), name="Test Testsson",
            district=self.org.districts[district],
            signal=case_services.SignalInput(raised_on=self.today, categories=tuple(categories), note=None,
                                             report_made=False, report_made_on=None, report_made_by=None))
        assert created
        return case

    def triage(self, case: Case, *, by: str | User | None = None, eligible: bool = True) -> Case:
        case_services.triage_case(actor=self.user(by) if by else self.coordinator_of(case), case=case,
                                  eligible=eligible, risk_factors=["peers"], protective_factors=["trusted_adult"],
                                  note=None, today=self.today)
        return case

    def open_case(self, by: str | User = "field_worker", district: str = "ORM", **kwargs) -> Case:
        """A signal, triaged by the district's coordinator: ready for consent."""
        return self.triage(self.signal(by, district, **kwargs))

    def scope_ids(self, scope: Mapping[str, Iterable[str]]) -> dict[int, set[str]]:
        return {self.agency_id(key): set(categories) for key, categories in scope.items()}

    def consent(self, case: Case, scope: Mapping[str, Iterable[str]], *, by: str | User | None = None,
                signed_on: date | None = None, valid_until: date | None = None) -> Consent:
        """An active consent (by default from ten days ago to 30 days ahead), through ``record_consent``."""
        signed_on = signed_on or self.today - timedelta(days=10)
        return consent_services.record_consent(
            actor=self.user(by) if by else self.coordinator_of(case), case=case, signed_on=signed_on,
            valid_until=valid_until or self.today + timedelta(days=30), guardian1=True, guardian2=False, youth=True,
            method="in_person", scope=self.scope_ids(scope), today=self.today)

    def withdraw(self, case: Case, consent: Consent, *, by: str | User | None = None, who: str = "guardian1") -> None:
        consent_services.withdraw_consent(actor=self.user(by) if by else self.coordinator_of(case), case=case,
                                          consent=consent, by=who)

    def disclose(self, case: Case, *, by: str | User, to: str, categories: Iterable[str],
                 basis: str = "osl_10_2", valid_until: date | None = None) -> Disclosure:
        return consent_services.record_disclosure(
            actor=self.user(by), case=case, legal_basis=basis, to_agency=self.org.agencies[to],
            categories=set(categories), assessment="Bedömning för test.",
            valid_until=valid_until or self.today + timedelta(days=14), today=self.today)

    def emergency(self, case: Case, who: str | User) -> EmergencyAccess:
        return case_services.start_emergency_access(actor=self.user(who), case=case, reason="Akut oro, test.")

    def protect(self, case: Case, *, by: str | User | None = None, named: Iterable[str | User] = (),
                identity: bool = True, guardians: bool = False) -> None:
        case_services.set_protection(actor=self.user(by) if by else self.coordinator_of(case), case=case,
                                     protected_identity=identity, guardian_protected=guardians,
                                     named_users=[self.user(u) for u in named])

    def contact(self, case: Case, by: str | User, *, visibility: Visibility | str = Visibility.OWN_AGENCY,
                occurred_on: date | None = None, type: str = "meeting", note: str | None = None) -> Contact:
        contact_id = contact_services.log_contact(
            actor=self.user(by), case=CaseHead.of(case), occurred_on=occurred_on or self.today, type=type,
            duration_minutes=30, parties=["youth"], note=note, visibility=Visibility(visibility), today=self.today)
        return db.session.get(Contact, contact_id)

    def close(self, case: Case, reason: str = "goals_met", *, by: str | User | None = None) -> None:
        case_services.close_case(actor=self.user(by) if by else self.coordinator_of(case), case=case, reason=reason)

    # --- states the services refuse: direct inserts --------------------------------------------

    def insert_consent(self, case: Case, scope: Mapping[str, Iterable[str]], *, signed_on: date, valid_until: date,
                       withdrawn_at: datetime | None = None, by: str | User | None = None) -> Consent:
        """A consent row and its scope rows as given, unchecked (e.g. expired, not yet valid, naming a club)."""
        consent = Consent(case_id=case.id, signed_on=signed_on, valid_until=valid_until, guardian1_signed=True,
                          youth_signed=True, method="in_person",
                          recorded_by_id=(self.user(by) if by else self.coordinator_of(case)).id,
                          withdrawn_at=withdrawn_at, withdrawn_by="guardian1" if withdrawn_at else None)
        consent.scope = [ConsentScope(agency_id=self.agency_id(key), category=category)
                         for key, categories in sorted(scope.items()) for category in sorted(categories)]
        db.session.add(consent)
        db.session.flush()
        return consent

    def insert_disclosure(self, case: Case, *, by: str | User, to: str, categories: Iterable[str], valid_until: date,
                          basis: str = "osl_10_2") -> Disclosure:
        """A disclosure row as given, unchecked (e.g. already expired, to a non-authority, no categories)."""
        actor = self.user(by)
        disclosure = Disclosure(case_id=case.id, legal_basis=basis, decided_by_id=actor.id,
                                from_agency_id=actor.agency_id, to_agency_id=self.agency_id(to),
                                categories=sorted(categories), assessment="Bedömning för test.",
                                valid_until=valid_until)
        db.session.add(disclosure)
        db.session.flush()
        return disclosure

    def insert_emergency(self, case: Case, who: str | User, *, expires_at: datetime) -> EmergencyAccess:
        grant = EmergencyAccess(case_id=case.id, user_id=self.user(who).id, reason="Akut oro, test.",
                                started_at=expires_at - timedelta(hours=catalogue().emergency_access_hours),
                                expires_at=expires_at)
        db.session.add(grant)
        db.session.flush()
        return grant
