"""The case access rule, pure: facts in, a decision out. No database, no request.

| who | sees |
|---|---|
| a role without case access, or a non-authority agency | nothing |
| the district's coordinator | the whole case |
| the agency that registered the case (same district) | the whole case |
| another agency in the district | what an active consent (until closure) or disclosure covers for it |
| a coordinator with emergency access (any district) | the whole case, until it expires; flagged |
| anyone else | nothing: the case does not exist for them (404) |

Contacts: an agency always sees its own; another agency sees a contact only if it is marked for
every consented agency and its category is one the viewer may see. A protected identity is
masked for everyone but the users named for it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sspf.auth.permissions import Permission, Role, role_has

BASIC = "basic"


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID
    role: Role
    agency_id: int
    agency_is_authority: bool
    district_ids: frozenset[int]

    @classmethod
    def of(cls, user) -> Actor:
        return cls(user_id=user.id, role=Role(user.role), agency_id=user.agency_id,
                   agency_is_authority=user.agency.is_authority, district_ids=user.district_ids)

    @property
    def reads_cases(self) -> bool:
        return self.agency_is_authority and role_has(self.role, Permission.VIEW_CASES)

    @property
    def is_coordinator(self) -> bool:
        return self.role == Role.COORDINATOR


@dataclass(frozen=True)
class Grant:
    """An active consent scope or disclosure: ``agency_id`` may see ``categories``."""

    agency_id: int
    categories: frozenset[str]


@dataclass(frozen=True)
class CaseFacts:
    district_id: int
    registering_agency_id: int
    protected_identity: bool = False
    guardian_protected: bool = False
    #: Active grants only (consent valid today, neither withdrawn nor replaced by a later one, and the case not
    #: closed; disclosure not expired).
    grants: tuple[Grant, ...] = ()
    #: When the actor's emergency access to this case ends, if they have one.
    emergency_until: datetime | None = None
    #: The actor is named to see this youth's protected identity.
    named_for_protected: bool = False


@dataclass(frozen=True)
class CaseAccess:
    visible: bool = False
    categories: frozenset[str] = field(default_factory=frozenset)
    #: Why: owner, coordinator, consent (incl. disclosure) or emergency.
    via: str = ""
    identity_visible: bool = False
    guardians_visible: bool = False
    #: The access must be flagged for log review (protected identity, emergency access).
    flagged: bool = False
    #: When emergency access ends, if that is the access (``via == "emergency"``): the page says so.
    emergency_until: datetime | None = None

    @property
    def full(self) -> bool:
        return self.via in {"owner", "coordinator", "emergency"}

    def sees(self, category: str) -> bool:
        return category in self.categories


NONE = CaseAccess()


def case_access(actor: Actor, facts: CaseFacts, *, now: datetime, all_categories: Iterable[str]) -> CaseAccess:
    """Decide what ``actor`` may see of one case."""
    if not actor.reads_cases:
        return NONE
    everything = frozenset(all_categories) | {BASIC}
    in_district = facts.district_id in actor.district_ids
    via, categories = "", frozenset()
    if in_district and actor.is_coordinator:
        via, categories = "coordinator", everything
    elif in_district and facts.registering_agency_id == actor.agency_id:
        via, categories = "owner", everything
    elif in_district:
        granted = frozenset().union(*(g.categories for g in facts.grants if g.agency_id == actor.agency_id))
        if granted:
            via, categories = "consent", (granted & everything) | {BASIC}
    emergency = actor.is_coordinator and facts.emergency_until is not None and facts.emergency_until > now
    if not via and emergency:
        via, categories = "emergency", everything
    if not via:
        return NONE
    return CaseAccess(
        visible=True, categories=categories, via=via,
        identity_visible=not facts.protected_identity or facts.named_for_protected,
        guardians_visible=not (facts.protected_identity or facts.guardian_protected) or facts.named_for_protected,
        flagged=facts.protected_identity or facts.guardian_protected or via == "emergency",
        emergency_until=facts.emergency_until if via == "emergency" else None,
    )


def contact_visible(actor: Actor, access: CaseAccess, *, agency_id: int, category: str, visibility: str) -> bool:
    if not access.visible:
        return False
    if agency_id == actor.agency_id:
        return True
    return visibility == "consented" and access.sees(category)


def can_coordinate(actor: Actor, access: CaseAccess) -> bool:
    """Triage, consent, closure and protection: the district's coordinator (not via emergency access)."""
    return access.via == "coordinator"


def can_identify(actor: Actor, access: CaseAccess) -> bool:
    """The actor may be told that a personnummer belongs to this case (a search hit, a signal that joins it).

    Only where they may see the identity too: naming the case to anyone else would link a protected youth's
    number to it, or tell someone outside the district that the youth is an SSPF case, and where.
    """
    return access.visible and access.identity_visible


def can_log_contact(actor: Actor, access: CaseAccess) -> bool:
    return access.visible and access.via != "emergency"


def can_disclose(actor: Actor, access: CaseAccess) -> bool:
    """A disclosure goes out from the actor's own agency, which must itself hold the case."""
    return access.via in {"owner", "coordinator", "consent"}
