"""The closed list of audited actions. A new kind of event is a new member here, never a free string."""

from __future__ import annotations

import enum


class Outcome(enum.StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"


class AuditAction(enum.StrEnum):
    LOGIN_SUCCESS = "auth.login.success"
    LOGIN_FAILURE = "auth.login.failure"
    LOGIN_LOCKED = "auth.login.locked"
    LOGIN_THROTTLED = "auth.login.throttled"
    LOGOUT = "auth.logout"
    SESSION_EXPIRED = "auth.session.expired"
    MFA_SUCCESS = "auth.mfa.success"
    MFA_FAILURE = "auth.mfa.failure"
    MFA_ENROLLED = "auth.mfa.enrolled"
    MFA_RECOVERY_USED = "auth.mfa.recovery_used"
    PASSWORD_CHANGED = "auth.password.changed"  # noqa: S105 (an event name)
    SESSIONS_ENDED = "auth.sessions.ended"
    USER_CREATED = "admin.user.created"
    USER_UPDATED = "admin.user.updated"
    USER_DEACTIVATED = "admin.user.deactivated"
    USER_REACTIVATED = "admin.user.reactivated"
    USER_PASSWORD_RESET = "admin.user.password_reset"  # noqa: S105 (an event name)
    USER_MFA_RESET = "admin.user.mfa_reset"
    DISTRICT_CREATED = "admin.district.created"
    DISTRICT_UPDATED = "admin.district.updated"
    ACCESS_DENIED = "access.denied"
    AUDIT_EXPORTED = "audit.exported"
    KEYS_CHANGED = "crypto.keys.changed"
