"""The demo municipality, modelled on the seed documents (Nacka's districts and SSPF parties).

This is the one place demo data is generated; later capabilities (cases, plans, walks, budget
lines) extend :func:`seed` rather than writing a generator of their own.
"""

from __future__ import annotations

import os
import secrets
import unicodedata
from dataclasses import dataclass, field
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
    return result
