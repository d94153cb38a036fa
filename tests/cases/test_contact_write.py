"""Logging a contact: the row and its audit event as one statement, committed by itself on PostgreSQL.

The contact POST is the most frequent write. Its case is read in one statement (nothing decrypted),
and the contact, its audit event and the event's place in the sealing queue are one more: atomic as
a statement, so on PostgreSQL it runs without BEGIN and COMMIT. These tests hold it to that: what it
sends, that the row and the event are there and readable afterwards, and that a failure leaves
neither.
"""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import exc, func, select

from sspf.access.rules import Actor
from sspf.access.scoping import case_head_and_facts
from sspf.audit import AuditAction, RowWithEvent
from sspf.audit.models import AuditEvent, AuditPending, AuditSeal
from sspf.auth.models import User
from sspf.cases.models import Case, Youth
from sspf.cases.queries import get_case_for
from sspf.contacts.models import Contact
from sspf.db import single_statement, utcnow
from sspf.extensions import db
from tests import factories
from tests.case_factories import Cases

NOTE = "Samtal med mamma om skolan, markör-5c1e"


def _contact_form(token: str) -> dict:
    return {"occurred_on": date.today().isoformat(), "type": "phone", "parties": ["guardian"],
            "duration_minutes": "15", "note": NOTE, "visibility": "own_agency", "csrf_token": token}


@pytest.fixture
def own_app(backend, tmp_path):
    """An app on a database of its own, with no outer test transaction: what is committed is committed."""
    from tests.conftest import build_app, dedicated_database, migrate_fresh

    app = build_app(dedicated_database(backend, tmp_path, "contactwrite"), tmp_path)
    migrate_fresh(app)
    with app.app_context():
        org = factories.make_org()
        case = Cases(org).open_case()
        db.session.commit()
        case_id = case.id
    yield app, case_id
    with app.app_context():
        db.engine.dispose()


def test_a_contact_is_one_statement_sent_without_begin_or_commit(own_app, backend, monkeypatch):
    import psycopg

    from sspf.audit import sealing

    app, case_id = own_app
    client = app.test_client()
    assert factories.login(client, "skola.orm").status_code == 302
    url = f"/cases/{case_id}/contacts/new"
    token = factories.csrf_token(client.get(url).get_data(as_text=True))

    commands: list[bytes] = []
    exec_command = psycopg.Connection._exec_command  # where psycopg sends BEGIN and COMMIT

    def counted(self, command, *args, **kwargs):
        commands.append(bytes(command))
        return exec_command(self, command, *args, **kwargs)

    sealed_later: list[bool] = []
    monkeypatch.setattr(psycopg.Connection, "_exec_command", counted)
    # Sealing is a transaction of its own after the response's work; counted apart, below.
    monkeypatch.setattr(sealing, "after_record", lambda: sealed_later.append(True))
    response = client.post(url, data=_contact_form(token))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{case_id}")
    assert sealed_later == [True]
    if backend == "postgresql":
        assert commands == []  # the session, the case and the write: each a statement of its own, no transaction

    with app.app_context():
        contact = db.session.scalars(select(Contact).where(Contact.case_id == case_id)).one()
        assert contact.note == NOTE and contact.parties == ["guardian"] and contact.category == "school"
        event = db.session.scalars(select(AuditEvent)
                                   .where(AuditEvent.action == AuditAction.CONTACT_LOGGED.value)).one()
        assert event.target_id == str(contact.id) and event.actor_agency and event.flagged is False
        assert event.subject_ref == db.session.get(Case, case_id).youth.ref
        assert db.session.get(AuditPending, event.id) is not None  # queued for the sealer
        assert sealing.seal_pending(wait=True) >= 1
        assert db.session.scalar(select(AuditSeal.seq).where(AuditSeal.event_pk == event.id)) is not None
        raw = db.session.connection().exec_driver_sql("SELECT note FROM contacts").scalar_one()
        assert b"5c1e" not in bytes(raw)  # encrypted at rest, though written without the ORM


@pytest.mark.parametrize("failing", ["row", "event"])
def test_a_failing_contact_statement_leaves_neither_the_row_nor_its_event(own_app, backend, failing):
    if failing == "event" and backend != "postgresql":
        pytest.skip("SQLite does not enforce the column length that makes the event fail")
    app, case_id = own_app
    writer = RowWithEvent(Contact.__table__)
    with app.test_request_context("/"), app.app_context():
        author = db.session.scalars(select(User).where(User.username == "skola.orm")).one()
        contact_id = uuid.uuid4()
        row = {"id": contact_id, "case_id": case_id, "author_id": author.id, "agency_id": author.agency_id,
               "category": "school", "occurred_on": date.today(), "type": "phone", "duration_minutes": None,
               "parties": [], "note": None, "visibility": "own_agency", "created_at": utcnow()}
        target_type = "contact"
        if failing == "row":
            row["author_id"] = uuid.uuid4()  # no such user: the contact's foreign key fails
        else:
            target_type = "x" * 65  # longer than the event's column: the event fails after the contact went in
        with pytest.raises((exc.IntegrityError, exc.DataError)), single_statement(db.session):
            writer.write(row, AuditAction.CONTACT_LOGGED, actor=author, target_type=target_type,
                         target_id=contact_id)
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Contact)) == 0
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.target_id == str(contact_id))) == 0
        driver = db.session.connection().connection.driver_connection
        assert getattr(driver, "autocommit", False) is False  # the connection is transactional again


def test_a_contact_on_a_protected_case_is_flagged_for_log_review(app, client, org, session):
    world = Cases(org)
    case = world.open_case()
    world.protect(case)
    session.commit()
    factories.login(client, "skola.orm")
    url = f"/cases/{case.id}/contacts/new"
    token = factories.csrf_token(client.get(url).get_data(as_text=True))
    assert client.post(url, data=_contact_form(token)).status_code == 302
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == AuditAction.CONTACT_LOGGED.value)
                            .order_by(AuditEvent.id.desc())).first()
    assert event is not None and event.flagged is True and event.detail == {"case": case.code}


def test_the_case_head_unites_every_consent_and_disclosure_of_the_agency(org, session):
    world = Cases(org)
    case = world.open_case()
    later = date.fromordinal(world.today.toordinal() + 30)
    world.insert_consent(case, {"police": ["school"]}, signed_on=world.today, valid_until=later)
    world.insert_consent(case, {"police": ["leisure"], "soc": ["police"]}, signed_on=world.today, valid_until=later)
    world.insert_disclosure(case, by="soc_orm", to="police", categories=["social_services"], valid_until=later)
    world.insert_disclosure(case, by="soc_orm", to="police", categories=["school", "leisure"], valid_until=later)
    session.commit()
    head, facts = case_head_and_facts(Actor.of(world.user("police_orm")), case.id, now=world.now)
    assert (head.id, head.code, head.youth_ref, head.birth_year) == (case.id, case.code, case.youth.ref,
                                                                     case.youth.birth_year)
    assert [g.categories for g in facts.grants] == [{"school", "leisure", "social_services", "basic"}]
    assert case_head_and_facts(Actor.of(world.user("police_orm")), uuid.uuid4(), now=world.now) is None


def test_a_case_the_user_may_not_see_is_never_loaded_or_decrypted(app, org, session):
    from werkzeug.exceptions import NotFound

    world = Cases(org)
    case = world.open_case(district="FIS", by="school_fis")
    session.commit()
    case_id, user_id = case.id, world.user("field_worker").id  # Orminge's field worker
    session.expunge_all()
    user = session.get(User, user_id)
    with app.test_request_context("/"):
        with pytest.raises(NotFound):
            get_case_for(user, str(case_id), now=world.now)
        loaded = {type(obj) for obj in session.identity_map.values()}
        assert Case not in loaded and Youth not in loaded
        denied = session.scalars(select(AuditEvent).where(AuditEvent.action == AuditAction.ACCESS_DENIED.value)
                                 .order_by(AuditEvent.id.desc())).first()
        assert denied is not None and denied.target_id == str(case_id)
