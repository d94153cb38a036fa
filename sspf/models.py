"""Imports every domain's models so that the metadata (and so Alembic) sees every table."""

from sspf.audit.models import AuditChainHead, AuditEvent, AuditPending, AuditSeal
from sspf.auth.models import MfaCredential, RecoveryCode, User, UserSession
from sspf.org.models import Agency, District

__all__ = [
    "Agency", "AuditChainHead", "AuditEvent", "AuditPending", "AuditSeal", "District", "MfaCredential",
    "RecoveryCode", "User", "UserSession",
]
