"""Factories for tests: an organisation with districts, agencies and one user per role."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import pyotp
from flask.testing import FlaskClient

from sspf.auth import services as auth_services
from sspf.auth.models import User
from sspf.auth.permissions import Role
from sspf.extensions import db
from sspf.org import services as org_services
from sspf.org.models import Agency, AgencyKind, District

PASSWORD = "korrekt häst batteri häftklammer"
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


@dataclass
class Org:
    districts: dict[str, District] = field(default_factory=dict)
    agencies: dict[str, Agency] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)


def make_user(username: str, role: Role, agency: Agency, districts: list[District], *,
              password: str = PASSWORD, must_change_password: bool = False) -> User:
    return auth_services.user_create(actor=None, username=username, display_name=username.title(), password=password,
                                     role=role, agency=agency, districts=districts,
                                     must_change_password=must_change_password)


def make_org() -> Org:
    org = Org()
    for name, code in (("Orminge", "ORM"), ("Fisksätra", "FIS")):
        org.districts[code] = org_services.district_create(actor=None, name=name, code=code)
    for key, name, kind, authority in (
        ("school", "Skola", AgencyKind.SCHOOL, True),
        ("soc", "Socialtjänsten", AgencyKind.SOCIAL_SERVICES, True),
        ("police", "Polisen", AgencyKind.POLICE, True),
        ("leisure", "Fritid", AgencyKind.LEISURE, True),
        ("coord", "Samordning", AgencyKind.COORDINATION, True),
        ("club", "Boo IF", AgencyKind.OTHER, False),
    ):
        org.agencies[key] = org_services.agency_create(name=name, kind=kind, is_authority=authority)
    orm = [org.districts["ORM"]]
    org.users["field_worker"] = make_user("skola.orm", Role.FIELD_WORKER, org.agencies["school"], orm)
    org.users["coordinator"] = make_user("samordnare.orm", Role.COORDINATOR, org.agencies["coord"], orm)
    org.users["working_group"] = make_user("forening.orm", Role.WORKING_GROUP, org.agencies["club"], orm)
    org.users["analyst"] = make_user("analytiker", Role.ANALYST, org.agencies["coord"], orm)
    org.users["log_reviewer"] = make_user("granskare", Role.LOG_REVIEWER, org.agencies["coord"], [])
    org.users["admin"] = make_user("admin", Role.ADMIN, org.agencies["coord"], [])
    db.session.commit()
    return org


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def login(client: FlaskClient, username: str, password: str = PASSWORD, *, follow: bool = False):
    page = client.get("/login")
    token = csrf_token(page.get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                       follow_redirects=follow)


def post_form(client: FlaskClient, page_url: str, action_url: str | None = None, data: dict | None = None,
              *, follow: bool = False):
    """GET ``page_url`` for its CSRF token, then POST ``data`` to ``action_url`` (default: the same URL)."""
    page = client.get(page_url)
    token = csrf_token(page.get_data(as_text=True))
    return client.post(action_url or page_url, data={**(data or {}), "csrf_token": token}, follow_redirects=follow)


def enrol_mfa(client: FlaskClient) -> tuple[str, list[str]]:
    """Enrol the logged-in user of ``client`` in TOTP; returns the secret and the recovery codes."""
    page = client.get("/account/mfa").get_data(as_text=True)
    assert "<svg" in page and "otpauth://totp/" in page
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    code = pyotp.TOTP(secret).now()
    response = post_form(client, "/account/mfa", data={"code": code})
    codes = re.findall(r"<code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</code>", response.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def next_totp(secret: str) -> str:
    """A code for the next time step: the current one was spent on enrolment."""
    return pyotp.TOTP(secret).at(time.time() + 30)
