"""The individual plan: goals, actions owned by consented agencies, history, and task lists."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from sspf.auth.permissions import Role
from sspf.cases.personnummer import make
from sspf.cases.services import SignalInput, close_case, register_signal, triage_case
from sspf.consent.services import record_consent
from sspf.plans.models import Action, ActionStatus, PlanChange
from tests import factories


@pytest.fixture
def case(org, session):
    today = date.today()
    police = factories.make_user("polis.orm", Role.FIELD_WORKER, org.agencies["police"], [org.districts["ORM"]])
    factories.make_user("fritid.orm", Role.FIELD_WORKER, org.agencies["leisure"], [org.districts["ORM"]])
    org.users["police"] = police
    case, _ = register_signal(actor=org.users["field_worker"], personnummer=make(date(today.year - 15, 3, 3), 321),
                              name="Plan Testsson", district=org.districts["ORM"],
                              signal=SignalInput(today, ("truancy",), None, False, None, None))
    triage_case(actor=org.users["coordinator"], case=case, eligible=True, risk_factors=(), protective_factors=(),
                note=None, today=today)
    record_consent(actor=org.users["coordinator"], case=case, signed_on=today, valid_until=today + timedelta(days=90),
                   guardian1=True, guardian2=False, youth=True, method="in_person",
                   scope={org.agencies["police"].id: {"police"}}, today=today)
    session.commit()
    return case


def _action(client, case_id, **data):
    page = client.get(f"/cases/{case_id}/plan").get_data(as_text=True)
    token = factories.csrf_token(page)
    payload = {"csrf_token": token, "action-csrf_token": token, "action-text": "Hembesök tillsammans med polisen",
               "action-deadline": (date.today() + timedelta(days=7)).isoformat(), "action-owner_user": ""}
    payload.update({f"action-{k}": v for k, v in data.items()})
    return client.post(f"/cases/{case_id}/plan/actions", data=payload)


def test_coordinator_builds_the_plan_and_the_owner_agency_finds_its_task(app, client, org, session, case):
    factories.login(client, "samordnare.orm")
    page = client.get(f"/cases/{case.id}/plan").get_data(as_text=True)
    token = factories.csrf_token(page)
    assert client.post(f"/cases/{case.id}/plan/goals", data={"csrf_token": token, "goal-csrf_token": token,
                                                             "goal-text": "Gå i skolan varje dag"}).status_code == 302
    response = _action(client, case.id, owner_agency=str(org.agencies["police"].id),
                       owner_user=str(org.users["police"].id))
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(f"/cases/{case.id}/plan").get_data(as_text=True)
    assert "Gå i skolan varje dag" in page and "Hembesök tillsammans med polisen" in page

    cop = app.test_client()
    factories.login(cop, "polis.orm")
    tasks = cop.get("/tasks").get_data(as_text=True)
    ours = tasks.split('data-testid="our-tasks"', 1)[1]
    mine = tasks.split('data-testid="my-tasks"', 1)[1].split('data-testid="our-tasks"', 1)[0]
    assert "Hembesök tillsammans med polisen" in ours and case.code in ours
    assert "Hembesök tillsammans med polisen" in mine
    action = session.scalar(select(Action))
    token = factories.csrf_token(tasks)
    assert cop.post(f"/cases/{case.id}/plan/actions/{action.id}", data={"csrf_token": token, "status": "done",
                                                                          "next": "tasks"}).status_code == 302
    session.refresh(action)
    assert action.status == ActionStatus.DONE and action.done_at is not None
    changes = session.scalars(select(PlanChange.entity + ":" + PlanChange.change)).all()
    assert sorted(changes) == ["action:added", "action:status", "goal:added"]
    assert "Hembesök" not in str(session.scalars(select(PlanChange.fields)).all())  # history names, never texts


def test_bad_actions_are_refused_with_a_message(client, org, session, case):
    factories.login(client, "samordnare.orm")
    past = _action(client, case.id, owner_agency=str(org.agencies["police"].id),
                   deadline=(date.today() - timedelta(days=1)).isoformat())
    assert past.status_code == 400 and "före dagens datum" in past.get_data(as_text=True)
    uncovered = _action(client, case.id, owner_agency=str(org.agencies["leisure"].id))
    assert uncovered.status_code == 400  # leisure is not covered by the consent: not even offered
    wrong_person = _action(client, case.id, owner_agency=str(org.agencies["police"].id),
                           owner_user=str(org.users["field_worker"].id))
    assert wrong_person.status_code == 400 and "hör inte till" in wrong_person.get_data(as_text=True)
    assert session.scalars(select(Action)).all() == []


def test_plan_is_invisible_without_access_and_ids_of_other_cases_are_404(app, client, org, session, case):
    fritid = app.test_client()
    factories.login(fritid, "fritid.orm")
    assert fritid.get(f"/cases/{case.id}/plan").status_code == 404
    factories.login(client, "samordnare.orm")
    _action(client, case.id, owner_agency=str(org.agencies["police"].id))
    action = session.scalar(select(Action))
    pnr = make(date(date.today().year - 14, 4, 4), 7)
    other, _ = register_signal(actor=org.users["field_worker"], personnummer=pnr,
                               name="Annan", district=org.districts["ORM"],
                               signal=SignalInput(date.today(), ("truancy",), None, False, None, None))
    session.commit()
    token = factories.csrf_token(client.get(f"/cases/{other.id}/plan").get_data(as_text=True))
    assert client.post(f"/cases/{other.id}/plan/actions/{action.id}",
                       data={"csrf_token": token, "status": "done"}).status_code == 404
    school = app.test_client()
    factories.login(school, "skola.orm")  # the registering agency sees the plan, but the action is police's
    token = factories.csrf_token(school.get(f"/cases/{case.id}/plan").get_data(as_text=True))
    assert school.post(f"/cases/{case.id}/plan/actions/{action.id}",
                       data={"csrf_token": token, "status": "done"}).status_code == 403


def test_closed_case_plan_cannot_be_edited(client, org, session, case):
    close_case(actor=org.users["coordinator"], case=case, reason="moved")
    session.commit()
    factories.login(client, "samordnare.orm")
    page = client.get(f"/cases/{case.id}/plan").get_data(as_text=True)
    assert "Lägg till mål" not in page
    token = factories.csrf_token(page)
    response = client.post(f"/cases/{case.id}/plan/goals", data={"csrf_token": token, "goal-csrf_token": token,
                                                                 "goal-text": "Nytt mål"})
    assert response.status_code == 400 and "avslutat" in response.get_data(as_text=True)
    assert re.search(r"Inga mål ännu", response.get_data(as_text=True))


def test_an_action_on_a_closed_case_leaves_the_task_lists_and_a_stale_done_button_gets_a_message(
        app, client, org, session, case):
    from sspf.plans import services as plans

    action = plans.action_add(actor=org.users["coordinator"], case=case, text="Skolan ringer hem",
                              owner_agency=org.agencies["school"], owner_user=org.users["field_worker"],
                              deadline=date.today() + timedelta(days=7), today=date.today(),
                              allowed_agency_ids={org.agencies["school"].id})
    session.commit()
    factories.login(client, "skola.orm")
    tasks = client.get("/tasks").get_data(as_text=True)
    assert "Skolan ringer hem" in tasks
    token = factories.csrf_token(tasks)  # the page is open when the coordinator closes the case
    close_case(actor=org.users["coordinator"], case=case, reason="moved")
    session.commit()
    response = client.post(f"/cases/{case.id}/plan/actions/{action.id}",
                           data={"csrf_token": token, "status": "done", "next": "tasks"})
    assert response.status_code == 302  # not a server error
    assert "avslutat" in client.get(response.location).get_data(as_text=True)
    assert session.get(Action, action.id).status == ActionStatus.OPEN
    assert "Skolan ringer hem" not in client.get("/tasks").get_data(as_text=True)
    coordinator = app.test_client()
    factories.login(coordinator, "samordnare.orm")
    plan = coordinator.get(f"/cases/{case.id}/plan").get_data(as_text=True)
    assert "Skolan ringer hem" in plan and "Markera som klar" not in plan
