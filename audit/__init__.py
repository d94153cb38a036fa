"""Independent verifier of sspf audit exports, for an outside auditor.

It needs only Python and ``cryptography`` and imports nothing from ``sspf``: an auditor must be
able to check the log without running, or trusting, the application that wrote it. For that
reason the few lines that define the format (canonical event bytes, the MAC chain, checkpoint
payloads, key files) are duplicated in ``audit.format`` rather than imported from
``sspf.audit.chain``; ``tests/audit_verifier`` asserts that the two definitions agree.

Usage::

    python -m audit verify EXPORT --checkpoints DIR --key-file KEY --public-key PUB
"""

from audit.findings import Finding, Kind
from audit.format import InputError
from audit.verify import Report, verify_export

__all__ = ["Finding", "InputError", "Kind", "Report", "verify_export"]
