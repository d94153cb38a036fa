"""The case access rule as SQL, for lists and searches, and the loader of one case's facts.

``visible_cases`` must say exactly what ``rules.case_access(...).visible`` says; both live here
in ``sspf.access`` and ``tests/access`` compares them on every combination they can tell apart.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, String, and_, bindparam, cast, exists, false, func, or_, select

from sspf.access.rules import BASIC, Actor, CaseFacts, Grant
from sspf.calendar import today_of
from sspf.cases.models import Case, CaseStatus, EmergencyAccess, ProtectedAccess, Youth
from sspf.consent.models import Consent, ConsentScope, Disclosure
from sspf.db import outside_transaction
from sspf.extensions import db


def consent_in_force(today, consent=Consent) -> ColumnElement[bool]:
    """``consent``: the mapped class (or an alias of it), or its table's columns.

    A replaced consent is out of force like a withdrawn one: the case's latest recorded consent governs.
    """
    return and_(consent.withdrawn_at.is_(None), consent.replaced_at.is_(None), consent.signed_on <= today,
                consent.valid_until >= today)


def _shares_by_consent(case=Case) -> ColumnElement[bool]:
    """A consent is given for the SSPF work on the case: once the case is closed it shares nothing more.
    (A disclosure is a decision of its own, with its own end date, and outlives the closure.)"""
    return case.status != CaseStatus.CLOSED


def visible_cases(actor: Actor, *, now: datetime) -> ColumnElement[bool]:
    """A WHERE clause on ``Case``: the cases ``actor`` may see at all."""
    if not actor.reads_cases:
        return false()
    today = today_of(now)
    in_district = Case.district_id.in_(sorted(actor.district_ids)) if actor.district_ids else false()
    consented = exists(
        select(ConsentScope.consent_id).join(Consent, Consent.id == ConsentScope.consent_id)
        .where(Consent.case_id == Case.id, ConsentScope.agency_id == actor.agency_id, consent_in_force(today),
               _shares_by_consent())
    )
    disclosed = exists(
        select(Disclosure.id).where(Disclosure.case_id == Case.id, Disclosure.to_agency_id == actor.agency_id,
                                    Disclosure.valid_until >= today)
    )
    conditions = [Case.registering_agency_id == actor.agency_id, consented, disclosed]
    clause = and_(in_district, or_(*conditions))
    if actor.is_coordinator:
        # IN, not a correlated EXISTS: the user's few grants are found once, not once per case.
        emergency = Case.id.in_(
            select(EmergencyAccess.case_id).where(EmergencyAccess.user_id == actor.user_id,
                                                  EmergencyAccess.expires_at > now)
        )
        clause = or_(in_district, emergency)
    return clause


def identity_visible(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause on ``Youth``, with :func:`visible_cases` the SQL form of ``rules.can_identify``: the youth's
    identity is not protected, or the actor is named for it (``case_access(...).identity_visible``)."""
    named = Youth.id.in_(select(ProtectedAccess.youth_id).where(ProtectedAccess.user_id == actor.user_id))
    return or_(Youth.protected_identity.is_(False), named)


@dataclass(frozen=True)
class CaseHead:
    """One case as the access rule and a write to it need it: plain values, nothing decrypted.

    A contact, an action or a decision is written against this; only a page that shows the youth
    loads the ORM ``Case`` (and decrypts its youth).
    """

    id: uuid.UUID
    code: str
    status: str
    district_id: int
    registering_agency_id: int
    youth_id: uuid.UUID
    youth_ref: str
    birth_year: int

    @classmethod
    def of(cls, case: Case) -> CaseHead:
        return cls(id=case.id, code=case.code, status=case.status, district_id=case.district_id,
                   registering_agency_id=case.registering_agency_id, youth_id=case.youth_id,
                   youth_ref=case.youth.ref, birth_year=case.youth.birth_year)


def _head_statement():
    """One SELECT for a case's head and every fact the rule needs about it for one actor.

    Built once per process with bound parameters (every case page and every write to a case runs
    it). The actor's consent categories and disclosures come back aggregated as strings, so that a
    case with any number of them is still one row: categories joined by newlines (catalogue codes),
    disclosures' JSON arrays joined by commas (parsed as one JSON array of arrays).
    """
    agency_id, user_id, today, now = bindparam("agency_id"), bindparam("user_id"), bindparam("today"), bindparam("now")
    # Table columns, not ORM attributes: the row is read as plain values, without the ORM's result machinery.
    cases, youths, consents, scopes = Case.__table__, Youth.__table__, Consent.__table__, ConsentScope.__table__
    case, youth, consent, scope = cases.c, youths.c, consents.c, scopes.c
    disclosure, emergency_access = Disclosure.__table__.c, EmergencyAccess.__table__.c
    protected_access = ProtectedAccess.__table__.c
    consented = (
        select(func.aggregate_strings(scope.category, "\n"))
        .select_from(scopes.join(consents, consent.id == scope.consent_id))
        .where(consent.case_id == case.id, scope.agency_id == agency_id, consent_in_force(today, consent),
               _shares_by_consent(case))
        .scalar_subquery()
    )
    disclosed = (
        select(func.aggregate_strings(cast(disclosure.categories, String), ","))
        .where(disclosure.case_id == case.id, disclosure.to_agency_id == agency_id, disclosure.valid_until >= today)
        .scalar_subquery()
    )
    emergency = (
        select(emergency_access.expires_at)
        .where(emergency_access.case_id == case.id, emergency_access.user_id == user_id,
               emergency_access.expires_at > now)
        .order_by(emergency_access.expires_at.desc()).limit(1).scalar_subquery()
    )
    named = exists(select(protected_access.user_id).where(protected_access.youth_id == case.youth_id,
                                                          protected_access.user_id == user_id))
    return (
        select(case.id, case.code, case.status, case.district_id, case.registering_agency_id, case.youth_id,
               youth.ref, youth.birth_year, youth.protected_identity, youth.guardian_protected,
               consented, disclosed, emergency, named)
        .select_from(cases.join(youths, youth.id == case.youth_id))
        .where(case.id == bindparam("case_id"))
    )


_HEAD = _head_statement()


def case_head_and_facts(actor: Actor, case_id: uuid.UUID, *, now: datetime) -> tuple[CaseHead, CaseFacts] | None:
    """The case and everything the pure rule needs about it, in one statement; None if there is no such case."""
    params = {"case_id": case_id, "agency_id": actor.agency_id, "user_id": actor.user_id, "today": today_of(now),
              "now": now}
    with outside_transaction(db.session):  # a lone read: a write that follows opens (or is) its own transaction
        row = db.session.execute(_HEAD, params).first()
    if row is None:
        return None
    (cid, code, status, district_id, registering_agency_id, youth_id, youth_ref, birth_year, protected,
     guardian_protected, consented, disclosed, emergency_until, named) = row
    categories = set(consented.split("\n")) if consented else set()
    for cats in json.loads(f"[{disclosed}]") if disclosed else ():
        # A disclosure grants identity (basic) besides its categories, as the SQL form counts any disclosure.
        categories.update((*cats, BASIC))
    head = CaseHead(id=cid, code=code, status=status, district_id=district_id,
                    registering_agency_id=registering_agency_id, youth_id=youth_id, youth_ref=youth_ref,
                    birth_year=birth_year)
    facts = CaseFacts(
        district_id=district_id, registering_agency_id=registering_agency_id, protected_identity=protected,
        guardian_protected=guardian_protected,
        grants=(Grant(actor.agency_id, frozenset(categories)),) if categories else (),
        emergency_until=emergency_until, named_for_protected=bool(named),
    )
    return head, facts


@dataclass(frozen=True)
class CaseRef:
    """What the rule needs of a case, read as a plain row where loading hundreds of cases would cost more."""

    id: uuid.UUID
    code: str
    district_id: int
    registering_agency_id: int
    youth_id: uuid.UUID
    protected_identity: bool
    guardian_protected: bool


#: The columns of a ``CaseRef``, in its order (select them from ``Case`` joined with ``Youth``).
CASE_REF_COLUMNS = (Case.id, Case.code, Case.district_id, Case.registering_agency_id, Case.youth_id,
                    Youth.protected_identity, Youth.guardian_protected)


def case_facts_many(actor: Actor, cases: list[CaseRef], *, now: datetime, within=None) -> dict[uuid.UUID, CaseFacts]:
    """The facts of :func:`case_head_and_facts` for many cases in four queries, whatever their number (agendas
    and minutes).

    ``within``, a SELECT of those cases' ids, replaces the list of ids in the SQL: one parameter instead
    of hundreds.
    """
    today = today_of(now)
    ids = [c.id for c in cases]
    scope = ids if within is None else within
    categories: dict[uuid.UUID, set[str]] = {cid: set() for cid in ids}
    emergency: dict[uuid.UUID, datetime] = {}
    named: set[uuid.UUID] = set()
    if ids:
        for case_id, category in db.session.execute(
                select(Consent.case_id, ConsentScope.category).join(ConsentScope, Consent.id == ConsentScope.consent_id)
                .join(Case, Case.id == Consent.case_id)
                .where(Consent.case_id.in_(scope), ConsentScope.agency_id == actor.agency_id, consent_in_force(today),
                       _shares_by_consent())):
            categories.setdefault(case_id, set()).add(category)
        for case_id, cats in db.session.execute(
                select(Disclosure.case_id, Disclosure.categories)
                .where(Disclosure.case_id.in_(scope), Disclosure.to_agency_id == actor.agency_id,
                       Disclosure.valid_until >= today)):
            categories.setdefault(case_id, set()).update((*cats, BASIC))
        for case_id, until in db.session.execute(
                select(EmergencyAccess.case_id, EmergencyAccess.expires_at)
                .where(EmergencyAccess.case_id.in_(scope), EmergencyAccess.user_id == actor.user_id,
                       EmergencyAccess.expires_at > now)):
            emergency[case_id] = max(until, emergency.get(case_id, until))
        youths = [c.youth_id for c in cases] if within is None else select(Case.youth_id).where(Case.id.in_(within))
        named = set(db.session.scalars(select(ProtectedAccess.youth_id).where(
            ProtectedAccess.youth_id.in_(youths), ProtectedAccess.user_id == actor.user_id)))
    return {
        c.id: CaseFacts(
            district_id=c.district_id, registering_agency_id=c.registering_agency_id,
            protected_identity=c.protected_identity, guardian_protected=c.guardian_protected,
            grants=(Grant(actor.agency_id, frozenset(categories[c.id])),) if categories[c.id] else (),
            emergency_until=emergency.get(c.id), named_for_protected=c.youth_id in named)
        for c in cases
    }


def sharing_agencies(case: Case, *, now: datetime) -> set[int]:
    """Agencies that may own work in the case: the registering agency, the coordination function,
    and every agency an active consent or disclosure covers. An action can only be given to these."""
    return sharing_agencies_many([case.id], now=now).get(case.id, set()) | {case.registering_agency_id}


def sharing_agencies_many(within, *, now: datetime) -> dict[uuid.UUID, set[int]]:
    """:func:`sharing_agencies` for many cases in one query; ``within``: the cases' ids, or a SELECT of them.

    The same four sources, per case: the registering agency, the coordination function, and the agencies an
    active consent (of a case not closed) or a disclosure covers.
    """
    from sspf.org.models import Agency, AgencyKind

    today = today_of(now)
    consented = (select(Consent.case_id, ConsentScope.agency_id).join(Consent, Consent.id == ConsentScope.consent_id)
                 .join(Case, Case.id == Consent.case_id)
                 .where(Consent.case_id.in_(within), consent_in_force(today), _shares_by_consent()))
    disclosed = select(Disclosure.case_id, Disclosure.to_agency_id).where(Disclosure.case_id.in_(within),
                                                                         Disclosure.valid_until >= today)
    registering = select(Case.id, Case.registering_agency_id).where(Case.id.in_(within))
    # Every case with every coordination agency: the kind is the join condition (a cross join on purpose).
    coordination = (select(Case.id, Agency.id).join(Agency, Agency.kind == AgencyKind.COORDINATION)
                    .where(Case.id.in_(within)))
    shared: dict[uuid.UUID, set[int]] = {}
    for case_id, agency_id in db.session.execute(consented.union(disclosed, registering, coordination)):
        shared.setdefault(case_id, set()).add(agency_id)
    return shared
