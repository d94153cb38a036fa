"""Reads of organisation data (not personal data: no audit events)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from sspf.extensions import db
from sspf.org.models import Agency, District


def all_districts(*, active_only: bool = False) -> Sequence[District]:
    stmt = select(District).order_by(District.name)
    if active_only:
        stmt = stmt.where(District.active.is_(True))
    return db.session.scalars(stmt).all()


def all_agencies(*, active_only: bool = False) -> Sequence[Agency]:
    stmt = select(Agency).order_by(Agency.name)
    if active_only:
        stmt = stmt.where(Agency.active.is_(True))
    return db.session.scalars(stmt).all()


def active_authorities() -> list[Agency]:
    """The agencies that may hold case data (public authorities), by name: consent scopes, attendance, owners."""
    return list(db.session.scalars(select(Agency).where(Agency.is_authority.is_(True), Agency.active.is_(True))
                                   .order_by(Agency.name)))


def districts_by_ids(ids: Sequence[int]) -> list[District]:
    if not ids:
        return []
    return list(db.session.scalars(select(District).where(District.id.in_(ids)).order_by(District.name)))
