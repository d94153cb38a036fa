"""The case list and the case page run a constant number of SQL statements, however many rows.

Each page is requested once with a handful of cases and contacts and again after many more were
added; the number of statements the request sends (counted with a ``before_cursor_execute``
listener on the test's connection) must be the same. A lazy relationship touched per row (an
N+1) would make the second count grow with the rows.

The rows are inserted directly through the session (the crypto hooks still encrypt them on
flush), which is much faster than going through the forms, and the data covers what the pages
render per row: youths with guardians, signals, a triage, a consent with its scope, contacts of
several agencies and visibilities.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from sspf.auth.models import User
from sspf.cases.models import Case, CaseStatus, Sex, Signal, Triage, Youth
from sspf.consent.models import Consent, ConsentScope
from sspf.contacts.models import Contact, Visibility
from sspf.extensions import db
from tests import factories

_numbers = itertools.count(1)
TODAY = date.today()


@contextmanager
def counting(session) -> Iterator[list[str]]:
    """Collect every statement sent on the test's connection (which every request shares)."""
    statements: list[str] = []
    connection = db.engine  # the ``session`` fixture routes every session through one Connection

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", before_cursor_execute)


def statements_for(client, session, url: str) -> list[str]:
    with counting(session) as statements:
        response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return statements


def add_cases(org, n: int, *, by: User) -> list[Case]:
    """``n`` triaged-or-active cases in Orminge registered by ``by``'s agency, with a signal each."""
    district = org.districts["ORM"]
    cases = []
    for _ in range(n):
        k = next(_numbers)
        youth = Youth(name=f"Ung Person {k}", personnummer=f"2011{k:08d}", sex=Sex.FEMALE if k % 2 else Sex.MALE,
                      birth_year=2011, district_id=district.id, address=f"Gatan {k}", guardian1_name="Förälder",
                      guardian1_phone="070-000 00 00", protected_identity=k % 7 == 0)
        db.session.add(youth)
        db.session.flush()
        case = Case(code=f"ORM-2026-{k:04d}", youth_id=youth.id, district_id=district.id,
                    status=CaseStatus.ACTIVE if k % 3 else CaseStatus.SIGNAL, registering_agency_id=by.agency_id,
                    created_by_id=by.id, flagged_for_meeting=k % 5 == 0)
        db.session.add(case)
        db.session.flush()
        db.session.add(Signal(case_id=case.id, raised_on=TODAY, raised_by_id=by.id, agency_id=by.agency_id,
                              categories=["truancy"], note="Frånvaro"))
        cases.append(case)
    db.session.commit()
    return cases


def add_contacts(org, case: Case, n: int) -> None:
    """``n`` contacts on ``case`` by every agency in turn, half of them visible to consented agencies."""
    authors = [org.users["field_worker"], org.users["coordinator"], org.users["working_group"]]
    kinds = {"school": "school", "coord": "basic", "club": "basic"}
    for i in range(n):
        author = authors[i % len(authors)]
        key = next(k for k, a in org.agencies.items() if a.id == author.agency_id)
        db.session.add(Contact(case_id=case.id, author_id=author.id, agency_id=author.agency_id, category=kinds[key],
                               occurred_on=TODAY - timedelta(days=i % 90), type="meeting", duration_minutes=30,
                               parties=["youth", "guardian"], note=f"Anteckning {i}" if i % 2 else None,
                               visibility=Visibility.CONSENTED if i % 2 else Visibility.OWN_AGENCY))
    db.session.commit()


def add_triage_and_consent(org, case: Case) -> None:
    coordinator = org.users["coordinator"]
    db.session.add(Triage(case_id=case.id, decided_by_id=coordinator.id, eligible=True,
                          risk_factors=["peers"], protective_factors=["trusted_adult"], note="Bedömd"))
    consent = Consent(case_id=case.id, signed_on=TODAY - timedelta(days=5), valid_until=TODAY + timedelta(days=90),
                      guardian1_signed=True, youth_signed=True, method="in_person", recorded_by_id=coordinator.id)
    consent.scope = [ConsentScope(agency_id=org.agencies["police"].id, category="school"),
                     ConsentScope(agency_id=org.agencies["soc"].id, category="school")]
    db.session.add(consent)
    db.session.commit()


@pytest.fixture
def world(org, session):
    """A few cases (one with a triage, a consent and three contacts), before the growth."""
    cases = add_cases(org, 5, by=org.users["field_worker"])
    main = cases[0]
    add_triage_and_consent(org, main)
    add_contacts(org, main, 3)
    return main


def _shape(statement: str) -> str:
    return re.sub(r"sa_savepoint_\d+", "sa_savepoint_N", " ".join(statement.split()))[:300]


def _differs(before: list[str], after: list[str]) -> str:
    """The statements sent more often the second time, with how many more: the N+1's query."""
    grown = Counter(map(_shape, after)) - Counter(map(_shape, before))
    return "\n".join(f"+{n} x {statement}" for statement, n in grown.most_common(5))


@pytest.mark.parametrize("who", ["coordinator", "field_worker"])
def test_case_list_query_count_is_constant(client, org, session, world, who):
    factories.login(client, org.users[who].username)
    client.get("/cases/")  # warm-up: first-use loads (catalogue, keyring) are not per request
    before = statements_for(client, session, "/cases/")

    add_cases(org, 55, by=org.users["field_worker"])  # 60 in all: a full page of 50 and a second page
    after = statements_for(client, session, "/cases/")
    page2 = statements_for(client, session, "/cases/?page=2")

    assert len(after) == len(before), f"{len(before)} -> {len(after)} statements:\n{_differs(before, after)}"
    assert len(page2) == len(before)


@pytest.mark.parametrize("who", ["coordinator", "field_worker"])
def test_case_page_query_count_is_constant(client, org, session, world, who):
    factories.login(client, org.users[who].username)
    url = f"/cases/{world.id}"
    client.get(url)  # warm-up
    before = statements_for(client, session, url)
    shown_before = client.get(url).get_data(as_text=True).count("<li><strong>")

    add_contacts(org, world, 147)  # 150 contacts on the case
    add_cases(org, 55, by=org.users["field_worker"])  # and more cases around it
    after = statements_for(client, session, url)

    assert len(after) == len(before), f"{len(before)} -> {len(after)} statements:\n{_differs(before, after)}"
    shown_after = client.get(url).get_data(as_text=True).count("<li><strong>")
    assert shown_after >= shown_before + 40, (shown_before, shown_after)  # the new contacts are rendered


def test_contact_post_query_count_is_constant(client, org, session, world):
    """Logging a contact costs the same number of statements on a case with 3 or 150 contacts."""
    factories.login(client, org.users["coordinator"].username)
    url = f"/cases/{world.id}/contacts/new"
    token = factories.csrf_token(client.get(url).get_data(as_text=True))
    data = {"occurred_on": TODAY.isoformat(), "type": "phone", "parties": ["guardian"], "note": "Samtal",
            "visibility": "own_agency", "csrf_token": token}

    def post() -> list[str]:
        with counting(session) as statements:
            response = client.post(url, data=data)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return statements

    post()  # warm-up
    before = post()
    add_contacts(org, world, 147)
    after = post()  # the same token again: Flask-WTF tokens are reusable within the session
    assert len(after) == len(before), f"{len(before)} -> {len(after)} statements:\n{_differs(before, after)}"
