"""Who is logged in, as every request reads it: one plain SQL row, not five ORM objects.

Every authenticated request looks up its login session with the user, the agency, the districts
and whether a second factor is enrolled. Loaded as ORM objects that cost a sixth of a small page's
time (row processing, identity map, expiring them again at commit) for values that are only read.
So the lookup is one Core statement, and the user is a read-only ``SignedInUser`` that answers what
requests ask of the logged-in user (id, role, agency, districts, language...). Anything else, and
every change to the user, goes through ``record``: the ORM ``User`` row, loaded on first use.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Row

from sspf.auth.models import MfaCredential, User, UserSession, user_districts
from sspf.extensions import db
from sspf.org.models import Agency, District


@dataclass(frozen=True, slots=True)
class AgencyRef:
    id: int
    name: str
    kind: str
    is_authority: bool
    active: bool


@dataclass(frozen=True, slots=True)
class DistrictRef:
    id: int
    name: str
    code: str
    active: bool


class SignedInUser:
    """The logged-in user for this request, read once. Read-only: assigning to it raises, so a change
    cannot be lost on a copy; change ``record`` instead. Attributes it does not hold (the password hash,
    the second factor's secret, lockout counters) are read from ``record``."""

    __slots__ = ("id", "username", "display_name", "role", "agency_id", "active", "must_change_password", "language",
                 "mfa_enabled", "agency", "districts", "_record")

    def __init__(self, *, districts: tuple[DistrictRef, ...], agency: AgencyRef, **fields) -> None:
        for name, value in fields.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "agency", agency)
        object.__setattr__(self, "districts", districts)
        object.__setattr__(self, "_record", None)

    def __setattr__(self, name: str, value) -> None:
        raise AttributeError(f"the signed-in user is read-only; set {name!r} on .record")

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.record, name)

    @property
    def record(self) -> User:
        """The user's ORM row in this request's session (one query, the first time)."""
        if self._record is None:
            object.__setattr__(self, "_record", db.session.get(User, self.id))
        return self._record

    @property
    def district_ids(self) -> frozenset[int]:
        return frozenset(d.id for d in self.districts)

    # Flask-Login's protocol, as on User.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return str(self.id)

    def __repr__(self) -> str:
        return f"<SignedInUser {self.username}>"


@dataclass(frozen=True, slots=True)
class LiveSession:
    """A login session row as read at the start of a request (changes go through UPDATE statements)."""

    id: int
    user_id: uuid.UUID
    created_at: datetime
    last_seen_at: datetime
    mfa_at: datetime | None
    ended_at: datetime | None
    previous_login_at: datetime | None
    previous_login_addr: str | None
    user: SignedInUser


_S, _U, _A, _D, _M = (UserSession.__table__, User.__table__, Agency.__table__, District.__table__,
                      MfaCredential.__table__)
#: Built once: each request only looks up its compiled form. One row per district of the user.
_SESSION_BY_TOKEN = (
    select(_S.c.id, _S.c.user_id, _S.c.created_at, _S.c.last_seen_at, _S.c.mfa_at, _S.c.ended_at,
           _S.c.previous_login_at, _S.c.previous_login_addr,
           _U.c.username, _U.c.display_name, _U.c.role, _U.c.agency_id, _U.c.active, _U.c.must_change_password,
           _U.c.language, _M.c.confirmed_at.label("mfa_confirmed_at"),
           _A.c.name.label("agency_name"), _A.c.kind.label("agency_kind"), _A.c.is_authority,
           _A.c.active.label("agency_active"),
           _D.c.id.label("district_id"), _D.c.name.label("district_name"), _D.c.code.label("district_code"),
           _D.c.active.label("district_active"))
    .select_from(_S.join(_U, _U.c.id == _S.c.user_id).join(_A, _A.c.id == _U.c.agency_id)
                 .outerjoin(user_districts, user_districts.c.user_id == _U.c.id)
                 .outerjoin(_D, _D.c.id == user_districts.c.district_id)
                 .outerjoin(_M, _M.c.user_id == _U.c.id))
    .where(_S.c.token_hash == bindparam("token_hash"))
    .order_by(_D.c.name)
)


def session_by_token_hash(token_hash: str) -> LiveSession | None:
    rows = db.session.execute(_SESSION_BY_TOKEN, {"token_hash": token_hash}).all()
    return _live_session(rows) if rows else None


def _live_session(rows: list[Row]) -> LiveSession:
    r = rows[0]
    user = SignedInUser(
        id=r.user_id, username=r.username, display_name=r.display_name, role=r.role, agency_id=r.agency_id,
        active=r.active, must_change_password=r.must_change_password, language=r.language,
        mfa_enabled=r.mfa_confirmed_at is not None,
        agency=AgencyRef(id=r.agency_id, name=r.agency_name, kind=r.agency_kind, is_authority=r.is_authority,
                         active=r.agency_active),
        districts=tuple(DistrictRef(id=d.district_id, name=d.district_name, code=d.district_code,
                                    active=d.district_active) for d in rows if d.district_id is not None),
    )
    return LiveSession(id=r.id, user_id=r.user_id, created_at=r.created_at, last_seen_at=r.last_seen_at,
                       mfa_at=r.mfa_at, ended_at=r.ended_at, previous_login_at=r.previous_login_at,
                       previous_login_addr=r.previous_login_addr, user=user)
