"""Writes to the contact log."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from flask_babel import gettext as _

from sspf.audit import AuditAction, record
from sspf.auth.models import User
from sspf.cases.models import Case, CaseStatus
from sspf.catalogue import catalogue
from sspf.contacts.models import Contact, Visibility
from sspf.extensions import db

MAX_NOTE = 1000


class ContactError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def log_contact(*, actor: User, case: Case, occurred_on: date, type: str, duration_minutes: int | None,
                parties: Iterable[str], note: str | None, visibility: Visibility, today: date) -> Contact:
    cat = catalogue()
    if case.status == CaseStatus.CLOSED:
        raise ContactError(_("Ärendet är avslutat."))
    if occurred_on > today:
        raise ContactError(_("En kontakt kan inte ha skett i framtiden."), "occurred_on")
    if occurred_on.year < case.youth.birth_year:
        raise ContactError(_("Datumet ligger före den unges födelse."), "occurred_on")
    if visibility not in {v.value for v in Visibility}:
        raise ContactError(_("Okänd synlighet."), "visibility")
    if type not in cat.codes("contact_types"):
        raise ContactError(_("Okänd kontakttyp."), "type")
    parties = sorted(set(parties))
    if set(parties) - cat.codes("contact_parties"):
        raise ContactError(_("Okänd part."), "parties")
    if duration_minutes is not None and not 0 < duration_minutes <= 24 * 60:
        raise ContactError(_("Ange tiden i minuter, högst ett dygn."), "duration_minutes")
    if note is not None and len(note) > MAX_NOTE:
        raise ContactError(_("Anteckningen får vara högst %(n)d tecken.", n=MAX_NOTE), "note")
    contact = Contact(case_id=case.id, author_id=actor.id, agency_id=actor.agency_id,
                      category=cat.category_of_agency_kind(actor.agency.kind), occurred_on=occurred_on, type=type,
                      duration_minutes=duration_minutes, parties=parties, note=note, visibility=Visibility(visibility))
    db.session.add(contact)
    db.session.flush()
    record(AuditAction.CONTACT_LOGGED, actor=actor, target_type="contact", target_id=contact.id,
           subject_ref=case.youth.ref, fields=["occurred_on", "type", "parties"] + (["note"] if note else []),
           detail={"case": case.code})
    return contact
