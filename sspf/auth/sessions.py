"""Server-side login sessions.

The browser's signed cookie carries a random token; the database keeps its SHA-256 with the
session's times. Every request looks the row up, so ending a row (logout, deactivation,
password change, timeout) ends the session at once in every app process.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, g, request, session
from flask_login import login_user, logout_user
from sqlalchemy import bindparam, select, update

from sspf.audit import AuditAction, record
from sspf.auth.models import User, UserSession
from sspf.auth.signed_in import LiveSession, SignedInUser, session_by_token_hash
from sspf.db import outside_transaction, utcnow
from sspf.extensions import db

SESSION_KEY = "sid"
#: last_seen_at is written at most this often, so a page view is not a write on every request.
TOUCH_INTERVAL = timedelta(seconds=60)


#: The user's newest completed login (second factor passed, when one is required); a login still
#: waiting for its second factor is not one.
_LAST_COMPLETED_LOGIN = (
    select(UserSession.mfa_at, UserSession.client_addr)
    .where(UserSession.user_id == bindparam("user_id"), UserSession.mfa_at.is_not(None))
    .order_by(UserSession.mfa_at.desc()).limit(1)
)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User | SignedInUser, *, mfa_passed: bool) -> UserSession:
    """Begin a fresh session for ``user``: a new token and a cleared cookie (no fixation)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    previous = db.session.execute(_LAST_COMPLETED_LOGIN, {"user_id": user.id}).first() if mfa_passed else None
    row = UserSession(
        token_hash=_hash(token),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        mfa_at=now if mfa_passed else None,
        client_addr=request.remote_addr,
        user_agent=(request.user_agent.string or "")[:200],
        previous_login_at=previous.mfa_at if previous else None,
        previous_login_addr=previous.client_addr if previous else None,
    )
    db.session.add(row)
    db.session.flush()
    _clear_cookie_session()
    session[SESSION_KEY] = token
    session.permanent = False
    if mfa_passed:
        login_user(user)
    g.user_session = row
    return row


def _clear_cookie_session() -> None:
    """Start the cookie afresh (no fixation, no stale CSRF secret), keeping only the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def rotate_after_mfa(row: LiveSession) -> UserSession:
    """Passing the second factor starts a new session; the half-authenticated token dies."""
    end_session(row, "mfa_upgrade")
    return start_session(row.user, mfa_passed=True)


def pending_session() -> LiveSession | UserSession | None:
    """The current session if it is live, whether or not its second factor is done (a ``LiveSession``
    as read at the start of the request; the new ``UserSession`` row after a login in this request)."""
    if "user_session" in g:
        return g.user_session
    token = session.get(SESSION_KEY)
    row = None
    if token:
        with outside_transaction(db.session):  # a page that reads nothing else then needs no BEGIN/COMMIT
            row = session_by_token_hash(_hash(token))
        if row is not None and not _is_live(row):
            row = None
    g.user_session = row
    return row


def _is_live(row: LiveSession) -> bool:
    if row.ended_at is not None:
        return False
    now = utcnow()
    cfg = current_app.config
    reason = None
    if now - row.created_at > cfg["SSPF_ABSOLUTE_TIMEOUT"]:
        reason = "absolute_timeout"
    elif now - row.last_seen_at > cfg["SSPF_IDLE_TIMEOUT"]:
        reason = "idle_timeout"
    elif not row.user.active:
        reason = "deactivated"
    if reason:
        end_session(row, reason)
        record(AuditAction.SESSION_EXPIRED, actor=row.user, target_type="user", target_id=row.user_id,
               detail={"reason": reason})
        return False
    if now - row.last_seen_at > TOUCH_INTERVAL:
        db.session.execute(update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now))
    return True


def load_user(user_id: str) -> SignedInUser | None:
    """Flask-Login's user loader: the user only if a live, fully authenticated session backs it."""
    row = pending_session()
    if row is None or row.mfa_at is None or str(row.user_id) != user_id:
        return None
    return row.user


def end_session(row: LiveSession | UserSession, reason: str) -> None:
    db.session.execute(update(UserSession).where(UserSession.id == row.id)
                       .values(ended_at=utcnow(), ended_reason=reason))


def end_current_session(reason: str) -> None:
    row = pending_session()
    if row is not None:
        end_session(row, reason)
    logout_user()
    _clear_cookie_session()
    g.user_session = None


def end_all_sessions(user: User | SignedInUser, reason: str, *, keep: LiveSession | UserSession | None = None) -> int:
    """End every live session of ``user`` (except ``keep``); returns how many were ended."""
    stmt = (
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason=reason)
        .execution_options(synchronize_session="fetch")
    )
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep.id)
    return db.session.execute(stmt).rowcount or 0


def live_sessions(user: User | SignedInUser) -> list[UserSession]:
    cutoff: datetime = utcnow() - current_app.config["SSPF_IDLE_TIMEOUT"]
    return list(db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None), UserSession.last_seen_at > cutoff)
        .order_by(UserSession.last_seen_at.desc())
    ))
