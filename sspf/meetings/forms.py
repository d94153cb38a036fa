from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length

from sspf.web.forms import REQUIRED, BaseForm


class SeriesForm(BaseForm):
    district = SelectField(_l("Område"), coerce=int, validators=[InputRequired(REQUIRED)])
    first_on = DateField(_l("Första mötet"), validators=[InputRequired(REQUIRED)])
    starts_at = TimeField(_l("Klockan"), validators=[InputRequired(REQUIRED)])
    place = StringField(_l("Plats"), validators=[DataRequired(REQUIRED), Length(max=120)])
    interval_weeks = SelectField(_l("Hur ofta"), coerce=int, choices=[(1, _l("Varje vecka")),
                                                                      (2, _l("Varannan vecka"))])


class ExtraMeetingForm(BaseForm):
    district = SelectField(_l("Område"), coerce=int, validators=[InputRequired(REQUIRED)])
    held_on = DateField(_l("Datum"), validators=[InputRequired(REQUIRED)])
    starts_at = TimeField(_l("Klockan"), validators=[InputRequired(REQUIRED)])
    place = StringField(_l("Plats"), validators=[DataRequired(REQUIRED), Length(max=120)])


class AgendaForm(BaseForm):
    """Any agenda change: carries the agenda version the page was built from (edit conflicts)."""

    version = IntegerField(validators=[InputRequired()])


class AddCaseForm(AgendaForm):
    code = StringField(_l("Ärendekod"), validators=[DataRequired(REQUIRED), Length(max=20)])


class MoveForm(AgendaForm):
    direction = HiddenField(validators=[InputRequired()])


class DecisionForm(BaseForm):
    text = TextAreaField(_l("Beslut"), validators=[DataRequired(REQUIRED), Length(max=2000)])
    corrects = HiddenField()


class NetworkForm(BaseForm):
    youth = BooleanField(_l("Ungdomen deltog"))
    guardians = BooleanField(_l("Vårdnadshavare deltog"))


class MeetingActionForm(BaseForm):
    text = TextAreaField(_l("Ny åtgärd"), validators=[DataRequired(REQUIRED), Length(max=500)])
    owner_agency = SelectField(_l("Ansvarig organisation"), coerce=int, validators=[InputRequired(REQUIRED)])
    deadline = DateField(_l("Klart senast"), validators=[InputRequired(REQUIRED)])
