"""The case access rule as SQL, for lists and searches, and the loader of one case's facts.

``visible_cases`` must say exactly what ``rules.case_access(...).visible`` says; both live here
in ``sspf.access`` and ``tests/access`` compares them on every combination they can tell apart.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, bindparam, exists, false, or_, select

from sspf.access.rules import BASIC, Actor, CaseFacts, Grant
from sspf.calendar import today_of
from sspf.cases.models import Case, EmergencyAccess, ProtectedAccess, Youth
from sspf.consent.models import Consent, ConsentScope, Disclosure
from sspf.extensions import db


def _consent_active(today) -> ColumnElement[bool]:
    return and_(Consent.withdrawn_at.is_(None), Consent.signed_on <= today, Consent.valid_until >= today)


def visible_cases(actor: Actor, *, now: datetime) -> ColumnElement[bool]:
    """A WHERE clause on ``Case``: the cases ``actor`` may see at all."""
    if not actor.reads_cases:
        return false()
    today = today_of(now)
    in_district = Case.district_id.in_(sorted(actor.district_ids)) if actor.district_ids else false()
    consented = exists(
        select(ConsentScope.consent_id).join(Consent, Consent.id == ConsentScope.consent_id)
        .where(Consent.case_id == Case.id, ConsentScope.agency_id == actor.agency_id, _consent_active(today))
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


def _facts_statements():
    """The three statements of :func:`case_facts`, with bound parameters: built once per process, since
    every case page and every write to a case runs them (building them cost more than executing them)."""
    case_id, agency_id, user_id = bindparam("case_id"), bindparam("agency_id"), bindparam("user_id")
    today, now = bindparam("today"), bindparam("now")
    consented = (
        select(ConsentScope.agency_id, ConsentScope.category).join(Consent, Consent.id == ConsentScope.consent_id)
        .where(Consent.case_id == case_id, ConsentScope.agency_id == agency_id, _consent_active(today))
    )
    disclosed = select(Disclosure.categories).where(Disclosure.case_id == case_id, Disclosure.to_agency_id == agency_id,
                                                    Disclosure.valid_until >= today)
    emergency_and_named = select(
        select(EmergencyAccess.expires_at).where(EmergencyAccess.case_id == case_id, EmergencyAccess.user_id == user_id,
                                                 EmergencyAccess.expires_at > now)
        .order_by(EmergencyAccess.expires_at.desc()).limit(1).scalar_subquery(),
        exists(select(ProtectedAccess.user_id).where(ProtectedAccess.youth_id == bindparam("youth_id"),
                                                     ProtectedAccess.user_id == user_id)),
    )
    return consented, disclosed, emergency_and_named


_FACTS = _facts_statements()


def case_facts(actor: Actor, case: Case, *, now: datetime) -> CaseFacts:
    """Everything the pure rule needs about one case, in three small queries."""
    today = today_of(now)
    grants: list[Grant] = []
    consented, disclosed, emergency_and_named = _FACTS
    params = {"case_id": case.id, "agency_id": actor.agency_id, "user_id": actor.user_id, "today": today, "now": now,
              "youth_id": case.youth_id}
    rows = db.session.execute(consented, params).all()
    disclosures = db.session.execute(disclosed, params).scalars().all()
    # A disclosure grants identity (basic) besides its categories, as the SQL form counts any disclosure.
    categories = {category for _agency, category in rows} | {c for cats in disclosures for c in (*cats, BASIC)}
    if categories:
        grants.append(Grant(actor.agency_id, frozenset(categories)))
    emergency_until, named = db.session.execute(emergency_and_named, params).one()
    return CaseFacts(
        district_id=case.district_id, registering_agency_id=case.registering_agency_id,
        protected_identity=case.youth.protected_identity, guardian_protected=case.youth.guardian_protected,
        grants=tuple(grants), emergency_until=emergency_until, named_for_protected=bool(named),
    )


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
    """``case_facts`` for many cases in four queries, whatever their number (agendas and minutes).

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
                .where(Consent.case_id.in_(scope), ConsentScope.agency_id == actor.agency_id, _consent_active(today))):
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
    from sspf.org.models import Agency, AgencyKind

    today = today_of(now)
    consented = select(ConsentScope.agency_id).join(Consent, Consent.id == ConsentScope.consent_id).where(
        Consent.case_id == case.id, _consent_active(today))
    disclosed = select(Disclosure.to_agency_id).where(Disclosure.case_id == case.id, Disclosure.valid_until >= today)
    coordination = select(Agency.id).where(Agency.kind == AgencyKind.COORDINATION)
    ids = set(db.session.scalars(consented.union(disclosed, coordination)))
    return ids | {case.registering_agency_id}
