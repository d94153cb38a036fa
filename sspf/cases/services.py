"""Writes about youths and cases: register a signal, triage, close, emergency access, protection.

Each transition is one function that checks the state it starts from, writes its audit event
and flushes; an illegal transition raises :class:`TransitionError` with a user-facing message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from sspf.audit import AuditAction, record
from sspf.auth.models import User
from sspf.auth.permissions import Role
from sspf.cases.models import Case, CaseCounter, CaseStatus, EmergencyAccess, ProtectedAccess, Signal, Triage, Youth
from sspf.cases.personnummer import PersonalNumber, age_on, parse
from sspf.catalogue import catalogue
from sspf.crypto import blind_index_match
from sspf.db import utcnow
from sspf.extensions import db
from sspf.org.models import Agency, District

OPEN_STATUSES = (CaseStatus.SIGNAL, CaseStatus.TRIAGED, CaseStatus.ACTIVE)


class TransitionError(ValueError):
    """The case is not in a state that allows this step; ``str(exc)`` is for the user, ``field`` the form field
    it concerns, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class SignalInput:
    raised_on: date
    categories: tuple[str, ...]
    note: str | None
    report_made: bool
    report_made_on: date | None
    report_made_by: str | None


def open_case_for(personnummer: PersonalNumber) -> Case | None:
    """The open case of the youth with this number, if there is one: through the blind index, nothing decrypted."""
    return db.session.scalar(
        select(Case).join(Youth, Youth.id == Case.youth_id)
        .where(blind_index_match(Youth.personnummer_bidx, personnummer.canonical), Case.status.in_(OPEN_STATUSES)))


def _youth_for_new_case(actor: User, personnummer: PersonalNumber, name: str, district: District) -> Youth:
    """A new case gets a youth record of its own, even when an earlier, closed case knew the youth.

    What that case recorded (the name as its agencies wrote it, address, guardians, who was named to see a
    protected identity) belongs to it: reusing the record would show it to the new case's registering agency,
    in any district, for nothing more than a personnummer typed into a signal. Only a protection carries over,
    since the person is still protected: the registrant, who typed the identity, and the district's coordinators,
    who run the case and alone may change the protection, are named for it.
    """
    earlier = db.session.execute(select(Youth.protected_identity, Youth.guardian_protected).where(
        blind_index_match(Youth.personnummer_bidx, personnummer.canonical))).all()
    protected, guardians_protected = any(r[0] for r in earlier), any(r[1] for r in earlier)
    youth = Youth(name=name, personnummer=personnummer.canonical, sex=personnummer.sex,
                  birth_year=personnummer.birth_year, district_id=district.id, protected_identity=protected,
                  guardian_protected=guardians_protected)
    db.session.add(youth)
    db.session.flush()
    if protected or guardians_protected:
        coordinators = select(User.id).join(Agency, Agency.id == User.agency_id).where(
            User.role == Role.COORDINATOR, User.active.is_(True), Agency.is_authority.is_(True),
            User.districts.any(District.id == district.id))
        for user_id in {actor.id, *db.session.scalars(coordinators)}:
            db.session.add(ProtectedAccess(youth_id=youth.id, user_id=user_id, granted_by_id=actor.id))
    record(AuditAction.YOUTH_CREATED, actor=actor, target_type="youth", target_id=youth.id, subject_ref=youth.ref,
           fields=["name", "personnummer", "sex", "birth_year", "district"], flagged=protected or guardians_protected)
    return youth


def _next_case_code(district: District, year: int) -> str:
    """ORM-2026-014: per district and year, numbered under a row lock (safe across processes)."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(CaseCounter).values(district_id=district.id, year=year, last=0)
                       .on_conflict_do_nothing(index_elements=["district_id", "year"]))
    number = db.session.execute(
        update(CaseCounter).where(CaseCounter.district_id == district.id, CaseCounter.year == year)
        .values(last=CaseCounter.last + 1).returning(CaseCounter.last)
    ).scalar_one()
    return f"{district.code}-{year}-{number:03d}"


def register_signal(*, actor: User, personnummer: PersonalNumber, name: str, district: District,
                    signal: SignalInput) -> tuple[Case, bool]:
    """Record a concern on the youth's open case, or on a new case; returns (case, created)."""
    if not signal.categories or set(signal.categories) - catalogue().codes("concern_categories"):
        raise TransitionError(_("Välj vad oron gäller från listan."), field="categories")
    if signal.raised_on > date.today() or signal.raised_on < personnummer.birth_date:
        raise TransitionError(_("Datumet för oron är inte rimligt."), field="raised_on")
    if signal.report_made and signal.report_made_on is None:
        raise TransitionError(_("Ange datum för orosanmälan."), field="report_made_on")
    if signal.report_made and not personnummer.birth_date <= signal.report_made_on <= date.today():
        raise TransitionError(_("Datumet för orosanmälan är inte rimligt."), field="report_made_on")
    case = open_case_for(personnummer)
    created = case is None
    if case is None:
        youth = _youth_for_new_case(actor, personnummer, name, district)
        case = Case(code=_next_case_code(district, signal.raised_on.year), youth_id=youth.id,
                    district_id=district.id, registering_agency_id=actor.agency_id, created_by_id=actor.id)
        db.session.add(case)
        db.session.flush()
        record(AuditAction.CASE_CREATED, actor=actor, target_type="case", target_id=case.id, subject_ref=youth.ref,
               detail={"code": case.code})
    else:
        youth = case.youth
    row = Signal(case_id=case.id, raised_on=signal.raised_on, raised_by_id=actor.id, agency_id=actor.agency_id,
                 categories=sorted(set(signal.categories)), note=signal.note, report_made=signal.report_made,
                 report_made_on=signal.report_made_on if signal.report_made else None,
                 report_made_by=signal.report_made_by if signal.report_made else None)
    db.session.add(row)
    if case.status == CaseStatus.ACTIVE:
        case.flagged_for_meeting = True  # a new concern on an active case goes on the next agenda
    db.session.flush()
    record(AuditAction.SIGNAL_ADDED, actor=actor, target_type="case", target_id=case.id, subject_ref=youth.ref,
           fields=["categories", "note", "report_made"], detail={"code": case.code})
    return case, created


def triage_case(*, actor: User, case: Case, eligible: bool, risk_factors: Iterable[str],
                protective_factors: Iterable[str], note: str | None, today: date) -> None:
    if case.status != CaseStatus.SIGNAL:
        raise TransitionError(_("Ärendet är redan bedömt."))
    cat = catalogue()
    age = age_on(parse(case.youth.personnummer, today=today), today)
    if eligible and not (cat.age_min <= age <= cat.age_max):
        raise TransitionError(_("Den unge är utanför åldersspannet %(a)d–%(b)d år.", a=cat.age_min, b=cat.age_max))
    if set(risk_factors) - cat.codes("risk_factors") or set(protective_factors) - cat.codes("protective_factors"):
        raise TransitionError(_("Okänd risk- eller skyddsfaktor."))
    db.session.add(Triage(case_id=case.id, decided_by_id=actor.id, eligible=eligible,
                          risk_factors=sorted(set(risk_factors)), protective_factors=sorted(set(protective_factors)),
                          note=note))
    case.triaged_at = utcnow()
    case.coordinator_id = actor.id
    if eligible:
        case.status = CaseStatus.TRIAGED
    else:
        case.status = CaseStatus.CLOSED
        case.closed_at = utcnow()
        case.closure_reason = "not_eligible"
    db.session.flush()
    record(AuditAction.CASE_TRIAGED, actor=actor, target_type="case", target_id=case.id, subject_ref=case.youth.ref,
           fields=["eligible", "risk_factors", "protective_factors", "note"], detail={"eligible": eligible})


def activate_case(*, actor: User, case: Case) -> None:
    """A valid consent moves a triaged case to active (called by the consent service)."""
    if case.status == CaseStatus.TRIAGED:
        case.status = CaseStatus.ACTIVE
        record(AuditAction.CASE_ACTIVATED, actor=actor, target_type="case", target_id=case.id,
               subject_ref=case.youth.ref)


def close_case(*, actor: User, case: Case, reason: str) -> None:
    if case.status == CaseStatus.CLOSED:
        raise TransitionError(_("Ärendet är redan avslutat."))
    if reason not in catalogue().codes("closure_reasons"):
        raise TransitionError(_("Okänd avslutsorsak."))
    case.status = CaseStatus.CLOSED
    case.closed_at = utcnow()
    case.closure_reason = reason
    db.session.flush()
    record(AuditAction.CASE_CLOSED, actor=actor, target_type="case", target_id=case.id, subject_ref=case.youth.ref,
           fields=["status", "closure_reason"], detail={"reason": reason})


def start_emergency_access(*, actor: User, case: Case, reason: str) -> EmergencyAccess:
    hours = catalogue().emergency_access_hours
    grant = EmergencyAccess(case_id=case.id, user_id=actor.id, reason=reason,
                            expires_at=utcnow() + timedelta(hours=hours))
    db.session.add(grant)
    db.session.flush()
    record(AuditAction.EMERGENCY_ACCESS, actor=actor, target_type="case", target_id=case.id,
           subject_ref=case.youth.ref, purpose="nödåtkomst", flagged=True, fields=["reason"],
           detail={"hours": hours})
    return grant


def set_protection(*, actor: User, case: Case, protected_identity: bool, guardian_protected: bool,
                   named_users: Iterable[User], offered: Iterable[User] | None = None) -> None:
    """Mark skyddade personuppgifter and name who may still see them (the marking user always may).

    ``offered`` are the users the form let the actor choose from (the case's district): names outside them
    are kept. A protection in force can be changed only by a user named for it: saving the form names the actor,
    so anyone else could unmask the youth for themselves, or, on a record shared with another district's case
    (kept from before each case had its own), strike the names given there.
    """
    youth = case.youth
    existing = {row.user_id: row for row in db.session.scalars(
        select(ProtectedAccess).where(ProtectedAccess.youth_id == youth.id))}
    if (youth.protected_identity or youth.guardian_protected) and actor.id not in existing:
        raise TransitionError(_("Bara den som är namngiven för den unge kan ändra skyddet."))
    youth.protected_identity = protected_identity
    youth.guardian_protected = guardian_protected
    wanted = {u.id for u in named_users} | {actor.id}
    choosable = None if offered is None else {u.id for u in offered} | {actor.id}
    for user_id in wanted - set(existing):
        db.session.add(ProtectedAccess(youth_id=youth.id, user_id=user_id, granted_by_id=actor.id))
    for user_id in set(existing) - wanted:
        if choosable is None or user_id in choosable:
            db.session.delete(existing[user_id])
    db.session.flush()
    record(AuditAction.PROTECTION_CHANGED, actor=actor, target_type="youth", target_id=youth.id,
           subject_ref=youth.ref, flagged=True, fields=["protected_identity", "guardian_protected", "named_users"])


YOUTH_FIELDS = ("name", "address", "guardian1_name", "guardian1_phone", "guardian2_name", "guardian2_phone")


def update_youth(*, actor: User, youth: Youth, values: dict[str, str | None]) -> list[str]:
    """Change the youth's identity and guardian details (an allowlist); returns the changed field names."""
    changed = []
    for field in YOUTH_FIELDS:
        if field in values and getattr(youth, field) != values[field]:
            setattr(youth, field, values[field])
            changed.append(field)
    if changed:
        db.session.flush()
        record(AuditAction.YOUTH_UPDATED, actor=actor, target_type="youth", target_id=youth.id,
               subject_ref=youth.ref, fields=changed, flagged=youth.protected_identity or youth.guardian_protected)
    return changed
