"""Agencies and districts.

An agency is one of the SSPF parties (or the municipality's coordination function, or a
non-authority participant of a local working group). Whether it is an *authority* matters by
law: crime data (GDPR art. 10) may only ever reach authorities.
"""

from __future__ import annotations

import enum

from sqlalchemy import Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sspf.db import Base, Timestamps


class AgencyKind(enum.StrEnum):
    SCHOOL = "school"
    SOCIAL_SERVICES = "social_services"
    POLICE = "police"
    LEISURE = "leisure"
    COORDINATION = "coordination"
    OTHER = "other"


class Agency(Timestamps, Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[AgencyKind] = mapped_column(String(32))
    #: True for public authorities; non-authorities (associations, clubs) never see case data.
    is_authority: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<Agency {self.name}>"


class District(Timestamps, Base):
    __tablename__ = "districts"
    __table_args__ = (UniqueConstraint("code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    #: Short upper-case code used in case codes (e.g. ORM in ORM-2026-014).
    code: Mapped[str] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<District {self.code}>"


user_districts = Table(
    "user_districts",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("district_id", ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True),
)
