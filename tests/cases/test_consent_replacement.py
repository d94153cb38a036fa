"""A new consent replaces the earlier ones: the latest recorded consent governs, through the web forms.

The QA steps: the coordinator records consent A (Fritid: leisure, Socialtjänsten: social services) and then
consent B (Socialtjänsten only). Fritid must lose the case on the very next request, A stays on record marked
replaced, and withdrawing B afterwards leaves nobody sharing: A does not come back.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

from sqlalchemy import select

from sspf.audit.models import AuditEvent
from sspf.auth.permissions import Role
from sspf.cases.personnummer import make
from sspf.consent.models import Consent
from tests import factories

WITHDRAW_LINK = re.compile(r"/consent/([0-9a-f-]{36})/withdraw")


def _register(client) -> str:
    """A signal by the school for a youth who turned 15 twenty days ago; the new case's id."""
    born = date.today().replace(year=date.today().year - 15) - timedelta(days=20)
    response = factories.post_form(client, "/cases/new", data={
        "personnummer": make(born, 431).display, "name": "Ersatta Samtyckesson", "raised_on": date.today().isoformat(),
        "categories": ["truancy"]})
    assert response.status_code == 302
    return response.headers["Location"].rsplit("/", 1)[1]


def _consent_form(org, scope: dict[str, str], *, days: int) -> dict:
    """The consent form as the coordinator fills it in: signed today, by guardian 1 and the youth (aged 15)."""
    data = {"signed_on": date.today().isoformat(), "valid_until": (date.today() + timedelta(days=days)).isoformat(),
            "guardian1": "y", "youth": "y", "method": "in_person"}
    data.update({f"scope-{org.agencies[agency].id}-{category}": "1" for agency, category in scope.items()})
    return data


def _client(app, username: str):
    client = app.test_client()
    factories.login(client, username)
    return client


def _desk_list(coordinator, testid: str) -> str:
    return coordinator.get("/").get_data(as_text=True).split(f'data-testid="{testid}"', 1)[1].split("</ul>", 1)[0]


def test_a_new_consent_replaces_the_earlier_one_and_a_withdrawal_does_not_bring_it_back(app, client, org, session):
    factories.make_user("fritid.orm", Role.FIELD_WORKER, org.agencies["leisure"], [org.districts["ORM"]])
    factories.make_user("soc.orm", Role.FIELD_WORKER, org.agencies["soc"], [org.districts["ORM"]])
    session.commit()
    factories.login(client, "skola.orm")
    case_id = _register(client)
    code = re.search(r"ORM-\d{4}-\d+", client.get(f"/cases/{case_id}").get_data(as_text=True)).group(0)
    coordinator, fritid, soc = (_client(app, name) for name in ("samordnare.orm", "fritid.orm", "soc.orm"))
    assert factories.post_form(coordinator, f"/cases/{case_id}/triage", data={"eligible": "yes"}).status_code == 302

    a = factories.post_form(coordinator, f"/cases/{case_id}/consent",
                            data=_consent_form(org, {"leisure": "leisure", "soc": "social_services"}, days=180))
    assert a.status_code == 302, a.get_data(as_text=True)
    assert fritid.get(f"/cases/{case_id}").status_code == 200  # A shares with Fritid
    assert code in fritid.get("/cases/").get_data(as_text=True)

    b = factories.post_form(coordinator, f"/cases/{case_id}/consent",
                            data=_consent_form(org, {"soc": "social_services"}, days=10))
    assert b.status_code == 302, b.get_data(as_text=True)
    # The very next request: Fritid has lost the case entirely, Socialtjänsten keeps it under B.
    assert fritid.get(f"/cases/{case_id}").status_code == 404
    assert code not in fritid.get("/cases/").get_data(as_text=True)
    assert soc.get(f"/cases/{case_id}").status_code == 200
    assert code in soc.get("/cases/").get_data(as_text=True)

    first, second = session.scalars(select(Consent).where(Consent.case_id == uuid.UUID(case_id))
                                    .order_by(Consent.recorded_at)).all()
    assert (first.replaced_by_id, second.replaced_at) == (second.id, None) and first.replaced_at is not None
    # A stays on record, marked replaced and no longer withdrawable; B is the one current consent.
    page = coordinator.get(f"/cases/{case_id}").get_data(as_text=True)
    consents = page.split("<h2>Samtycken</h2>", 1)[1].split("</section>", 1)[0]
    assert consents.count(f"Ersatt {date.today().isoformat()}") == 1
    assert WITHDRAW_LINK.findall(consents) == [str(second.id)]
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "consent.replaced"))
    assert (event.target_id, event.detail["replaced_by"]) == (str(first.id), str(second.id))
    # The desk judges the case by B, which runs out within the warning period (A would have run for months).
    assert code in _desk_list(coordinator, "expiring-consents")

    withdrawn = factories.post_form(coordinator, f"/cases/{case_id}/consent/{second.id}/withdraw",
                                    data={"by": "guardian1"})
    assert withdrawn.status_code == 302
    for agency in (fritid, soc):  # A does not come back: nobody shares under consent any more
        assert agency.get(f"/cases/{case_id}").status_code == 404
    assert code in _desk_list(coordinator, "withdrawn-consents")
    assert code not in _desk_list(coordinator, "expiring-consents")
    assert not WITHDRAW_LINK.findall(coordinator.get(f"/cases/{case_id}").get_data(as_text=True))
    # A replaced consent cannot be withdrawn behind the page's back either.
    refused = factories.post_form(coordinator, f"/cases/{case_id}/consent/{first.id}/withdraw",
                                  data={"by": "guardian1"}, follow=True)
    assert "redan ersatt" in refused.get_data(as_text=True)
    session.refresh(first)
    assert first.withdrawn_at is None


def test_a_late_registered_paper_consent_does_not_replace_the_one_in_force(org, session):
    from tests.case_factories import Cases

    world = Cases(org)
    case = world.open_case()
    current = world.consent(case, {"police": {"police"}})
    world.consent(case, {"leisure": {"leisure"}}, signed_on=world.today - timedelta(days=200),
                  valid_until=world.today - timedelta(days=20))
    assert current.replaced_at is None and current.is_active(world.today)


def test_a_narrower_consent_flags_the_case_and_marks_the_actions_whose_owner_lost_access(app, client, org, session):
    from datetime import timedelta

    from sspf.plans import services as plans
    from tests.case_factories import Cases

    world = Cases(org)
    case = world.open_case()
    world.consent(case, {"police": {"police"}, "soc": {"social_services"}})
    plans.action_add(actor=world.user("coordinator"), case=case, text="Polisen kontaktar familjen",
                     owner_agency=org.agencies["police"], owner_user=None, deadline=world.today + timedelta(days=7),
                     today=world.today, allowed_agency_ids={org.agencies["police"].id})
    case.flagged_for_meeting = False
    world.consent(case, {"soc": {"social_services"}})
    assert case.flagged_for_meeting
    session.commit()
    factories.login(client, "samordnare.orm")
    page = client.get(f"/cases/{case.id}/plan").get_data(as_text=True)
    line = page.split("Polisen kontaktar familjen")[0].rsplit("<li>", 1)[1]
    assert "ägaren ser inte längre ärendet" in line
