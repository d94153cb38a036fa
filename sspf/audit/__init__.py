"""The audit trail: every read and write of personal data, every denial, login and admin change.

``record()`` writes an event in the caller's transaction, so an action and its event commit or
fail together. Events are sealed into a gap-free HMAC chain after commit (``sealing``), and the
chain is checked by the independent verifier in the top-level ``audit`` package.
"""

from sspf.audit.actions import AuditAction, Outcome
from sspf.audit.service import RowWithEvent, record

__all__ = ["AuditAction", "Outcome", "RowWithEvent", "record"]
