"""Meeting series, meetings, agenda items, attendance and the entries recorded at a meeting.

A meeting's agenda and entries name cases by id (and case code in the minutes), never a youth.
Decision texts are encrypted like any other text about a child. Once a meeting is closed nothing
recorded at it changes; a correction is a new entry that points at the one it corrects.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime, time

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sspf.crypto import EncryptedText
from sspf.db import Base, UuidPk, utcnow
from sspf.org.models import Agency, District


class MeetingStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"  # locked: later corrections are new entries


class EntryKind(enum.StrEnum):
    DECISION = "decision"
    CORRECTION = "correction"


class MeetingSeries(Base):
    """The district's standing SSPF meeting: every week or every other week, same day, time and place."""

    __tablename__ = "meeting_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    weekday: Mapped[int]  # Monday = 0
    starts_at: Mapped[time]
    place: Mapped[str] = mapped_column(String(120))
    interval_weeks: Mapped[int] = mapped_column(default=1)
    first_on: Mapped[date]
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    district: Mapped[District] = relationship(lazy="joined", innerjoin=True)


class Meeting(UuidPk, Base):
    __tablename__ = "meetings"
    __table_args__ = (
        UniqueConstraint("series_id", "held_on", name="uq_meetings_series_day"),
        Index("ix_meetings_district_day", "district_id", "held_on"),
    )

    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    #: None for an extra meeting outside the series.
    series_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_series.id"))
    held_on: Mapped[date]
    starts_at: Mapped[time]
    place: Mapped[str] = mapped_column(String(120))
    status: Mapped[MeetingStatus] = mapped_column(String(16), default=MeetingStatus.OPEN)
    #: Bumped by every agenda change; a change made against an older version is refused (edit conflict).
    agenda_version: Mapped[int] = mapped_column(default=0)
    agenda_built_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    district: Mapped[District] = relationship(lazy="joined", innerjoin=True)

    @property
    def locked(self) -> bool:
        return self.status == MeetingStatus.CLOSED


class AgendaItem(UuidPk, Base):
    __tablename__ = "agenda_items"
    __table_args__ = (UniqueConstraint("meeting_id", "case_id", name="uq_agenda_items_meeting_case"),)

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    #: Why the case is on the agenda: rule codes (see agenda.RULES), or "added" by the coordinator.
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Taken off by the coordinator: kept, so that refreshing the agenda does not bring it back.
    removed: Mapped[bool] = mapped_column(default=False)
    #: Network meeting: whether the youth and the guardians took part for this case.
    youth_took_part: Mapped[bool] = mapped_column(default=False)
    guardians_took_part: Mapped[bool] = mapped_column(default=False)


class Attendance(Base):
    __tablename__ = "meeting_attendance"

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    present: Mapped[bool] = mapped_column(default=False)

    agency: Mapped[Agency] = relationship(lazy="joined", innerjoin=True)


class MeetingEntry(UuidPk, Base):
    """A decision on a case at a meeting; after closing, only corrections (new entries) are added."""

    __tablename__ = "meeting_entries"
    __table_args__ = (Index("ix_meeting_entries_meeting_case", "meeting_id", "case_id"),)

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[EntryKind] = mapped_column(String(16), default=EntryKind.DECISION)
    text: Mapped[str] = mapped_column(EncryptedText())
    corrects_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("meeting_entries.id"))
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
