"""``record()``: write one audit event in the current transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import g, has_request_context, request
from flask_login import current_user

from sspf.audit.actions import AuditAction, Outcome
from sspf.audit.models import AuditEvent, AuditPending
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
) -> AuditEvent:
    """Add an audit event to the session and flush it.

    The flush makes a failing audit write fail the caller's action at once, inside the same
    transaction, so no data leaves without its event. ``actor`` defaults to the logged-in user.
    """
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user._get_current_object()
    event = AuditEvent(
        action=str(AuditAction(action)),
        outcome=str(Outcome(outcome)),
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        subject_ref=subject_ref,
        purpose=purpose,
        fields=sorted(set(fields)),
        flagged=flagged,
        detail=_clean_detail(detail),
    )
    if actor is not None:
        event.actor_id = str(actor.id)
        event.actor_agency = actor.agency.name if actor.agency else None
        event.actor_role = str(actor.role)
        event.actor_districts = sorted(d.code for d in actor.districts)
    if has_request_context():
        event.request_id = g.get("request_id")
        event.client_addr = request.remote_addr
    db.session.add(event)
    db.session.flush()
    db.session.add(AuditPending(event_pk=event.id))
    if has_request_context():
        from sspf.audit.sealing import after_record
        from sspf.web.boundary import after_commit

        after_commit(after_record)
    return event
