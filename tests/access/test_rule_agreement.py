"""The access rule twice over: ``visible_cases`` (SQL) and ``case_access`` (pure) must agree, with an oracle.

One grid: every role (including a non-authority club's members), every agency, districts ORM, FIS,
both and none, against cases that differ in district, registering agency, consent state (none,
active for the viewer's agency, active for another agency only, expired, not yet valid, withdrawn,
replaced by a later and narrower one),
disclosures (active, expired), emergency access (active, expired, held by a non-coordinator) and
protected identity. For each pair the SQL rule, the pure rule and a small oracle written here from
the table in ``sspf/access/rules.py`` must say the same; the grid is judged at three instants, so
that emergency grants run out and consents start and end as time moves.

The oracle works from what this module *asked for* (the ``Spec`` and the actor table), not from
the database, so a row the services silently dropped or changed shows up as a disagreement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from sspf.access.rules import NONE
from sspf.access.scoping import sharing_agencies
from sspf.auth.permissions import Role
from sspf.catalogue import catalogue
from sspf.consent.models import Consent
from sspf.extensions import db
from tests.case_factories import DISTRICT_COORDINATOR, STAFF, Cases, rule_views

STOCKHOLM = ZoneInfo("Europe/Stockholm")

#: Every actor of the grid: key -> (role, agency key, districts). make_org()'s users, then STAFF.
ACTORS: dict[str, tuple[Role, str, tuple[str, ...]]] = {
    "field_worker": (Role.FIELD_WORKER, "school", ("ORM",)),
    "coordinator": (Role.COORDINATOR, "coord", ("ORM",)),
    "working_group": (Role.WORKING_GROUP, "club", ("ORM",)),
    "analyst": (Role.ANALYST, "coord", ("ORM",)),
    "log_reviewer": (Role.LOG_REVIEWER, "coord", ()),
    "admin": (Role.ADMIN, "coord", ()),
    **STAFF,
}
AUTHORITY = {"school": True, "soc": True, "police": True, "leisure": True, "coord": True, "club": False}
#: From the README table: only these roles read cases at all.
CASE_ROLES = {Role.FIELD_WORKER, Role.COORDINATOR}
#: Who registers a case for an agency in a district (register_signal takes the agency from the actor).
REGISTRAR = {
    ("school", "ORM"): "field_worker", ("school", "FIS"): "school_fis",
    ("soc", "ORM"): "soc_orm", ("soc", "FIS"): "soc_fis",
    ("police", "ORM"): "police_both", ("police", "FIS"): "police_both",
    ("leisure", "ORM"): "leisure_orm", ("leisure", "FIS"): "leisure_orm",
    ("coord", "ORM"): "coordinator", ("coord", "FIS"): "coordinator_fis",
}
COORDINATORS = [key for key, (role, _a, _d) in ACTORS.items() if role == Role.COORDINATOR]
FAR = date(1900, 1, 1)


@dataclass
class Grant:
    agency: str
    categories: frozenset[str]
    start: date
    until: date
    withdrawn: bool = False
    #: A later consent was recorded for the case: the latest governs, so this one shares nothing.
    replaced: bool = False
    #: False for a disclosure: it outlives the case's closure, a consent does not.
    by_consent: bool = True


@dataclass
class Built:
    """What a case was built to be: the oracle's only input about it."""

    name: str
    district: str
    registrar_agency: str
    case: object = None
    grants: list[Grant] = field(default_factory=list)
    emergencies: dict[str, datetime] = field(default_factory=dict)
    protected: bool = False
    guardian_protected: bool = False
    named: set[str] = field(default_factory=set)
    closed: bool = False


@dataclass(frozen=True)
class Expected:
    via: str
    categories: frozenset[str]
    identity_visible: bool
    guardians_visible: bool
    flagged: bool


def oracle(actor: str, built: Built, now: datetime, everything: frozenset[str]) -> Expected | None:
    role, agency, districts = ACTORS[actor]
    if role not in CASE_ROLES or not AUTHORITY[agency]:
        return None
    today = now.astimezone(STOCKHOLM).date()
    in_district = built.district in districts
    via, categories = None, frozenset()
    if in_district and role == Role.COORDINATOR:
        via, categories = "coordinator", everything
    elif in_district and built.registrar_agency == agency:
        via, categories = "owner", everything
    elif in_district:
        granted = frozenset().union(*(g.categories for g in built.grants if g.agency == agency and not g.withdrawn
                                      and not g.replaced and g.start <= today <= g.until
                                      and not (g.by_consent and built.closed)))
        if granted:
            via, categories = "consent", (granted & everything) | {"basic"}
    if via is None and role == Role.COORDINATOR and built.emergencies.get(actor, now) > now:
        via, categories = "emergency", everything
    if via is None:
        return None
    named = actor in built.named
    return Expected(via=via, categories=categories, identity_visible=not built.protected or named,
                    guardians_visible=not (built.protected or built.guardian_protected) or named,
                    flagged=built.protected or built.guardian_protected or via == "emergency")


CONSENT_SCOPE = {"police": {"police", "school"}, "soc": {"social_services"}, "coord": {"basic"}}
EMERGENCY_HOLDERS = ("coordinator", "coordinator_fis", "coordinator_none", "coordinator_soc", "club_coordinator",
                     "police_both", "school_none")


def build_grid(world: Cases) -> list[Built]:
    today = world.today
    grid: list[Built] = []

    def new(name: str, district: str, agency: str) -> Built:
        built = Built(f"{district}:{name}", district, agency)
        built.case = world.open_case(REGISTRAR[agency, district], district)
        grid.append(built)
        return built

    def scope(built: Built, scope: dict[str, set[str]], start: date, until: date, withdrawn: bool = False,
              replaced: bool = False) -> None:
        built.grants += [Grant(a, frozenset(c), start, until, withdrawn, replaced) for a, c in scope.items()]

    for d in ("ORM", "FIS"):
        for agency in ("school", "soc", "police", "leisure", "coord"):
            new(f"plain/{agency}", d, agency)

        b = new("consent/active", d, "school")
        c = world.consent(b.case, CONSENT_SCOPE)
        scope(b, CONSENT_SCOPE, c.signed_on, c.valid_until)

        b = new("consent/expired", d, "school")
        c = world.insert_consent(b.case, CONSENT_SCOPE, signed_on=today - timedelta(days=200),
                                 valid_until=today - timedelta(days=1))
        scope(b, CONSENT_SCOPE, c.signed_on, c.valid_until)

        b = new("consent/not-yet-valid", d, "school")
        c = world.insert_consent(b.case, CONSENT_SCOPE, signed_on=today + timedelta(days=3),
                                 valid_until=today + timedelta(days=100))
        scope(b, CONSENT_SCOPE, c.signed_on, c.valid_until)

        b = new("consent/withdrawn", d, "school")
        c = world.consent(b.case, CONSENT_SCOPE)
        world.withdraw(b.case, c)
        scope(b, CONSENT_SCOPE, c.signed_on, c.valid_until, withdrawn=True)

        # Consent A covers police and school per CONSENT_SCOPE; B, recorded after it, only soc: B alone governs.
        b = new("consent/replaced", d, "school")
        a = world.consent(b.case, CONSENT_SCOPE)
        narrower = {"soc": CONSENT_SCOPE["soc"]}
        c = world.consent(b.case, narrower, valid_until=today + timedelta(days=60))
        scope(b, CONSENT_SCOPE, a.signed_on, a.valid_until, replaced=True)
        scope(b, narrower, c.signed_on, c.valid_until)

        b = new("consent/other-agency-only", d, "soc")
        only = {"leisure": {"leisure", "police"}}
        c = world.consent(b.case, only)
        scope(b, only, c.signed_on, c.valid_until)

        b = new("consent/uncatalogued-category", d, "soc")
        odd = {"school": {"no_such_category"}}
        c = world.insert_consent(b.case, odd, signed_on=today, valid_until=today + timedelta(days=30))
        scope(b, odd, c.signed_on, c.valid_until)

        b = new("consent/names-the-club", d, "school")
        club = {"club": {"basic", "police"}, "police": {"basic"}}
        c = world.insert_consent(b.case, club, signed_on=today, valid_until=today + timedelta(days=30))
        scope(b, club, c.signed_on, c.valid_until)

        b = new("disclosure/active", d, "soc")
        registrar = REGISTRAR["soc", d]
        x = world.disclose(b.case, by=registrar, to="police", categories={"social_services"}, basis="osl_10_18a")
        y = world.disclose(b.case, by=registrar, to="school", categories={"basic", "social_services"})
        b.grants += [Grant("police", frozenset(x.categories), FAR, x.valid_until, by_consent=False),
                     Grant("school", frozenset(y.categories), FAR, y.valid_until, by_consent=False)]

        b = new("disclosure/expired", d, "soc")
        for to in ("police", "school"):
            x = world.insert_disclosure(b.case, by=registrar, to=to, categories={"social_services"},
                                        valid_until=today - timedelta(days=1))
            b.grants.append(Grant(to, frozenset(x.categories), FAR, x.valid_until, by_consent=False))

        b = new("disclosure/after-withdrawal", d, "school")
        c = world.consent(b.case, {"police": {"police"}})
        world.withdraw(b.case, c)
        scope(b, {"police": {"police"}}, c.signed_on, c.valid_until, withdrawn=True)
        x = world.disclose(b.case, by=REGISTRAR["school", d], to="police", categories={"school"}, basis="osl_10_27")
        b.grants.append(Grant("police", frozenset(x.categories), FAR, x.valid_until, by_consent=False))

        b = new("closed/consent", d, "school")
        c = world.consent(b.case, CONSENT_SCOPE)
        scope(b, CONSENT_SCOPE, c.signed_on, c.valid_until)
        world.close(b.case)
        b.closed = True

        b = new("closed/disclosure-and-consent", d, "soc")
        c = world.consent(b.case, CONSENT_SCOPE)
        scope(b, CONSENT_SCOPE, c.signed_on, c.valid_until)
        x = world.disclose(b.case, by=registrar, to="police", categories={"social_services"}, basis="osl_10_18a")
        b.grants.append(Grant("police", frozenset(x.categories), FAR, x.valid_until, by_consent=False))
        world.close(b.case)
        b.closed = True

        b = new("emergency/active", d, "school")
        for who in EMERGENCY_HOLDERS:
            b.emergencies[who] = world.emergency(b.case, who).expires_at

        b = new("emergency/expired", d, "school")
        for who in EMERGENCY_HOLDERS:
            b.emergencies[who] = world.insert_emergency(b.case, who, expires_at=world.now - timedelta(minutes=1)
                                                        ).expires_at

        b = new("protected/identity", d, "school")
        c = world.consent(b.case, {"police": {"police"}})
        scope(b, {"police": {"police"}}, c.signed_on, c.valid_until)
        b.emergencies["coordinator_none"] = world.emergency(b.case, "coordinator_none").expires_at
        b.emergencies["coordinator_soc"] = world.emergency(b.case, "coordinator_soc").expires_at
        world.protect(b.case, named=["police_orm", "coordinator_none"])
        b.protected = True
        b.named = {"police_orm", "coordinator_none", DISTRICT_COORDINATOR[d]}  # the marking coordinator too

        b = new("protected/guardian", d, "police")
        c = world.consent(b.case, {"soc": {"social_services"}})
        scope(b, {"soc": {"social_services"}}, c.signed_on, c.valid_until)
        world.protect(b.case, identity=False, guardians=True, named=["soc_fis"])
        b.guardian_protected = True
        b.named = {"soc_fis", DISTRICT_COORDINATOR[d]}
    return grid


def describe(access) -> Expected | None:
    if not access.visible:
        return None
    return Expected(via=access.via, categories=access.categories, identity_visible=access.identity_visible,
                    guardians_visible=access.guardians_visible, flagged=access.flagged)


@pytest.fixture
def world(org) -> Cases:
    return Cases(org)


def test_actor_table_matches_the_users(world):
    for key, (role, agency, districts) in ACTORS.items():
        user = world.user(key)
        assert (user.role, user.agency_id, user.district_ids) == (
            role, world.agency_id(agency), frozenset(world.org.districts[d].id for d in districts)), key
        assert user.agency.is_authority == AUTHORITY[agency], key


def test_sql_rule_pure_rule_and_oracle_agree_on_the_grid(world):
    grid = build_grid(world)
    everything = frozenset(catalogue().codes("information_categories")) | {"basic"}
    hours = catalogue().emergency_access_hours
    # Later instants only for the cases whose facts can change with time, and only for the actors whose role and
    # agency let them read cases at all (the others were refused at "now" on every case): it keeps the file fast.
    instants = (
        ("now", world.now, lambda built: True),
        ("after emergency", world.now + timedelta(hours=hours, minutes=1), lambda built: bool(built.emergencies)),
        ("in 40 days", world.now + timedelta(days=40), lambda built: bool(built.grants)),
    )
    problems: list[str] = []
    vias: dict[str, set[str | None]] = {label: set() for label, _now, _which in instants}
    time_blind = {a for a, (role, agency, _d) in ACTORS.items() if role not in CASE_ROLES or not AUTHORITY[agency]}
    for label, now, which in instants:
        for actor in [a for a in ACTORS if label == "now" or a not in time_blind]:
            user = world.user(actor)
            for built in filter(which, grid):
                sql, pure = rule_views(user, built.case, now=now)
                want = oracle(actor, built, now, everything)
                got = describe(pure)
                vias[label].add(got and got.via)
                where = f"[{label}] {actor} on {built.name}"
                if sql != pure.visible:
                    problems.append(f"{where}: SQL says {sql}, pure rule says {pure.visible}")
                if got != want:
                    problems.append(f"{where}: pure rule gives {got}, oracle expects {want}")
    assert not problems, f"{len(problems)} disagreements:\n" + "\n".join(problems[:40])
    # The grid reaches every branch of the table at "now", and emergency access is gone four hours on.
    assert vias["now"] == {None, "owner", "coordinator", "consent", "emergency"}
    assert "emergency" not in vias["after emergency"]


def test_the_future_consent_starts_and_the_active_one_ends(world):
    """Spot checks of the grid's time behaviour, readable on their own."""
    grid = {b.name: b for b in build_grid(world)}
    police = world.user("police_orm")
    later = world.now + timedelta(days=40)
    assert rule_views(police, grid["ORM:consent/active"].case, now=world.now)[0]
    assert not rule_views(police, grid["ORM:consent/active"].case, now=later)[0]
    assert not rule_views(police, grid["ORM:consent/not-yet-valid"].case, now=world.now)[0]
    assert rule_views(police, grid["ORM:consent/not-yet-valid"].case, now=later)[0]
    assert rule_views(police, grid["ORM:disclosure/after-withdrawal"].case, now=world.now)[1].categories == {
        "school", "basic"}


def test_a_later_consent_replaces_the_earlier_one_at_once(world):
    """Spot check of "consent/replaced": A (police, soc, coord) then B (soc only); only B shares, now and later."""
    case = {b.name: b for b in build_grid(world)}["ORM:consent/replaced"].case
    police, soc = world.user("police_orm"), world.user("soc_orm")
    for now in (world.now, world.now + timedelta(days=40)):  # A ran to day 30, B to day 60
        assert rule_views(police, case, now=now) == (False, NONE), now
        sql, pure = rule_views(soc, case, now=now)
        assert sql and pure.via == "consent" and pure.categories == {"social_services", "basic"}, now
    first, second = sorted(db.session.scalars(select(Consent).where(Consent.case_id == case.id)),
                           key=lambda c: c.recorded_at)
    assert (first.replaced_by_id, second.replaced_at) == (second.id, None)
    assert first.replaced_at is not None and not first.is_active(world.today) and second.is_active(world.today)
    # Plan actions can be given only to agencies the case is shared with: no longer police.
    sharing = sharing_agencies(case, now=world.now)
    assert world.agency_id("soc") in sharing and world.agency_id("police") not in sharing


def test_closure_ends_the_consent_but_not_a_disclosure(world):
    grid = {b.name: b for b in build_grid(world)}
    police, school = world.user("police_orm"), world.user("field_worker")
    assert not rule_views(police, grid["ORM:closed/consent"].case, now=world.now)[0]
    assert rule_views(school, grid["ORM:closed/consent"].case, now=world.now)[1].via == "owner"
    sql, pure = rule_views(police, grid["ORM:closed/disclosure-and-consent"].case, now=world.now)
    assert sql and pure.categories == {"social_services", "basic"}  # not the consent's police and school


def test_a_disclosure_without_categories_gives_nothing_in_both_rules(world):
    case = world.open_case("soc_orm", "ORM")
    world.insert_disclosure(case, by="soc_orm", to="police", categories=[],
                            valid_until=world.today + timedelta(days=5))
    sql, pure = rule_views(world.user("police_orm"), case, now=world.now)
    assert sql == pure.visible
