"""Reads of cases, always through the actor's access; every read of personal data is audited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import abort
from sqlalchemy import Row, exists, func, select
from sqlalchemy.orm import aliased, defer, joinedload

from sspf.access.contacts import visible_contacts
from sspf.access.rules import NONE, Actor, CaseAccess, can_coordinate, case_access
from sspf.access.scoping import CaseHead, case_head_and_facts, consent_in_force, identity_visible, visible_cases
from sspf.audit import AuditAction, Outcome, record
from sspf.audit.models import AuditEvent
from sspf.auth.models import User
from sspf.calendar import today_of
from sspf.cases.models import Case, CaseStatus, Signal, Triage, Youth
from sspf.catalogue import catalogue
from sspf.consent.models import Consent, Disclosure
from sspf.contacts.models import Contact
from sspf.crypto import blind_index_match
from sspf.db import parse_uuid, utcnow
from sspf.extensions import db
from sspf.meetings.models import Meeting
from sspf.org.models import Agency

PER_PAGE = 50
COUNT_CAP = 1000
#: A list needs the youth's name and birth year only: the other encrypted fields are not even loaded,
#: so they are not decrypted (50 rows × 7 fields would be most of the list's time).
_LIST_YOUTH = joinedload(Case.youth).load_only(Youth.id, Youth.ref, Youth.name, Youth.birth_year,
                                               Youth.protected_identity, Youth.district_id)
#: The case page shows the latest contacts; the log itself keeps them all.
CONTACTS_SHOWN = 100


def _categories() -> frozenset[str]:
    return catalogue().codes("information_categories")


def get_case_head_for(user: User, case_id: str, *, now: datetime,
                      coordinate: bool = False) -> tuple[CaseHead, CaseAccess]:
    """The case's head and what ``user`` may see of it, in one statement and without decrypting anything.

    404 for a missing case and a forbidden one alike (the denial is audited); ``coordinate`` also
    requires the district coordinator's rights over it (403: the case is visible).
    """
    actor = Actor.of(user)
    cid = parse_uuid(case_id)
    found = case_head_and_facts(actor, cid, now=now) if cid else None
    access = case_access(actor, found[1], now=now, all_categories=_categories()) if found else NONE
    if not access.visible:
        record(AuditAction.ACCESS_DENIED, actor=user, outcome=Outcome.DENIED, target_type="case",
               target_id=str(case_id)[:64])
        abort(404)
    if coordinate and not can_coordinate(actor, access):
        abort(403)
    return found[0], access


def access_for(user: User, case_id: uuid.UUID, *, now: datetime) -> CaseAccess:
    """What ``user`` may see of a case the system itself has found (a signal's open case), in one statement.

    Nothing is loaded, decrypted or audited, and a case they may not see is simply ``NONE``: the user did
    not ask for this case, so there is no denied request to record and nothing to 404.
    """
    actor = Actor.of(user)
    found = case_head_and_facts(actor, case_id, now=now)
    return case_access(actor, found[1], now=now, all_categories=_categories()) if found else NONE


def get_case_for(user: User, case_id: str, *, now: datetime, coordinate: bool = False) -> tuple[Case, CaseAccess]:
    """As :func:`get_case_head_for`, with the ORM case (and its youth, decrypted) for a page that shows it.

    The rule is decided before the case is loaded, so a forbidden case is never decrypted.
    """
    head, access = get_case_head_for(user, case_id, now=now, coordinate=coordinate)
    return db.session.get(Case, head.id), access


def audit_read(user: User, case: Case, access: CaseAccess, fields: list[str]) -> None:
    record(AuditAction.CASE_READ, actor=user, target_type="case", target_id=case.id, subject_ref=case.youth.ref,
           fields=fields, flagged=access.flagged, purpose="nödåtkomst" if access.via == "emergency" else None,
           detail={"via": access.via})


@dataclass
class CasePage:
    rows: list[Case]
    total: int
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-min(self.total, COUNT_CAP) // PER_PAGE))

    @property
    def more_than_counted(self) -> bool:
        return self.total > COUNT_CAP


def list_cases_for(user: User, *, now: datetime, status: str | None = None, personnummer: str | None = None,
                   page: int = 1) -> CasePage:
    """Cases the user may see, newest first, 50 a page; the rule is applied in SQL."""
    actor = Actor.of(user)
    where = [visible_cases(actor, now=now)]
    if status in {s.value for s in CaseStatus}:
        where.append(Case.status == status)
    if personnummer:
        # A protected youth is found only by the users named for them: for anyone else a hit, even masked, would
        # link the number to the case. Not found, it looks the same as a number that has no case.
        where.append(Case.youth_id.in_(select(Youth.id).where(
            blind_index_match(Youth.personnummer_bidx, personnummer), identity_visible(actor))))
    # Counting stops at COUNT_CAP: past that the exact number helps nobody and costs a scan of every case.
    capped = select(Case.id).where(*where).limit(COUNT_CAP + 1).subquery()
    total = db.session.scalar(select(func.count()).select_from(capped)) or 0
    rows = list(db.session.scalars(select(Case).where(*where).options(_LIST_YOUTH)
                                   .order_by(Case.created_at.desc(), Case.id.desc())
                                   .offset((page - 1) * PER_PAGE).limit(PER_PAGE)))
    if rows:
        record(AuditAction.CASE_LISTED, actor=user, target_type="case_list", fields=["name", "code", "status"],
               detail={"count": len(rows), "search": bool(personnummer)})
    return CasePage(rows=rows, total=total, page=page)


@dataclass(frozen=True)
class DisclosureLine:
    """A disclosure with the names the case page shows beside it."""

    disclosure: Disclosure
    from_agency: str
    to_agency: str
    decided_by: str


@dataclass
class CaseDetail:
    signals: list[Signal]
    triage: Triage | None
    consents: list[Consent]
    #: Every disclosure for full access; for anyone else, those their own agency made.
    disclosures: list[DisclosureLine]
    contacts: list[Contact]
    readers: list[tuple[str, datetime]]
    #: The day of the district's last SSPF meeting, and the contacts since then by agency name.
    last_meeting_on: date | None = None
    since_meeting: dict[str, list[Contact]] = field(default_factory=dict)
    #: The name of who raised each signal, by signal id: for full access only.
    raised_by: dict[uuid.UUID, str] = field(default_factory=dict)


def case_detail(user: User, case: Case, access: CaseAccess) -> CaseDetail:
    """What the case page shows, filtered by ``access``; a constant number of queries."""
    actor = Actor.of(user)
    # Who raised each signal comes in the same statement; only full access gets the names, others see the agency.
    signal_rows = db.session.execute(select(Signal, User.display_name).join(User, User.id == Signal.raised_by_id)
                                     .where(Signal.case_id == case.id).order_by(Signal.raised_on.desc())).all()
    signals = [s for s, _name in signal_rows
               if access.full or s.agency_id == actor.agency_id
               or access.sees(catalogue().category_of_agency_kind(s.agency.kind))]
    raised_by = {s.id: name for s, name in signal_rows} if access.full else {}
    disclosures = _disclosure_lines(case, access, actor)
    triage = consents = None
    if access.full:
        triage = db.session.scalar(select(Triage).where(Triage.case_id == case.id))
        # The scanned form (possibly megabytes) is not shown here: neither loaded nor decrypted.
        consents = list(db.session.scalars(select(Consent).where(Consent.case_id == case.id)
                                           .options(defer(Consent.scanned_form))
                                           .order_by(Consent.signed_on.desc())))
    contacts = list(db.session.scalars(
        select(Contact).where(Contact.case_id == case.id, visible_contacts(actor, access))
        .order_by(Contact.occurred_on.desc(), Contact.created_at.desc()).limit(CONTACTS_SHOWN)))
    readers: list[tuple[str, datetime]] = []
    if access.via in {"coordinator", "emergency"}:
        # Each reader's last read, grouped on the audit index's own order; names are looked up by id afterwards (the
        # trail keeps actor ids as text, and SQLite's stored UUIDs never compared equal to them in a join).
        last_reads = db.session.execute(
            select(AuditEvent.actor_id, func.max(AuditEvent.at))
            .where(AuditEvent.target_type == "case", AuditEvent.target_id == str(case.id),
                   AuditEvent.action == AuditAction.CASE_READ.value, AuditEvent.actor_id.is_not(None))
            .group_by(AuditEvent.actor_id).order_by(func.max(AuditEvent.at).desc()).limit(30)).all()
        ids = {actor_id: parse_uuid(actor_id) for actor_id, _at in last_reads}
        names = dict(db.session.execute(select(User.id, User.display_name).where(
            User.id.in_([uid for uid in ids.values() if uid is not None]))).tuples().all()) if last_reads else {}
        readers = [(names[ids[actor_id]], at) for actor_id, at in last_reads if ids[actor_id] in names]
    last_meeting_on = db.session.scalar(select(func.max(Meeting.held_on)).where(
        Meeting.district_id == case.district_id, Meeting.held_on < today_of(utcnow())))
    since_meeting: dict[str, list[Contact]] = {}
    for contact in contacts:
        if last_meeting_on is not None and contact.occurred_on > last_meeting_on:
            since_meeting.setdefault(contact.agency.name, []).append(contact)
    return CaseDetail(signals=signals, triage=triage, consents=consents or [], disclosures=disclosures,
                      contacts=contacts, readers=readers, last_meeting_on=last_meeting_on,
                      since_meeting=dict(sorted(since_meeting.items())), raised_by=raised_by)


def _disclosure_lines(case: Case, access: CaseAccess, actor: Actor) -> list[DisclosureLine]:
    """The disclosure register, in one statement: all of it for full access, and for an agency that holds the case
    otherwise, the disclosures it made itself (so that it can see what it has decided). The assessment is not
    shown here, so it is neither loaded nor decrypted."""
    from_agency, to_agency = aliased(Agency), aliased(Agency)
    statement = (select(Disclosure, from_agency.name, to_agency.name, User.display_name)
                 .join(from_agency, from_agency.id == Disclosure.from_agency_id)
                 .join(to_agency, to_agency.id == Disclosure.to_agency_id)
                 .join(User, User.id == Disclosure.decided_by_id)
                 .where(Disclosure.case_id == case.id).options(defer(Disclosure.assessment))
                 .order_by(Disclosure.disclosed_at.desc()))
    if not access.full:
        statement = statement.where(Disclosure.from_agency_id == actor.agency_id)
    return [DisclosureLine(*row) for row in db.session.execute(statement)]


@dataclass
class CoordinatorDesk:
    #: (id, code, created_at) of the oldest signals waiting for triage.
    awaiting_triage: list[Row]
    #: (id, code, valid_until) of active cases whose latest consent runs out soon or has run out, soonest first.
    expiring: list[Row]
    #: (id, code, withdrawn_at) of active cases whose consent was withdrawn and that have no valid one today.
    withdrawn: list[Row]


def coordinator_desk(user: User, *, now: datetime) -> CoordinatorDesk:
    """What needs the coordinator: new signals, consent that expires within the warning period or has expired,
    and active cases whose consent was withdrawn.

    Expired consent already shares nothing (the rule reads the date); this list is so that a new
    consent can be sought in time. Plain rows: the desk shows case codes and dates, so no youth is
    loaded (or decrypted) for it.
    """
    actor = Actor.of(user)
    today = today_of(now)
    warn = catalogue().consent_rule("expiry_warning_days")
    awaiting = list(db.session.execute(
        select(Case.id, Case.code, Case.created_at)
        .where(visible_cases(actor, now=now), Case.status == CaseStatus.SIGNAL)
        .order_by(Case.created_at, Case.id).limit(50)))
    # A case's latest consent (neither withdrawn nor replaced) is one with no later one: read per active case
    # through the (case_id, valid_until) index, instead of grouping every consent of the municipality first.
    # A replaced consent is out of force, so its date says nothing about when the sharing ends.
    later = aliased(Consent)
    expiring = list(db.session.execute(
        select(Case.id, Case.code, Consent.valid_until).distinct()
        .join(Consent, Consent.case_id == Case.id)
        .where(visible_cases(actor, now=now), Case.status == CaseStatus.ACTIVE, Consent.withdrawn_at.is_(None),
               Consent.replaced_at.is_(None), Consent.valid_until <= today + timedelta(days=warn),
               ~exists().where(later.case_id == Case.id, later.withdrawn_at.is_(None), later.replaced_at.is_(None),
                               later.valid_until > Consent.valid_until))
        .order_by(Consent.valid_until, Case.code).limit(50)))
    # A withdrawal ends the sharing at once, but the case stays active until the coordinator closes it or records
    # a new consent: list it until then, oldest withdrawal first. "Valid" is the access rule's own definition, so
    # a consent that the withdrawn one had replaced does not hide the case.
    valid = aliased(Consent)
    last_withdrawal = func.max(Consent.withdrawn_at)
    withdrawn = list(db.session.execute(
        select(Case.id, Case.code, last_withdrawal.label("withdrawn_at"))
        .join(Consent, Consent.case_id == Case.id)
        .where(visible_cases(actor, now=now), Case.status == CaseStatus.ACTIVE, Consent.withdrawn_at.is_not(None),
               ~exists().where(valid.case_id == Case.id, consent_in_force(today, valid)))
        .group_by(Case.id, Case.code).order_by(last_withdrawal, Case.code).limit(50)))
    return CoordinatorDesk(awaiting_triage=awaiting, expiring=expiring, withdrawn=withdrawn)
