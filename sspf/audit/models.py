"""Audit tables.

``audit_events`` and ``audit_seals`` are append-only: in production the application's database
role holds only INSERT and SELECT on them (see README, "Database roles"). A seal gives an event
its place in the chain (``seq``) and its MAC; it is a row of its own so that sealing never has
to UPDATE an event.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sspf.db import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"
    #: "Who has read this case" on the case page, which must not slow down as the trail grows.
    __table_args__ = (Index("ix_audit_events_target", "target_type", "target_id", "action"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(unique=True, default=uuid.uuid4)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[str | None] = mapped_column(String(64), index=True)
    actor_agency: Mapped[str | None] = mapped_column(String(120))
    actor_role: Mapped[str | None] = mapped_column(String(32))
    actor_districts: Mapped[list[str]] = mapped_column(JSON, default=list)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(64))
    #: Pseudonymous id of the person concerned (never a name or personnummer).
    subject_ref: Mapped[str | None] = mapped_column(String(64), index=True)
    #: Purpose of the access or the legal basis of a disclosure, when there is one.
    purpose: Mapped[str | None] = mapped_column(String(200))
    #: Names, never values, of the fields read or changed.
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    outcome: Mapped[str] = mapped_column(String(16))
    #: Marks events a log reviewer must look at (emergency access, protected identity, lockouts).
    flagged: Mapped[bool] = mapped_column(default=False)
    request_id: Mapped[str | None] = mapped_column(String(64))
    client_addr: Mapped[str | None] = mapped_column(String(64))
    #: Short plain values that explain the event (e.g. a username that failed to log in).
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

    seal: Mapped[AuditSeal | None] = relationship(back_populates="event", uselist=False)


class AuditSeal(Base):
    __tablename__ = "audit_seals"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    event_pk: Mapped[int] = mapped_column(ForeignKey("audit_events.id"), unique=True)
    mac: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[AuditEvent] = relationship(back_populates="seal")


class AuditPending(Base):
    """Events committed but not yet sealed: a small queue, so the sealer never scans the whole trail.

    The app role may DELETE here (a row leaves when its event is sealed); an event removed from
    this queue without a seal is still caught, as an unsealed event, by ``sspf audit seal``'s check.
    """

    __tablename__ = "audit_pending"

    event_pk: Mapped[int] = mapped_column(ForeignKey("audit_events.id"), primary_key=True, autoincrement=False)


class AuditChainHead(Base):
    """One row: the last sealed seq and MAC. Updating it first is the sealers' lock."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(default=0)
    mac: Mapped[str] = mapped_column(String(64), default="0" * 64)
