"""The contact log: short, structured records of work with a youth (minimise free text)."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sspf.crypto import EncryptedText
from sspf.db import Base, UuidPk, utcnow
from sspf.org.models import Agency


class Visibility(enum.StrEnum):
    OWN_AGENCY = "own_agency"
    CONSENTED = "consented"  # every agency the consent (or a disclosure) covers for this category


class Contact(UuidPk, Base):
    __tablename__ = "contacts"
    #: The case page shows a case's newest contacts by (occurred_on, created_at): with both in the index the
    #: newest 200 are read in order and the scan stops, however many contacts share a date.
    __table_args__ = (Index("ix_contacts_case_recent", "case_id", "occurred_on", "created_at"),)

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    #: The information category the contact belongs to (the author agency's), for consent checks.
    category: Mapped[str] = mapped_column(String(32))
    occurred_on: Mapped[date]
    type: Mapped[str] = mapped_column(String(32))
    duration_minutes: Mapped[int | None]
    parties: Mapped[list[str]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(EncryptedText())
    visibility: Mapped[Visibility] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agency: Mapped[Agency] = relationship(lazy="joined", innerjoin=True)
