"""Writes to the contact log."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from flask_babel import gettext as _

from sspf.access.scoping import CaseHead
from sspf.audit import AuditAction, RowWithEvent
from sspf.auth.models import User
from sspf.cases.models import CaseStatus
from sspf.catalogue import catalogue
from sspf.contacts.models import Contact, Visibility
from sspf.crypto import encrypt_value
from sspf.db import single_statement, utcnow
from sspf.extensions import db

MAX_NOTE = 1000
_CONTACT_WITH_EVENT = RowWithEvent(Contact.__table__)


class ContactError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def log_contact(*, actor: User, case: CaseHead, occurred_on: date, type: str, duration_minutes: int | None,
                parties: Iterable[str], note: str | None, visibility: Visibility, today: date,
                flagged: bool = False) -> uuid.UUID:
    """Write one contact and its audit event; returns the contact's id.

    A plain INSERT with the note encrypted here, not an ORM object: contacts are the most frequent
    write (a field worker logs several a day from a phone) and the unit of work cost more than the
    write itself. ``flagged`` marks the audit event for log review (a protected identity).
    """
    cat = catalogue()
    if case.status == CaseStatus.CLOSED:
        raise ContactError(_("Ärendet är avslutat."))
    if occurred_on > today:
        raise ContactError(_("En kontakt kan inte ha skett i framtiden."), "occurred_on")
    if occurred_on.year < case.birth_year:
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
    contact_id = uuid.uuid4()
    row = {"id": contact_id, "case_id": case.id, "author_id": actor.id, "agency_id": actor.agency_id,
           "category": cat.category_of_agency_kind(actor.agency.kind), "occurred_on": occurred_on, "type": type,
           "duration_minutes": duration_minutes, "parties": parties, "visibility": str(Visibility(visibility)),
           "note": encrypt_value(db.session, Contact.note, contact_id, note), "created_at": utcnow()}
    with single_statement(db.session):  # the contact and its event: one statement, committed as one
        _CONTACT_WITH_EVENT.write(row, AuditAction.CONTACT_LOGGED, actor=actor, target_type="contact",
                                  target_id=contact_id, subject_ref=case.youth_ref,
                                  fields=["occurred_on", "type", "parties"] + (["note"] if note else []),
                                  flagged=flagged, detail={"case": case.code})
    return contact_id
