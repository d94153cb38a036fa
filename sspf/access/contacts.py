"""The contact visibility rule as SQL (the pure form is ``rules.contact_visible``)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_

from sspf.access.rules import Actor, CaseAccess
from sspf.contacts.models import Contact, Visibility


def visible_contacts(actor: Actor, access: CaseAccess) -> ColumnElement[bool]:
    if not access.visible:
        return false()
    return or_(
        Contact.agency_id == actor.agency_id,
        and_(Contact.visibility == Visibility.CONSENTED, Contact.category.in_(sorted(access.categories))),
    )
