"""Form messages a person can act on: one message per problem, never the raw value a tampered form sent,
and no answer chosen for the user where the choice is theirs to make."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import func, select
from wtforms import RadioField, SelectField, SelectMultipleField
from wtforms.validators import InputRequired

from sspf.consent.models import Consent
from sspf.contacts.models import Contact
from sspf.web.forms import BaseForm
from tests import factories
from tests.case_factories import Cases

DURATION = "Ange tiden i hela minuter, 1–1440."
CHOOSE_ONE = "Välj ett av alternativen."
CHOOSE_FROM = "Välj bland alternativen."


def error_of(page: str, field_id: str) -> str | None:
    """The text of the field's error paragraph (the macros give it the id ``<field>-err``), or None."""
    match = re.search(rf'<p class="error" id="{field_id}-err" role="alert">(.*?)</p>', page, re.S)
    return html.unescape(" ".join(match.group(1).split())) if match else None


@pytest.fixture
def case(org, session):
    world = Cases(org)
    case = world.open_case("field_worker")
    world.consent(case, {"police": {"police"}})
    session.commit()
    return case


def post_contact(client, case, **override) -> str:
    data = {"occurred_on": date.today().isoformat(), "type": "phone", "parties": ["guardian"], "note": "Samtal",
            "visibility": "own_agency", "duration_minutes": "15"}
    data.update(override)
    data = {k: v for k, v in data.items() if v is not None}
    response = factories.post_form(client, f"/cases/{case.id}/contacts/new", data=data)
    assert response.status_code == 200, "the form was accepted"
    return response.get_data(as_text=True)


@pytest.mark.parametrize("typed", ["en timme", "1.5", "0", "1441", "-5"])
def test_a_duration_that_is_not_whole_minutes_gets_one_clear_message(client, org, session, case, typed):
    factories.login(client, "skola.orm")
    page = post_contact(client, case, duration_minutes=typed)
    assert error_of(page, "duration_minutes") == DURATION
    assert "Numret" not in page and "heltal" not in page
    assert session.scalar(select(func.count()).select_from(Contact)) == 0


def test_a_tampered_checkbox_value_is_not_echoed(client, org, session, case):
    factories.login(client, "skola.orm")
    page = post_contact(client, case, parties=["guardian", "cousin"])
    assert error_of(page, "parties") == CHOOSE_FROM
    assert "cousin" not in page


def test_a_tampered_radio_value_is_not_echoed(client, org, session, case):
    factories.login(client, "skola.orm")
    page = post_contact(client, case, type="teleport")
    assert error_of(page, "type") == CHOOSE_ONE
    assert "teleport" not in page


def test_a_missing_choice_gets_only_its_own_message(client, org, session, case):
    factories.login(client, "skola.orm")
    page = post_contact(client, case, type=None)
    assert error_of(page, "type") == "Välj typ av kontakt."  # the required message alone, not also the generic one


def test_tampered_selects_are_not_echoed_in_admin_forms(client, org, session):
    factories.login(client, "admin")
    response = factories.post_form(client, "/admin/users/new", data={
        "username": "fritid.orm", "display_name": "Fritidsledare Orminge", "role": "superuser",
        "agency_id": "987651", "district_ids": [str(org.districts["ORM"].id), "987652"],
        "password": "ett tillfälligt långt lösenord"})
    page = response.get_data(as_text=True)
    assert error_of(page, "role") == "Okänd roll."  # the field's own message, alone
    assert error_of(page, "agency_id") == CHOOSE_ONE
    assert error_of(page, "district_ids") == CHOOSE_FROM
    assert "superuser" not in page and "987651" not in page and "987652" not in page


def test_no_choice_field_anywhere_echoes_what_was_sent(app: Flask):
    """Every form derives from BaseForm, so one test form stands for them all."""

    class Tampered(BaseForm):
        one = SelectField(choices=[("a", "A")], validators=[InputRequired()])
        radio = RadioField(choices=[("a", "A")], validators=[InputRequired()])
        many = SelectMultipleField(choices=[("a", "A")])
        number = SelectField(choices=[(1, "Ett")], coerce=int)

    data = {"one": "evil-1", "radio": "evil-2", "many": ["a", "evil-3", "evil-4"], "number": "evil-5"}
    with app.test_request_context(method="POST", data=data):
        form = Tampered(meta={"csrf": False})
        assert not form.validate()
        messages = {name: [str(e) for e in errors] for name, errors in form.errors.items()}
    assert messages == {"one": [CHOOSE_ONE], "radio": [CHOOSE_ONE], "many": [CHOOSE_FROM], "number": [CHOOSE_ONE]}


def test_withdrawal_has_no_preselected_answer_and_requires_one(client, org, session, case):
    consent = session.scalar(select(Consent).where(Consent.case_id == case.id))
    url = f"/cases/{case.id}/consent/{consent.id}/withdraw"
    factories.login(client, "samordnare.orm")

    form = client.get(url).get_data(as_text=True)
    select_html = re.search(r'<select[^>]*id="by"[^>]*>(.*?)</select>', form, re.S).group(1)
    options = re.findall(r'<option([^>]*)>', select_html)
    assert not any("selected" in attrs for attrs in options), options
    assert 'value=""' in options[0]  # a prompt, not one of the people

    response = factories.post_form(client, url, data={})
    assert response.status_code == 200
    assert error_of(response.get_data(as_text=True), "by") == "Välj vem som återkallade samtycket."
    session.refresh(consent)
    assert consent.withdrawn_at is None

    response = factories.post_form(client, url, data={"by": ""})
    assert error_of(response.get_data(as_text=True), "by") == "Välj vem som återkallade samtycket."
    session.refresh(consent)
    assert consent.withdrawn_at is None
