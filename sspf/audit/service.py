"""``record()`` writes one audit event in the current transaction; ``RowWithEvent`` a row and its event at once."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy import Table, bindparam, insert, select

from sspf.audit.actions import AuditAction, Outcome
from sspf.audit.models import AuditEvent, AuditPending
from sspf.db import utcnow
from sspf.extensions import db

_EVENTS = AuditEvent.__table__
#: Plain table INSERTs with parameters: compiled once and cached, with none of the ORM's bulk machinery.
_INSERT_EVENT = insert(_EVENTS).returning(_EVENTS.c.id)
_INSERT_PENDING = insert(AuditPending.__table__)
#: PostgreSQL writes the event and queues it for sealing in one statement (a data-modifying CTE).
_EVENT_COLUMNS = ("event_id", "at", "action", "outcome", "target_type", "target_id", "subject_ref", "purpose",
                  "fields", "flagged", "detail", "actor_id", "actor_agency", "actor_role", "actor_districts",
                  "request_id", "client_addr")
_EVENT_CTE = (insert(_EVENTS).values({name: bindparam(name, type_=_EVENTS.c[name].type) for name in _EVENT_COLUMNS})
              .returning(_EVENTS.c.id).cte("new_event"))
_INSERT_EVENT_AND_QUEUE = (insert(AuditPending.__table__).from_select(["event_pk"], select(_EVENT_CTE.c.id))
                           .returning(AuditPending.__table__.c.event_pk))
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


def _event_values(action: AuditAction, *, actor: Any = None, outcome: Outcome = Outcome.ALLOWED,
                  target_type: str | None = None, target_id: object | None = None, subject_ref: str | None = None,
                  purpose: str | None = None, fields: Iterable[str] = (), flagged: bool = False,
                  detail: dict[str, Any] | None = None) -> dict[str, Any]:
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
    return values


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _insert_event(values: dict[str, Any], postgres_statement) -> int:
    """Write the event and queue it for sealing: ``postgres_statement`` does both in one round trip (and
    whatever else it carries); elsewhere two INSERTs. Core INSERTs, not ORM objects: an event is written
    on most requests, and the unit of work's bookkeeping would cost more than the write itself."""
    if _postgres():
        event_pk = db.session.execute(postgres_statement, values).scalar_one()
    else:
        event_pk = db.session.execute(_INSERT_EVENT, values).scalar_one()
        db.session.execute(_INSERT_PENDING, {"event_pk": event_pk})
    if has_request_context():
        from sspf.audit.sealing import after_record
        from sspf.web.boundary import after_commit

        after_commit(after_record)
    return event_pk


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
    values = _event_values(action, actor=actor, outcome=outcome, target_type=target_type, target_id=target_id,
                           subject_ref=subject_ref, purpose=purpose, fields=fields, flagged=flagged, detail=detail)
    return _insert_event(values, _INSERT_EVENT_AND_QUEUE)


class RowWithEvent:
    """An INSERT into ``table`` that goes to the database with its audit event.

    On PostgreSQL the row, the event and its place in the sealing queue are one statement (three
    data-modifying CTEs): one round trip, and, being one statement, atomic even outside a
    transaction (see :func:`sspf.db.single_statement`). Elsewhere they are separate INSERTs in
    the caller's transaction. Built once per process, like the event's own statements.
    """

    def __init__(self, table: Table) -> None:
        self.insert = insert(table)
        row = insert(table).values({c.name: bindparam(f"row_{c.name}", type_=c.type) for c in table.columns})
        self.combined = _INSERT_EVENT_AND_QUEUE.add_cte(row.cte(f"new_{table.name}"))

    def write(self, row: dict[str, Any], action: AuditAction, **event: Any) -> int:
        """Insert ``row`` (every column given) and record ``action`` for it, with ``record()``'s keywords;
        returns the event's row id."""
        values = _event_values(action, **event)
        if _postgres():
            values.update({f"row_{name}": value for name, value in row.items()})
        else:
            db.session.execute(self.insert, row)
        return _insert_event(values, self.combined)
