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
    YOUTH_CREATED = "youth.created"
    YOUTH_UPDATED = "youth.updated"
    PROTECTION_CHANGED = "youth.protection_changed"
    CASE_CREATED = "case.created"
    CASE_READ = "case.read"
    CASE_LISTED = "case.listed"
    SIGNAL_ADDED = "case.signal_added"
    CASE_TRIAGED = "case.triaged"
    CASE_ACTIVATED = "case.activated"
    CASE_CLOSED = "case.closed"
    EMERGENCY_ACCESS = "case.emergency_access"
    CONSENT_RECORDED = "consent.recorded"
    CONSENT_WITHDRAWN = "consent.withdrawn"
    CONSENT_REPLACED = "consent.replaced"
    CONSENT_FORM_READ = "consent.form_read"
    DISCLOSURE_RECORDED = "disclosure.recorded"
    CONTACT_LOGGED = "contact.logged"
    PLAN_CHANGED = "plan.changed"
    PLAN_READ = "plan.read"
    TASKS_LISTED = "plan.tasks_listed"
    MEETING_CHANGED = "meeting.changed"
    MEETING_READ = "meeting.read"
    MEETING_DECISION = "meeting.decision_recorded"
    MINUTES_EXPORTED = "meeting.minutes_exported"
    AUDIT_EXPORTED = "audit.exported"
    KEYS_CHANGED = "crypto.keys.changed"
