"""Writes about districts and agencies: flush, audit, never commit."""

from __future__ import annotations

from sspf.audit import AuditAction, record
from sspf.extensions import db
from sspf.org.models import Agency, AgencyKind, District


def district_create(*, actor, name: str, code: str) -> District:
    district = District(name=name.strip(), code=code.strip().upper())
    db.session.add(district)
    db.session.flush()
    record(AuditAction.DISTRICT_CREATED, actor=actor, target_type="district", target_id=district.id,
           fields=["name", "code"], detail={"code": district.code})
    return district


def district_update(*, actor, district: District, name: str, code: str, active: bool) -> list[str]:
    changed = []
    for field, value in (("name", name.strip()), ("code", code.strip().upper()), ("active", active)):
        if getattr(district, field) != value:
            setattr(district, field, value)
            changed.append(field)
    if changed:
        db.session.flush()
        record(AuditAction.DISTRICT_UPDATED, actor=actor, target_type="district", target_id=district.id,
               fields=changed)
    return changed


def agency_create(*, name: str, kind: AgencyKind, is_authority: bool) -> Agency:
    agency = Agency(name=name.strip(), kind=AgencyKind(kind), is_authority=is_authority)
    db.session.add(agency)
    db.session.flush()
    return agency
