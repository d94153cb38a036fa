"""Database privileges for the application's role on PostgreSQL.

The app role may read and write every table, except the audit tables, where it may only INSERT
and SELECT: even a compromised app server cannot rewrite history. Migrations run as a separate
owner role. ``audit_chain_head`` keeps UPDATE: it is the sealers' lock, and tampering with it is
caught by the chain itself.
"""

from __future__ import annotations

import re

APPEND_ONLY_TABLES = ("audit_events", "audit_seals")
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_statements(role: str, *, schema: str = "public") -> list[str]:
    """SQL that gives ``role`` what the app needs and no more; run it as the schema's owner after each migration."""
    if not _ROLE.fullmatch(role) or not _ROLE.fullmatch(schema):
        raise ValueError("role and schema must be plain lower-case SQL identifiers")
    append_only = ", ".join(f"{schema}.{t}" for t in APPEND_ONLY_TABLES)
    return [
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {append_only} FROM {role}",
    ]
