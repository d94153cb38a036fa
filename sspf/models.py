"""Imports every domain's models so that the metadata (and so Alembic) sees every table."""

from sspf.audit.models import AuditChainHead, AuditEvent, AuditPending, AuditSeal
from sspf.auth.models import MfaCredential, RecoveryCode, User, UserSession
from sspf.cases.models import Case, CaseCounter, EmergencyAccess, ProtectedAccess, Signal, Triage, Youth
from sspf.consent.models import Consent, ConsentScope, Disclosure
from sspf.contacts.models import Contact
from sspf.meetings.models import AgendaItem, Attendance, Meeting, MeetingEntry, MeetingSeries
from sspf.org.models import Agency, District
from sspf.plans.models import Action, Goal, Plan, PlanChange

__all__ = [
    "Action", "Agency", "AgendaItem", "Attendance", "AuditChainHead", "AuditEvent", "AuditPending", "AuditSeal",
    "Case", "CaseCounter", "Consent", "ConsentScope", "Contact", "Disclosure", "District", "EmergencyAccess", "Goal",
    "Meeting", "MeetingEntry", "MeetingSeries", "MfaCredential", "Plan", "PlanChange", "ProtectedAccess",
    "RecoveryCode", "Signal", "Triage", "User", "UserSession", "Youth",
]
