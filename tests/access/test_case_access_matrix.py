"""What each viewer sees of a case: categories, withdrawal, expiry, authorities, emergency, protection, contacts.

Every check asks both forms of the rule (``visible_cases`` in SQL and ``case_access`` in Python)
through ``rule_views`` and demands they agree before it looks at what the pure rule says.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from sspf.access.contacts import visible_contacts
from sspf.access.rules import NONE, Actor, contact_visible
from sspf.catalogue import catalogue
from sspf.contacts.models import Contact, Visibility
from sspf.extensions import db
from tests.case_factories import Cases, rule_views

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.fixture
def world(org) -> Cases:
    return Cases(org)


def everything() -> frozenset[str]:
    return frozenset(catalogue().codes("information_categories")) | {"basic"}


def seen(world: Cases, who: str, case, *, now: datetime | None = None):
    """The pure access, after checking that the SQL rule says the same about visibility."""
    sql, pure = rule_views(world.user(who), case, now=now or world.now)
    assert sql == pure.visible, f"{who}: SQL says {sql}, pure rule says {pure.visible}"
    return pure


def test_owner_and_coordinator_see_the_whole_case(world):
    case = world.open_case("field_worker", "ORM")
    world.consent(case, {"police": {"police"}})
    owner, coordinator = seen(world, "field_worker", case), seen(world, "coordinator", case)
    assert (owner.via, owner.categories, owner.full) == ("owner", everything(), True)
    assert (coordinator.via, coordinator.categories, coordinator.full) == ("coordinator", everything(), True)
    assert not owner.flagged and not coordinator.flagged
    assert owner.identity_visible and owner.guardians_visible
    # A coordinator employed by an agency (here social services) is still the district's coordinator.
    fis = world.open_case("school_fis", "FIS")
    assert seen(world, "coordinator_soc", fis).via == "coordinator"
    assert seen(world, "coordinator_both", case).via == "coordinator"


def test_a_consented_agency_sees_exactly_its_scope_plus_basic(world):
    case = world.open_case("field_worker", "ORM")
    world.consent(case, {"police": {"police", "school"}, "soc": {"social_services"}, "leisure": {"basic"}})
    police = seen(world, "police_orm", case)
    assert (police.via, police.categories, police.full) == ("consent", frozenset({"police", "school", "basic"}), False)
    assert seen(world, "soc_orm", case).categories == {"social_services", "basic"}
    assert seen(world, "leisure_orm", case).categories == {"basic"}
    # The same agency outside the district, or without a district, sees nothing.
    assert not seen(world, "soc_fis", case).visible
    assert not seen(world, "school_none", case).visible
    # A disclosure adds its categories to the consent's.
    world.disclose(case, by="field_worker", to="soc", categories={"school"})
    assert seen(world, "soc_orm", case).categories == {"social_services", "school", "basic"}
    # A later consent replaces the earlier one (no adding up); a scope of another case adds nothing here.
    world.consent(case, {"police": {"leisure"}})
    other = world.open_case("field_worker", "ORM")
    world.consent(other, {"police": {"social_services"}})
    assert seen(world, "police_orm", case).categories == {"leisure", "basic"}
    assert seen(world, "soc_orm", case).categories == {"school", "basic"}  # the disclosure alone now
    assert not seen(world, "leisure_orm", case).visible


def test_withdrawal_takes_effect_at_once(world):
    case = world.open_case("field_worker", "ORM")
    withdrawn = world.consent(case, {"police": {"police"}, "soc": {"social_services"}})
    world.disclose(case, by="field_worker", to="soc", categories={"school"})
    assert seen(world, "police_orm", case).visible
    world.withdraw(case, withdrawn)
    assert withdrawn.withdrawn_at is not None and case.flagged_for_meeting
    # Same request, same instant, same session: gone for police, only the disclosure left for soc.
    assert seen(world, "police_orm", case) == NONE
    assert seen(world, "soc_orm", case).categories == {"school", "basic"}
    renewed = world.consent(case, {"police": {"school"}})
    assert seen(world, "police_orm", case).categories == {"school", "basic"}
    world.withdraw(case, renewed)
    assert seen(world, "police_orm", case) == NONE
    # The owner and the coordinator keep the case.
    assert seen(world, "field_worker", case).via == "owner"
    assert seen(world, "coordinator", case).via == "coordinator"


def test_an_expired_or_not_yet_valid_consent_gives_nothing(world):
    today = world.today
    expired = world.open_case("field_worker", "ORM")
    world.insert_consent(expired, {"police": {"police"}}, signed_on=today - timedelta(days=200),
                         valid_until=today - timedelta(days=1))
    future = world.open_case("field_worker", "ORM")
    world.insert_consent(future, {"police": {"police"}}, signed_on=today + timedelta(days=1),
                         valid_until=today + timedelta(days=100))
    # The service records a late-registered paper consent that has already run out; it grants nothing.
    late = world.open_case("field_worker", "ORM")
    world.consent(late, {"police": {"police"}}, signed_on=today - timedelta(days=100),
                  valid_until=today - timedelta(days=1))
    for case in (expired, future, late):
        assert seen(world, "police_orm", case) == NONE
    assert late.status == "triaged"  # not activated by a consent that is not in force


def test_consent_validity_is_judged_on_the_stockholm_date_inclusive(world):
    case = world.open_case("field_worker", "ORM")
    last_day = world.today + timedelta(days=5)
    world.insert_consent(case, {"police": {"police"}}, signed_on=last_day - timedelta(days=30), valid_until=last_day)
    late_evening = datetime.combine(last_day, time(23, 59, 59), STOCKHOLM)
    midnight = datetime.combine(last_day + timedelta(days=1), time(0, 0), STOCKHOLM)
    # Midnight in Stockholm is 22:00 or 23:00 UTC the day before: still "last_day" in UTC.
    assert midnight.astimezone(ZoneInfo("UTC")).date() == last_day
    assert seen(world, "police_orm", case, now=late_evening).visible
    assert seen(world, "police_orm", case, now=midnight) == NONE
    first_day = datetime.combine(last_day - timedelta(days=30), time(0, 0), STOCKHOLM)
    assert seen(world, "police_orm", case, now=first_day).visible
    assert seen(world, "police_orm", case, now=first_day - timedelta(seconds=1)) == NONE


def test_non_authorities_never_see_a_case_even_with_consent_rows_for_them(world):
    case = world.open_case("field_worker", "ORM")
    world.consent(case, {"police": {"police"}})
    # What the services refuse, inserted directly: consent and a disclosure naming the club.
    world.insert_consent(case, {"club": {"basic", "police", "leisure"}}, signed_on=world.today,
                         valid_until=world.today + timedelta(days=30))
    world.insert_disclosure(case, by="soc_orm", to="club", categories={"police"},
                            valid_until=world.today + timedelta(days=30))
    for who in ("working_group", "club_field_worker", "club_coordinator"):
        assert seen(world, who, case) == NONE
    # A club member with an emergency access row sees nothing either.
    world.emergency(case, "club_coordinator")
    assert seen(world, "club_coordinator", case) == NONE
    # Nor does a case the club "registered" (only by a direct write; a club cannot reach this).
    own = world.signal("club_field_worker", "ORM")
    for who in ("working_group", "club_field_worker", "club_coordinator"):
        assert seen(world, who, own) == NONE
    # The police category reaches the authority it was consented to.
    assert seen(world, "police_orm", case).sees("police")


def test_roles_without_case_access_see_nothing_in_their_own_district(world):
    case = world.open_case("field_worker", "ORM")
    world.consent(case, {"leisure": {"leisure"}, "coord": {"basic"}, "police": {"police"}})
    for who in ("analyst", "log_reviewer", "admin", "leisure_wg", "admin_police"):
        assert seen(world, who, case) == NONE


def test_emergency_access_is_flagged_full_and_expires(world):
    case = world.open_case("field_worker", "ORM")
    assert seen(world, "coordinator_fis", case) == NONE
    grant = world.emergency(case, "coordinator_fis")
    access = seen(world, "coordinator_fis", case)
    assert (access.via, access.categories, access.flagged, access.full) == ("emergency", everything(), True, True)
    assert seen(world, "coordinator_fis", case, now=grant.expires_at - timedelta(seconds=1)).via == "emergency"
    assert seen(world, "coordinator_fis", case, now=grant.expires_at) == NONE
    assert seen(world, "coordinator_fis", case, now=grant.expires_at + timedelta(minutes=1)) == NONE
    expected_hours = catalogue().emergency_access_hours
    assert timedelta(hours=expected_hours) - timedelta(minutes=1) < grant.expires_at - world.now
    assert grant.expires_at - world.now <= timedelta(hours=expected_hours, minutes=1)
    # It is personal: another out-of-district coordinator sees nothing.
    assert seen(world, "coordinator_none", case) == NONE
    # The district's own coordinator with an emergency grant still reads as coordinator, unflagged.
    world.emergency(case, "coordinator")
    assert (seen(world, "coordinator", case).via, seen(world, "coordinator", case).flagged) == ("coordinator", False)
    # Emergency access is a coordinator's: a field worker's grant row opens nothing.
    world.emergency(case, "school_fis")
    assert seen(world, "school_fis", case) == NONE


def test_protected_identity_is_visible_only_to_named_users(world):
    case = world.open_case("field_worker", "ORM")
    world.consent(case, {"police": {"police"}, "soc": {"social_services"}})
    world.emergency(case, "coordinator_fis")
    world.protect(case, named=["police_orm"])  # by the ORM coordinator, who is always named
    named = {"coordinator", "police_orm"}
    for who in ("coordinator", "police_orm", "field_worker", "soc_orm", "coordinator_fis"):
        access = seen(world, who, case)
        assert access.visible and access.flagged, who
        assert access.identity_visible == (who in named), who
        assert access.guardians_visible == (who in named), who
    # Un-naming takes effect at once; the marking coordinator stays named.
    world.protect(case, named=[])
    assert not seen(world, "police_orm", case).identity_visible
    assert seen(world, "coordinator", case).identity_visible
    # Only a guardian protected: the youth's identity is visible, the guardians are not.
    world.protect(case, identity=False, guardians=True, named=["soc_orm"])
    for who in ("field_worker", "police_orm", "soc_orm", "coordinator"):
        access = seen(world, who, case)
        assert access.identity_visible and access.flagged, who
        assert access.guardians_visible == (who in {"soc_orm", "coordinator"}), who
    # Protection off: nothing flagged for anyone.
    world.protect(case, identity=False, guardians=False)
    assert not seen(world, "field_worker", case).flagged


# --- contacts --------------------------------------------------------------------------------

CONTACT_AUTHORS = (
    # (author, visibility)
    ("field_worker", Visibility.OWN_AGENCY),  # school
    ("field_worker", Visibility.CONSENTED),
    ("police_orm", Visibility.OWN_AGENCY),
    ("police_orm", Visibility.CONSENTED),
    ("soc_orm", Visibility.CONSENTED),
    ("leisure_orm", Visibility.CONSENTED),
    ("leisure_orm", Visibility.OWN_AGENCY),
    ("coordinator", Visibility.CONSENTED),  # coordination: category basic
    ("coordinator", Visibility.OWN_AGENCY),
)

CONTACT_VIEWERS = ("field_worker", "coordinator", "police_orm", "soc_orm", "leisure_orm", "coordinator_fis",
                   "police_both", "school_fis")


def contact_oracle(viewer_agency: int, access, contact: Contact) -> bool:
    """The README: an agency sees its own; another sees a contact marked 'consented' in a category it may see."""
    if not access.visible:
        return False
    if contact.agency_id == viewer_agency:
        return True
    return contact.visibility == "consented" and contact.category in access.categories


def test_contacts_sql_and_pure_agree_on_own_agency_and_consented(world):
    case = world.open_case("field_worker", "ORM")
    world.consent(case, {"police": {"school", "police"}, "soc": {"basic"}, "leisure": {"leisure"}})
    world.emergency(case, "coordinator_fis")
    contacts = [world.contact(case, who, visibility=visibility) for who, visibility in CONTACT_AUTHORS]
    # A contact on another case never shows here.
    other = world.open_case("field_worker", "ORM")
    world.contact(other, "field_worker", visibility=Visibility.CONSENTED)
    assert {c.category for c in contacts} == {"school", "police", "social_services", "leisure", "basic"}

    expected_counts = {}
    for who in CONTACT_VIEWERS:
        user = world.user(who)
        access = seen(world, who, case)
        if not access.visible:
            continue
        actor = Actor.of(user)
        sql = set(db.session.scalars(select(Contact.id).where(Contact.case_id == case.id,
                                                              visible_contacts(actor, access))))
        pure = {c.id for c in contacts if contact_visible(actor, access, agency_id=c.agency_id, category=c.category,
                                                          visibility=c.visibility)}
        oracle = {c.id for c in contacts if contact_oracle(user.agency_id, access, c)}
        assert sql == pure == oracle, who
        expected_counts[who] = len(oracle)
    # school (owner): its 2 + the consented ones of police, soc, leisure and coord = 6. The coordinators
    # (district and emergency, both of the coordination agency): its 2 + the consented ones of school, police,
    # soc and leisure = 6; never another agency's own-agency contact. Police (school, police, basic): its 2 +
    # school's and coord's consented = 4. Soc (basic): its 1 + coord's = 2. Leisure (leisure, basic): its 2 +
    # coord's = 3. school_fis is outside the district and sees no case at all.
    assert expected_counts == {"field_worker": 6, "coordinator": 6, "police_orm": 4, "soc_orm": 2,
                               "leisure_orm": 3, "coordinator_fis": 6, "police_both": 4}


def test_contacts_sql_gives_nothing_without_case_access(world):
    case = world.open_case("field_worker", "ORM")
    consent = world.consent(case, {"police": {"police"}})
    world.contact(case, "police_orm", visibility=Visibility.OWN_AGENCY)
    world.withdraw(case, consent)
    access = seen(world, "police_orm", case)
    assert access == NONE
    actor = Actor.of(world.user("police_orm"))
    rows = db.session.scalars(select(Contact.id).where(Contact.case_id == case.id, visible_contacts(actor, access)))
    assert list(rows) == []
