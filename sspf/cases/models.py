"""Youths and cases.

A youth's identifying data is encrypted field by field; sex, birth year and district stay plain
because anonymous statistics need them and they identify no one on their own. ``ref`` is the
pseudonym the audit trail uses instead of a name.
"""

from __future__ import annotations

import enum
import secrets
import uuid
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sspf.cases.personnummer import normalize
from sspf.crypto import BlindIndex, EncryptedText
from sspf.db import Base, Timestamps, UuidPk, utcnow
from sspf.org.models import Agency, District


def new_ref() -> str:
    return "Y" + secrets.token_hex(5).upper()


class Sex(enum.StrEnum):
    FEMALE = "female"
    MALE = "male"
    UNKNOWN = "unknown"


class CaseStatus(enum.StrEnum):
    SIGNAL = "signal"  # aktualiserad, waits for triage
    TRIAGED = "triaged"  # accepted by the coordinator, waits for consent
    ACTIVE = "active"
    CLOSED = "closed"


class Youth(UuidPk, Timestamps, Base):
    __tablename__ = "youths"

    #: Pseudonym for the audit trail and log review: never a name or personnummer.
    ref: Mapped[str] = mapped_column(String(16), unique=True, default=new_ref)
    name: Mapped[str] = mapped_column(EncryptedText())
    personnummer: Mapped[str] = mapped_column(EncryptedText())
    personnummer_bidx: Mapped[bytes] = mapped_column(BlindIndex(source="personnummer", normalizer=normalize),
                                                     index=True)
    address: Mapped[str | None] = mapped_column(EncryptedText())
    guardian1_name: Mapped[str | None] = mapped_column(EncryptedText())
    guardian1_phone: Mapped[str | None] = mapped_column(EncryptedText())
    guardian2_name: Mapped[str | None] = mapped_column(EncryptedText())
    guardian2_phone: Mapped[str | None] = mapped_column(EncryptedText())
    sex: Mapped[Sex] = mapped_column(String(8))
    birth_year: Mapped[int]
    #: Birth date is derived from the personnummer; kept plain only as the year (above).
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    #: Skyddade personuppgifter for the youth, or for a guardian (hides the guardians' details).
    protected_identity: Mapped[bool] = mapped_column(default=False)
    guardian_protected: Mapped[bool] = mapped_column(default=False)

    district: Mapped[District] = relationship(lazy="joined")

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("ref", new_ref())
        super().__init__(**kwargs)


class ProtectedAccess(Base):
    """A user named to see a protected youth's identity; everyone else sees it masked."""

    __tablename__ = "protected_access"

    youth_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("youths.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    granted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseCounter(Base):
    """Per district and year, the last case number used (ORM-2026-014)."""

    __tablename__ = "case_counters"

    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)


class Case(UuidPk, Timestamps, Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_district_status", "district_id", "status"),
        #: The case list's order: without it PostgreSQL joins every visible case before keeping 50.
        Index("ix_cases_created_at_id", "created_at", "id"),
        #: The coordinator's desk: the oldest signals waiting for triage, without reading every case in date order.
        Index("ix_cases_status_created_at", "status", "created_at"),
    )

    code: Mapped[str] = mapped_column(String(20), unique=True)
    youth_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("youths.id"), index=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    status: Mapped[CaseStatus] = mapped_column(String(16), default=CaseStatus.SIGNAL)
    #: The agency that raised the first signal: it sees the whole case, like the coordinator.
    registering_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    coordinator_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    triaged_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closure_reason: Mapped[str | None] = mapped_column(String(40))
    #: Case flagged by an agency for the next SSPF meeting.
    flagged_for_meeting: Mapped[bool] = mapped_column(default=False)

    youth: Mapped[Youth] = relationship(lazy="joined", innerjoin=True)
    district: Mapped[District] = relationship(lazy="joined", innerjoin=True)
    registering_agency: Mapped[Agency] = relationship(lazy="joined", innerjoin=True)


class Signal(UuidPk, Base):
    """Aktualisering: a concern raised by one agency. The orosanmälan itself never lives here."""

    __tablename__ = "signals"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    raised_on: Mapped[date]
    raised_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    categories: Mapped[list[str]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(EncryptedText())
    report_made: Mapped[bool] = mapped_column(default=False)
    report_made_on: Mapped[date | None]
    #: Who made the orosanmälan (a role or unit, e.g. "rektor"); encrypted, it may name a person.
    report_made_by: Mapped[str | None] = mapped_column(EncryptedText())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agency: Mapped[Agency] = relationship(lazy="joined")


class Triage(UuidPk, Base):
    __tablename__ = "triages"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    decided_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    eligible: Mapped[bool]
    risk_factors: Mapped[list[str]] = mapped_column(JSON)
    protective_factors: Mapped[list[str]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(EncryptedText())


class EmergencyAccess(UuidPk, Base):
    """Nödåtkomst: a coordinator's time-limited access to a case outside the rule, with a reason."""

    __tablename__ = "emergency_access"
    __table_args__ = (Index("ix_emergency_access_user_case", "user_id", "case_id", "expires_at"),)

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(EncryptedText())
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

