"""A new case gets a youth record of its own; protection carries over but another district cannot undo it.

The attacks: a field worker in any district types the personnummer of a youth whose earlier case
is closed into a signal, and reads the name, address and guardians that case's agencies recorded
on their own new case; a coordinator of another district opens the protection form of their new
case about a protected youth and, by saving, unmasks the youth and strikes the names given there.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sspf.cases.models import Case, ProtectedAccess, Youth
from sspf.cases.services import TransitionError, set_protection
from sspf.extensions import db
from tests import factories
from tests.case_factories import Cases, youth_number

ADDRESS, GUARDIAN = "Hemlighetsgatan 9", "Pappa Hemlig"


@pytest.fixture
def world(org) -> Cases:
    return Cases(org)


def _closed_case_with_details(world: Cases, number) -> Case:
    case = world.open_case("school_fis", "FIS", number=number)
    case.youth.address, case.youth.guardian1_name = ADDRESS, GUARDIAN
    world.close(case, "moved")
    return case


def test_a_signal_after_a_closed_case_starts_a_youth_record_of_its_own(app, client, world, session):
    number = youth_number(age=15, today=world.today)
    old = _closed_case_with_details(world, number)
    session.commit()
    factories.login(client, world.user("police_orm").username)
    response = factories.post_form(client, "/cases/new", data={
        "personnummer": number.canonical, "name": "Okänd Person", "raised_on": world.today.isoformat(),
        "categories": ["truancy"], "district_id": str(world.org.districts["ORM"].id)})
    assert response.status_code == 302
    new = session.scalars(select(Case).where(Case.id != old.id, Case.youth_id != old.youth_id)).one()
    page = client.get(f"/cases/{new.id}").get_data(as_text=True)
    assert "Okänd Person" in page  # what the registrant typed, not the stored name
    for recorded_elsewhere in (old.youth.name, ADDRESS, GUARDIAN):
        assert recorded_elsewhere not in page
    assert session.get(Youth, old.youth_id).address == ADDRESS  # the closed case keeps its record
    assert session.scalar(select(func.count()).select_from(Youth)) == 2


def test_an_open_case_is_still_joined_not_duplicated(world, session):
    number = youth_number(age=15, today=world.today)
    first = world.open_case("field_worker", "ORM", number=number)
    from sspf.cases.services import SignalInput, register_signal

    case, created = register_signal(actor=world.user("police_orm"), personnummer=number, name="Annat Namn",
                                    district=world.org.districts["ORM"],
                                    signal=SignalInput(raised_on=world.today, categories=("truancy",), note=None,
                                                       report_made=False, report_made_on=None, report_made_by=None))
    assert (case.id, created) == (first.id, False)
    assert session.scalar(select(func.count()).select_from(Youth)) == 1


def test_protection_carries_over_named_for_the_registrant_and_the_districts_coordinators(world, session):
    number = youth_number(age=15, today=world.today)
    old = world.open_case("field_worker", "ORM", number=number)
    world.protect(old, named=["soc_orm"])
    world.close(old, "moved")
    new = world.signal("school_fis", "FIS", number=number)
    assert new.youth_id != old.youth_id and new.youth.protected_identity
    named = set(session.scalars(select(ProtectedAccess.user_id).where(ProtectedAccess.youth_id == new.youth_id)))
    # Fisksätra's coordinators of authorities (not the club's, which reads no cases), and nobody of Orminge.
    assert named == {world.user(u).id for u in ("school_fis", "coordinator_fis", "coordinator_both", "coordinator_soc")}
    old_named = set(session.scalars(select(ProtectedAccess.user_id).where(ProtectedAccess.youth_id == old.youth_id)))
    assert world.user("soc_orm").id in old_named


def _legacy_shared_youth(world: Cases, session) -> tuple[Case, Case]:
    """Two cases in two districts on one youth record, as records were kept before each case had its own."""
    orm = world.open_case("field_worker", "ORM")
    world.protect(orm, named=["soc_orm"])
    world.close(orm, "moved")
    fis = world.signal("school_fis", "FIS")
    fis.youth_id = orm.youth_id
    session.flush()
    session.expire(fis)
    return orm, fis


def test_a_coordinator_not_named_cannot_unmask_or_strike_names(world, session):
    orm, fis = _legacy_shared_youth(world, session)
    before = set(session.scalars(select(ProtectedAccess.user_id).where(ProtectedAccess.youth_id == orm.youth_id)))
    with pytest.raises(TransitionError):
        set_protection(actor=world.user("coordinator_fis"), case=fis, protected_identity=False,
                       guardian_protected=False, named_users=[], offered=[world.user("school_fis")])
    db.session.expire_all()
    assert session.get(Youth, orm.youth_id).protected_identity
    assert set(session.scalars(select(ProtectedAccess.user_id).where(
        ProtectedAccess.youth_id == orm.youth_id))) == before


def test_a_save_keeps_the_names_the_form_did_not_offer(world, session):
    orm, fis = _legacy_shared_youth(world, session)
    # A coordinator named for the youth may change it; the Orminge names it could not choose from stay.
    world.protect(orm, named=["soc_orm", "coordinator_fis"])
    set_protection(actor=world.user("coordinator_fis"), case=fis, protected_identity=True, guardian_protected=True,
                   named_users=[], offered=[world.user("school_fis"), world.user("soc_fis")])
    named = set(session.scalars(select(ProtectedAccess.user_id).where(ProtectedAccess.youth_id == orm.youth_id)))
    assert {world.user("soc_orm").id, world.user("coordinator_fis").id} <= named


def test_a_coordinator_not_named_cannot_lift_a_protection_in_their_own_district(world, session):
    case = world.open_case()
    world.protect(case, named=["soc_orm"])  # marked by Orminge's coordinator, who is named
    with pytest.raises(TransitionError):
        set_protection(actor=world.user("coordinator_both"), case=case, protected_identity=False,
                       guardian_protected=False, named_users=[], offered=[])
    db.session.expire_all()
    assert session.get(Youth, case.youth_id).protected_identity
