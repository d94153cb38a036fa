"""Users, their server-side sessions, second factor and recovery codes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sspf.auth.permissions import Role
from sspf.crypto import EncryptedText
from sspf.db import Base, Timestamps, UuidPk, utcnow
from sspf.org.models import Agency, District, user_districts


class User(UuidPk, Timestamps, Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(String(32))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    active: Mapped[bool] = mapped_column(default=True)
    #: Consecutive failed logins since the last success; reset on success.
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set by an administrator's reset: the user must choose a new password at next login.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    last_login_at: Mapped[datetime | None]
    language: Mapped[str | None] = mapped_column(String(8))

    agency: Mapped[Agency] = relationship(lazy="joined")
    districts: Mapped[list[District]] = relationship(secondary=user_districts, lazy="selectin",
                                                     order_by=District.name)
    mfa: Mapped[MfaCredential | None] = relationship(back_populates="user", lazy="select", uselist=False)

    # Flask-Login protocol; authority comes from the server-side session, not from this id.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def mfa_enabled(self) -> bool:
        return self.mfa is not None and self.mfa.confirmed_at is not None

    @property
    def district_ids(self) -> frozenset[int]:
        return frozenset(d.id for d in self.districts)

    @property
    def record(self) -> User:
        """The row itself, as ``SignedInUser.record`` is: code that changes the logged-in user need not ask
        which of the two it holds."""
        return self

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class UserSession(Base):
    """A login session. The browser holds only a random token; its SHA-256 is stored here.

    Ending a row ends the session at once in every app process, which a signed cookie alone
    cannot do (logout, deactivation, password change).
    """

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_active", "user_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the second factor was passed; None while the login waits for it.
    mfa_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(String(32))
    client_addr: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))
    #: The user's login before this one, copied here when this login completes, so the start page
    #: can show it (a sign of a stolen password) without a query of its own on every visit.
    previous_login_at: Mapped[datetime | None]
    previous_login_addr: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship()


class MfaCredential(UuidPk, Base):
    """A TOTP secret (encrypted) and the last accepted time step, which stops a code's replay."""

    __tablename__ = "mfa_credentials"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    secret: Mapped[str] = mapped_column(EncryptedText())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    #: Highest TOTP time step accepted so far; a code for this step or earlier is refused.
    last_step: Mapped[int] = mapped_column(default=0)

    user: Mapped[User] = relationship(back_populates="mfa")


class RecoveryCode(Base):
    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the code: the codes are random and long, so a slow hash adds nothing.
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]
