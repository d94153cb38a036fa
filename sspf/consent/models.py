"""Consent (samtycke) and disclosures on other legal bases.

Consent is the normal legal basis for sharing between the SSPF parties (OSL 12 kap. 2–3 §§). It
is scoped per agency and information category, time-limited, and withdrawable: a withdrawal
takes effect on the very next request, because every access check reads it fresh.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sspf.crypto import EncryptedBytes, EncryptedText
from sspf.db import Base, UuidPk, utcnow


class Consent(UuidPk, Base):
    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_case_valid", "case_id", "valid_until"),)

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    signed_on: Mapped[date]
    valid_until: Mapped[date]
    guardian1_signed: Mapped[bool] = mapped_column(default=False)
    guardian2_signed: Mapped[bool] = mapped_column(default=False)
    youth_signed: Mapped[bool] = mapped_column(default=False)
    method: Mapped[str] = mapped_column(String(32))
    #: A scanned consent form, encrypted like any personal data.
    scanned_form: Mapped[bytes | None] = mapped_column(EncryptedBytes())
    scanned_form_type: Mapped[str | None] = mapped_column(String(64))
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]
    #: Who withdrew it: guardian1, guardian2 or youth.
    withdrawn_by: Mapped[str | None] = mapped_column(String(16))
    withdrawal_recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    #: Set when a later consent is recorded for the case: the latest consent governs, so this one shares
    #: nothing from then on (like a withdrawal), but stays on record.
    replaced_at: Mapped[datetime | None]
    replaced_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("consents.id"))

    scope: Mapped[list[ConsentScope]] = relationship(back_populates="consent", cascade="all, delete-orphan",
                                                     lazy="selectin")

    def is_active(self, today: date) -> bool:
        return self.withdrawn_at is None and self.replaced_at is None and self.signed_on <= today <= self.valid_until


class ConsentScope(Base):
    """One (agency, information category) pair a consent lets that agency see."""

    __tablename__ = "consent_scopes"

    consent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("consents.id", ondelete="CASCADE"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)

    consent: Mapped[Consent] = relationship(back_populates="scope")


class Disclosure(UuidPk, Base):
    """A disclosure on a legal basis other than consent: a recorded, case-by-case decision.

    It lets ``to_agency`` see ``categories`` of the case until ``valid_until``; the assessment
    says why this disclosure, this time ("får inte lämnas ut rutinmässigt").
    """

    __tablename__ = "disclosures"
    __table_args__ = (Index("ix_disclosures_case_agency", "case_id", "to_agency_id", "valid_until"),)

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    legal_basis: Mapped[str] = mapped_column(String(40))
    decided_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    from_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    to_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    categories: Mapped[list[str]] = mapped_column(JSON)
    assessment: Mapped[str] = mapped_column(EncryptedText())
    disclosed_at: Mapped[datetime] = mapped_column(default=utcnow)
    valid_until: Mapped[date]

