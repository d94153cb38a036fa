"""Writes about accounts: login, passwords, second factor and user administration.

Every function takes plain values, writes its audit event, flushes, and never commits: the
request boundary commits once.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from sspf.audit import AuditAction, Outcome, record
from sspf.auth import mfa as totp
from sspf.auth.models import MfaCredential, RecoveryCode, User
from sspf.auth.passwords import burn_verification_time, hash_password, needs_rehash, verify_password
from sspf.auth.permissions import Role
from sspf.auth.sessions import end_all_sessions
from sspf.db import utcnow
from sspf.extensions import db
from sspf.org.models import Agency, District


class LoginOutcome(enum.Enum):
    OK = "ok"
    FAILED = "failed"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    user: User | None = None


def find_user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username.strip().lower()))


def authenticate(*, username: str, password: str) -> LoginResult:
    """Check a username and password, counting failures and locking the account when they pile up.

    Unknown user, wrong password, deactivated and locked accounts all return FAILED, so the
    answer tells an attacker nothing about which usernames exist.
    """
    user = find_user(username)
    now = utcnow()
    if user is None:
        burn_verification_time(password)
        # What was typed may be a password or a personnummer typed in the wrong field: keep only a
        # fingerprint, enough for a log reviewer to see repeated attempts at the same name.
        fingerprint = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:16]
        record(AuditAction.LOGIN_FAILURE, outcome=Outcome.DENIED,
               detail={"username_sha256": fingerprint, "reason": "unknown_user"})
        return LoginResult(LoginOutcome.FAILED)
    if user.locked_until is not None and user.locked_until > now:
        burn_verification_time(password)
        record(AuditAction.LOGIN_LOCKED, actor=user, outcome=Outcome.DENIED, target_type="user",
               target_id=user.id, detail={"reason": "locked"})
        return LoginResult(LoginOutcome.FAILED)
    if not verify_password(user.password_hash, password) or not user.active:
        reason = "inactive" if user.active is False else "bad_password"
        if reason == "bad_password":
            _count_failure(user)
        record(AuditAction.LOGIN_FAILURE, actor=user, outcome=Outcome.DENIED, target_type="user",
               target_id=user.id, detail={"reason": reason})
        return LoginResult(LoginOutcome.FAILED)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    record(AuditAction.LOGIN_SUCCESS, actor=user, target_type="user", target_id=user.id,
           detail={"mfa_pending": user.mfa_enabled})
    return LoginResult(LoginOutcome.OK, user)


def _count_failure(user: User) -> None:
    cfg = current_app.config
    user.failed_logins += 1
    if user.failed_logins >= cfg["SSPF_LOCKOUT_THRESHOLD"]:
        user.locked_until = utcnow() + timedelta(minutes=cfg["SSPF_LOCKOUT_MINUTES"])
        user.failed_logins = 0
        record(AuditAction.LOGIN_LOCKED, actor=user, outcome=Outcome.DENIED, target_type="user",
               target_id=user.id, flagged=True, detail={"reason": "too_many_failures"})


def password_change(*, actor: User, new_password: str, keep_session=None) -> None:
    """Set a new password and end every other session of the user."""
    actor.password_hash = hash_password(new_password)
    actor.password_changed_at = utcnow()
    actor.must_change_password = False
    ended = end_all_sessions(actor, "password_changed", keep=keep_session)
    record(AuditAction.PASSWORD_CHANGED, actor=actor, target_type="user", target_id=actor.id,
           detail={"sessions_ended": ended})


def mfa_enrol_start(*, actor: User) -> MfaCredential:
    """Create (or replace an unconfirmed) TOTP secret for the user to scan."""
    cred = actor.mfa
    if cred is not None and cred.confirmed_at is not None:
        raise ValueError("second factor already enrolled")
    if cred is None:
        cred = MfaCredential(user_id=actor.id, secret=totp.new_secret())
        db.session.add(cred)
        actor.mfa = cred
    else:
        cred.secret = totp.new_secret()
    db.session.flush()
    return cred


def mfa_enrol_confirm(*, actor: User, code: str) -> list[str] | None:
    """Confirm enrolment with a first code; returns fresh recovery codes, or None if the code is wrong."""
    cred = actor.mfa
    if cred is None or cred.confirmed_at is not None or not totp.accept_code(cred, code):
        return None
    cred.confirmed_at = utcnow()
    codes = totp.new_recovery_codes()
    for old in db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == actor.id)):
        db.session.delete(old)
    db.session.add_all(RecoveryCode(user_id=actor.id, code_hash=totp.hash_recovery_code(c)) for c in codes)
    record(AuditAction.MFA_ENROLLED, actor=actor, target_type="user", target_id=actor.id)
    return codes


def mfa_verify(*, user: User, code: str) -> bool:
    """Check a login's second factor: a TOTP code, or else an unused recovery code."""
    cred = user.mfa
    if cred is not None and cred.confirmed_at is not None and totp.accept_code(cred, code):
        record(AuditAction.MFA_SUCCESS, actor=user, target_type="user", target_id=user.id)
        return True
    recovery = db.session.scalar(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == totp.hash_recovery_code(code),
        RecoveryCode.used_at.is_(None)))
    if recovery is not None:
        recovery.used_at = utcnow()
        record(AuditAction.MFA_RECOVERY_USED, actor=user, target_type="user", target_id=user.id, flagged=True)
        return True
    record(AuditAction.MFA_FAILURE, actor=user, outcome=Outcome.DENIED, target_type="user", target_id=user.id)
    return False


def unused_recovery_codes(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def user_create(*, actor: User | None, username: str, display_name: str, password: str, role: Role,
                agency: Agency, districts: Sequence[District], must_change_password: bool = True) -> User:
    user = User(username=username.strip().lower(), display_name=display_name.strip(),
                password_hash=hash_password(password), role=Role(role), agency_id=agency.id,
                must_change_password=must_change_password)
    user.agency = agency
    user.districts = list(districts)
    db.session.add(user)
    db.session.flush()
    record(AuditAction.USER_CREATED, actor=actor, target_type="user", target_id=user.id,
           fields=["username", "display_name", "role", "agency", "districts"],
           detail={"username": user.username, "role": str(user.role)})
    return user


def user_update(*, actor: User, user: User, display_name: str, role: Role, agency: Agency,
                districts: Sequence[District]) -> list[str]:
    """Change a user's name, role, agency and districts; returns the names of the changed fields."""
    changed = []
    if user.display_name != display_name.strip():
        user.display_name = display_name.strip()
        changed.append("display_name")
    if user.role != Role(role):
        user.role = Role(role)
        changed.append("role")
    if user.agency_id != agency.id:
        user.agency = agency
        changed.append("agency")
    if {d.id for d in user.districts} != {d.id for d in districts}:
        user.districts = list(districts)
        changed.append("districts")
    if {"role", "agency", "districts"} & set(changed):
        # What the user may see changed; old sessions must not keep the old reach.
        end_all_sessions(user, "access_changed")
    if changed:
        db.session.flush()
        record(AuditAction.USER_UPDATED, actor=actor, target_type="user", target_id=user.id, fields=changed,
               detail={"role": str(user.role)})
    return changed


def user_set_active(*, actor: User, user: User, active: bool) -> None:
    if user.active == active:
        return
    user.active = active
    if not active:
        end_all_sessions(user, "deactivated")
    else:
        user.failed_logins = 0
        user.locked_until = None
    record(AuditAction.USER_REACTIVATED if active else AuditAction.USER_DEACTIVATED, actor=actor,
           target_type="user", target_id=user.id, fields=["active"])


def user_reset_password(*, actor: User, user: User, new_password: str) -> None:
    """An administrator sets a temporary password; the user must change it at next login."""
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    end_all_sessions(user, "password_reset")
    record(AuditAction.USER_PASSWORD_RESET, actor=actor, target_type="user", target_id=user.id,
           fields=["password"])


def user_reset_mfa(*, actor: User, user: User) -> None:
    """Remove a lost second factor so that the user enrols again at next login."""
    if user.mfa is not None:
        db.session.delete(user.mfa)
        user.mfa = None
    for code in db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        db.session.delete(code)
    end_all_sessions(user, "mfa_reset")
    record(AuditAction.USER_MFA_RESET, actor=actor, target_type="user", target_id=user.id, flagged=True)
