"""``record()``: write one audit event in the current transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy import insert

from sspf.audit.actions import AuditAction, Outcome
from sspf.audit.models import AuditEvent, AuditPending
from sspf.db import utcnow
from sspf.extensions import db

_MAX_DETAIL_VALUE = 200  # the chain format allows 256


def _clean_detail(detail: dict[str, Any] | None) -> dict[str, Any]:
    """Keep detail to short plain values; an audit row is no place for free text."""
    out: dict[str, Any] = {}
    for key, value in (detail or {}).items():
        if value is None or isinstance(value, bool | int):
            out[str(key)] = value
        else:
            out[str(key)] = str(value)[:_MAX_DETAIL_VALUE]
    return out


def record(
    action: AuditAction,
    *,
    actor: Any = None,
    outcome: Outcome = Outcome.ALLOWED,
    target_type: str | None = None,
    target_id: object | None = None,
    subject_ref: str | None = None,
    purpose: str | None = None,
    fields: Iterable[str] = (),
    flagged: bool = False,
    detail: dict[str, Any] | None = None,
) -> int:
    """Write an audit event in the caller's transaction; returns its row id.

    The INSERT runs at once, so a failing audit write fails the caller's action inside the same
    transaction: no data leaves without its event. ``actor`` defaults to the logged-in user.
    """
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user._get_current_object()
    values: dict[str, Any] = {
        "event_id": uuid.uuid4(), "at": utcnow(), "action": str(AuditAction(action)),
        "outcome": str(Outcome(outcome)), "target_type": target_type,
        "target_id": None if target_id is None else str(target_id), "subject_ref": subject_ref,
        "purpose": purpose, "fields": sorted(set(fields)), "flagged": flagged, "detail": _clean_detail(detail),
        "actor_id": None, "actor_agency": None, "actor_role": None, "actor_districts": [],
        "request_id": None, "client_addr": None,
    }
    if actor is not None:
        values.update(actor_id=str(actor.id), actor_agency=actor.agency.name if actor.agency else None,
                      actor_role=str(actor.role), actor_districts=sorted(d.code for d in actor.districts))
    if has_request_context():
        values.update(request_id=g.get("request_id"), client_addr=request.remote_addr)
    # Core INSERTs (not ORM objects): an event is written on most requests, and the unit of work's
    # bookkeeping would cost more than the write itself.
    event_pk = db.session.execute(insert(AuditEvent).values(**values).returning(AuditEvent.id)).scalar_one()
    db.session.execute(insert(AuditPending).values(event_pk=event_pk))
    if has_request_context():
        from sspf.audit.sealing import after_record
        from sspf.web.boundary import after_commit

        after_commit(after_record)
    return event_pk
