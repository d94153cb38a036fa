"""The demo municipality, modelled on the seed documents (Nacka's districts and SSPF parties).

This is the one place demo data is generated; later capabilities (cases, plans, walks, budget
lines) extend :func:`seed` rather than writing a generator of their own.
"""

from __future__ import annotations

import os
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from sspf.auth import services as auth_services
from sspf.auth.models import User
from sspf.auth.permissions import Role
from sspf.extensions import db
from sspf.org import services as org_services
from sspf.org.models import Agency, AgencyKind, District

DISTRICTS = (("Orminge", "ORM"), ("Fisksätra", "FIS"), ("Boo", "BOO"), ("Saltsjöbaden", "SAL"))

#: (username prefix, agency name, kind, is_authority, role)
AGENCIES = (
    ("skola", "Skola", AgencyKind.SCHOOL, True, Role.FIELD_WORKER),
    ("soc", "Socialtjänsten", AgencyKind.SOCIAL_SERVICES, True, Role.FIELD_WORKER),
    ("polis", "Polisen", AgencyKind.POLICE, True, Role.FIELD_WORKER),
    ("fritid", "Fritid", AgencyKind.LEISURE, True, Role.FIELD_WORKER),
    ("samordnare", "Kommunens samordning", AgencyKind.COORDINATION, True, Role.COORDINATOR),
)
WORKING_GROUP_AGENCY = ("Boo IF (förening)", AgencyKind.OTHER, False)

DISPLAY = {"skola": "Skolkurator", "soc": "Socialsekreterare", "polis": "Kommunpolis", "fritid": "Fritidsledare",
           "samordnare": "SSPF-samordnare"}


class DemoAlreadyLoaded(Exception):
    """The database already has users; seeding again would duplicate them."""


@dataclass
class DemoResult:
    password: str
    usernames: list[str] = field(default_factory=list)
    districts: list[District] = field(default_factory=list)


def demo_password(instance_dir) -> str:
    """The demo's generated password, kept (mode 0600) in the instance folder so `make run` can show it again."""
    path = Path(instance_dir) / "demo-password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(12))
    return path.read_text().strip()


def slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return ascii_name.lower().replace(" ", "")


def seed(*, password: str | None = None) -> DemoResult:
    """Create districts, agencies and demo users. Flushes; the caller commits."""
    if db.session.scalar(select(func.count()).select_from(User)):
        raise DemoAlreadyLoaded
    result = DemoResult(password=password or secrets.token_urlsafe(12))
    districts = [org_services.district_create(actor=None, name=name, code=code) for name, code in DISTRICTS]
    result.districts = districts
    agencies = {
        prefix: org_services.agency_create(name=name, kind=kind, is_authority=authority)
        for prefix, name, kind, authority, _role in AGENCIES
    }
    club = org_services.agency_create(name=WORKING_GROUP_AGENCY[0], kind=WORKING_GROUP_AGENCY[1],
                                      is_authority=WORKING_GROUP_AGENCY[2])

    def add(username: str, display: str, role: Role, agency: Agency, where: list[District]) -> None:
        auth_services.user_create(actor=None, username=username, display_name=display, password=result.password,
                                  role=role, agency=agency, districts=where, must_change_password=False)
        result.usernames.append(username)

    for district in districts:
        for prefix, _name, _kind, _authority, role in AGENCIES:
            add(f"{prefix}.{slug(district.name)}", f"{DISPLAY[prefix]} {district.name}", role, agencies[prefix],
                [district])
    add("arbetsgrupp.boo", "Föreningsledare Boo", Role.WORKING_GROUP, club, [districts[2]])
    add("analytiker", "Analytiker", Role.ANALYST, agencies["samordnare"], districts)
    add("granskare", "Loggranskare", Role.LOG_REVIEWER, agencies["samordnare"], [])
    add("admin", "Administratör", Role.ADMIN, agencies["samordnare"], [])
    _seed_cases(districts, agencies)
    return result


DEMO_YOUTHS = (("Alex Demosson", 15, ("truancy", "criminal_peers")), ("Sam Exempelsdotter", 14, ("violence",)),
               ("Kim Testberg", 16, ("substances", "risky_environment")))


def _demo_pnr(age: int, serial: int):
    """A well-formed personnummer with serial 9xx, the range test data conventionally uses."""
    from sspf.cases.personnummer import make

    return make(date.today().replace(month=1, day=15, year=date.today().year - age - 1), serial)


def _seed_cases(districts: list[District], agencies: dict[str, Agency]) -> None:
    """In each of the first two districts: a new signal, an active case with consent, a closed case."""
    from sspf.cases.services import SignalInput, close_case, register_signal, triage_case
    from sspf.consent.services import record_consent

    today = date.today()
    for d_index, district in enumerate(districts[:2]):
        slug_name = slug(district.name)
        school = auth_services.find_user(f"skola.{slug_name}")
        coordinator = auth_services.find_user(f"samordnare.{slug_name}")
        for y_index, (name, age, categories) in enumerate(DEMO_YOUTHS):
            pnr = _demo_pnr(age, 900 + d_index * 10 + y_index)
            case, _created = register_signal(
                actor=school, personnummer=pnr, name=name, district=district,
                signal=SignalInput(today - timedelta(days=20 - y_index), categories,
                                   "Oro från mentor (demo)", False, None, None))
            if y_index == 0:
                continue
            triage_case(actor=coordinator, case=case, eligible=True, risk_factors=("school_absence",),
                        protective_factors=("trusted_adult",), note=None, today=today)
            if y_index == 1:
                record_consent(actor=coordinator, case=case, signed_on=today - timedelta(days=10),
                               valid_until=today + timedelta(days=170), guardian1=True, guardian2=False, youth=True,
                               method="in_person", today=today,
                               scope={agencies["polis"].id: {"police"}, agencies["soc"].id: {"social_services"},
                                      agencies["fritid"].id: {"leisure"}})
                _seed_plan(case, coordinator, agencies, slug_name, today)
            else:
                close_case(actor=coordinator, case=case, reason="moved")
        _seed_meetings(district, coordinator, today)


def _seed_meetings(district: District, coordinator, today: date) -> None:
    """A weekly SSPF meeting on Tuesdays at nine, from this week's Tuesday (or today, if that has passed)."""
    from datetime import time

    from sspf.meetings.services import create_series

    first = today + timedelta(days=(1 - today.weekday()) % 7)
    create_series(actor=coordinator, district=district, first_on=first, starts_at=time(9, 0),
                  place="Kommunhuset, rum 2 (demo)", interval_weeks=1, today=today)


def _seed_plan(case, coordinator, agencies: dict[str, Agency], slug_name: str, today: date) -> None:
    from sspf.plans.services import action_add, goal_add, plan_update

    allowed = {agencies[key].id for key in ("polis", "soc", "fritid", "skola", "samordnare")}
    goal_add(actor=coordinator, case=case, text="Närvaro i skolan minst 90 % (demo)")
    for key, text, days in (("fritid", "Prova på boxning på fritidsgården (demo)", 7),
                            ("polis", "Orosamtal med vårdnadshavare (demo)", 3)):
        action_add(actor=coordinator, case=case, text=text, owner_agency=agencies[key],
                   owner_user=auth_services.find_user(f"{key}.{slug_name}"),
                   deadline=today + timedelta(days=days), today=today, allowed_agency_ids=allowed)
    plan_update(actor=coordinator, case=case, guardians_informed_on=today, next_review_on=today + timedelta(days=28),
                mapping={"strengths": "Gillar idrott och har en trygg vuxen i skolan (demo)"}, today=today)
