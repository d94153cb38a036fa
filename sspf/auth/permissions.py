"""Roles and permissions: the one place that says which role may use which part of sspf.

Views gate on a :class:`Permission` with :func:`require`; templates ask :func:`can`. Nobody
tests a role directly, so a role's reach changes here and only here. Object-level rules (which
case, which district, which consent) live in ``sspf.access``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user


class Role(enum.StrEnum):
    FIELD_WORKER = "field_worker"
    COORDINATOR = "coordinator"
    WORKING_GROUP = "working_group"
    ANALYST = "analyst"
    LOG_REVIEWER = "log_reviewer"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.FIELD_WORKER: _l("Handläggare/fältarbetare"),
    Role.COORDINATOR: _l("Samordnare"),
    Role.WORKING_GROUP: _l("Lokal arbetsgrupp"),
    Role.ANALYST: _l("Analytiker"),
    Role.LOG_REVIEWER: _l("Loggranskare"),
    Role.ADMIN: _l("Administratör"),
}


class Permission(enum.StrEnum):
    VIEW_CASES = "view_cases"
    COORDINATE = "coordinate"
    EMERGENCY_ACCESS = "emergency_access"
    VIEW_PLACES = "view_places"
    VIEW_STATISTICS = "view_statistics"
    REVIEW_AUDIT_LOG = "review_audit_log"
    MANAGE_USERS = "manage_users"
    MANAGE_ORGANISATION = "manage_organisation"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.FIELD_WORKER: frozenset({Permission.VIEW_CASES, Permission.VIEW_PLACES}),
    Role.COORDINATOR: frozenset({
        Permission.VIEW_CASES, Permission.COORDINATE, Permission.EMERGENCY_ACCESS,
        Permission.VIEW_PLACES, Permission.VIEW_STATISTICS,
    }),
    Role.WORKING_GROUP: frozenset({Permission.VIEW_PLACES}),
    Role.ANALYST: frozenset({Permission.VIEW_STATISTICS}),
    Role.LOG_REVIEWER: frozenset({Permission.REVIEW_AUDIT_LOG}),
    Role.ADMIN: frozenset({Permission.MANAGE_USERS, Permission.MANAGE_ORGANISATION}),
}

#: Permissions whose holders must use a second factor when SSPF_REQUIRE_MFA is on: everything
#: that reads case data, and everything that can grant it or read who read it.
MFA_PERMISSIONS = frozenset({Permission.VIEW_CASES, Permission.MANAGE_USERS, Permission.REVIEW_AUDIT_LOG})


def role_has(role: Role | str, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS.get(Role(role), frozenset())


def role_needs_mfa(role: Role | str) -> bool:
    return bool(ROLE_PERMISSIONS.get(Role(role), frozenset()) & MFA_PERMISSIONS)


def template_can(user) -> Callable[[Permission | str], bool]:
    """``can`` for one page render: the user's permissions are looked up once, not per question.

    A page asks a dozen times; each question through ``current_user`` costs a context lookup and
    an enum conversion. An unknown permission name still raises, so a typo in a template fails.
    """
    granted = ROLE_PERMISSIONS.get(Role(user.role), frozenset()) if user.is_authenticated else frozenset()

    def can_here(permission: Permission | str) -> bool:
        if permission in granted:
            return True
        Permission(permission)  # raises ValueError for a name that is no permission
        return False

    return can_here


def require(permission: Permission) -> Callable:
    """Coarse gate for a view: 403 for a logged-in user without ``permission``.

    Login itself is enforced before this by the blueprint's ``before_request``.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not role_has(current_user.role, permission):
                from sspf.audit import AuditAction, Outcome, record

                record(AuditAction.ACCESS_DENIED, outcome=Outcome.DENIED, target_type="page",
                       target_id=request.endpoint, detail={"permission": str(permission)})
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_permission = permission  # type: ignore[attr-defined]
        return wrapped

    return decorator
