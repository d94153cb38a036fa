"""Plan, goals, actions and the plan's history.

Texts are encrypted (they describe a child); statuses, owners and dates stay plain so that task
lists and follow-up can be counted without decrypting anything.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sspf.crypto import EncryptedText
from sspf.db import Base, UuidPk, utcnow
from sspf.org.models import Agency


class GoalStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    REACHED = "reached"
    NOT_REACHED = "not_reached"


class ActionStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


#: Mapping sections (kartläggning) and the information category each belongs to.
MAPPING_SECTIONS = {"school": "school", "leisure": "leisure", "friends": "basic", "family": "social_services",
                    "strengths": "basic"}


class Plan(UuidPk, Base):
    __tablename__ = "plans"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    guardians_informed_on: Mapped[date | None]
    next_review_on: Mapped[date | None] = mapped_column(index=True)
    mapping_school: Mapped[str | None] = mapped_column(EncryptedText())
    mapping_leisure: Mapped[str | None] = mapped_column(EncryptedText())
    mapping_friends: Mapped[str | None] = mapped_column(EncryptedText())
    mapping_family: Mapped[str | None] = mapped_column(EncryptedText())
    mapping_strengths: Mapped[str | None] = mapped_column(EncryptedText())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Goal(UuidPk, Base):
    __tablename__ = "plan_goals"

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(EncryptedText())
    status: Mapped[GoalStatus] = mapped_column(String(16), default=GoalStatus.NOT_STARTED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Action(UuidPk, Base):
    __tablename__ = "plan_actions"
    __table_args__ = (Index("ix_plan_actions_owner_open", "owner_agency_id", "status", "deadline"),)

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    #: Denormalised from the plan: task lists filter on the case's access without a join chain.
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(EncryptedText())
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    owner_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    deadline: Mapped[date]
    status: Mapped[ActionStatus] = mapped_column(String(16), default=ActionStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    done_at: Mapped[datetime | None]
    #: The meeting at which the action was agreed, if any: the minutes list it under that meeting.
    meeting_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("meetings.id"), index=True)

    owner_agency: Mapped[Agency] = relationship(lazy="joined", innerjoin=True)


class PlanChange(Base):
    """Who changed what in the plan, and when: names of what changed, never the texts."""

    __tablename__ = "plan_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    #: goal, action or plan, and what happened to it (added, status, dates, mapping).
    entity: Mapped[str] = mapped_column(String(16))
    change: Mapped[str] = mapped_column(String(32))
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
