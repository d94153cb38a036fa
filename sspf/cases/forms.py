"""Forms for signals, triage, closure, emergency access and protection."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from sspf.cases.personnummer import InvalidPersonalNumber, parse
from sspf.web.forms import REQUIRED, BaseForm


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def not_in_future(form, field) -> None:
    if field.data and field.data > date.today():
        raise ValidationError(_l("Datumet kan inte ligga i framtiden."))


def required_if_report_made(form, field) -> None:
    """A report of concern needs its date. Listed before ``Optional()``, which stops the chain (an inline
    ``validate_<field>`` too) as soon as the date is empty."""
    if form.report_made.data and not (field.raw_data and field.raw_data[0].strip()):
        field.errors[:] = []  # not the date parser's "Not a valid date value.": the date is missing, not malformed
        raise StopValidation(_l("Ange datum för orosanmälan."))


class SignalForm(BaseForm):
    personnummer = StringField(_l("Personnummer eller samordningsnummer"),
                               validators=[DataRequired(REQUIRED), Length(max=20)])
    name = StringField(_l("Namn"), validators=[Optional(), Length(max=120)])
    raised_on = DateField(_l("Datum för oron"), default=date.today, validators=[InputRequired(REQUIRED),
                                                                               not_in_future])
    categories = MultiCheckboxField(_l("Vad gäller oron?"), validators=[DataRequired(_l("Välj minst en."))])
    note = TextAreaField(_l("Kort beskrivning"), validators=[Optional(), Length(max=500)])
    report_made = BooleanField(_l("En orosanmälan har gjorts till socialtjänsten"))
    report_made_on = DateField(_l("Datum för orosanmälan"),
                               validators=[required_if_report_made, Optional(), not_in_future])
    report_made_by = StringField(_l("Orosanmälan gjord av (funktion)"), validators=[Optional(), Length(max=80)])

    def validate_personnummer(self, field) -> None:
        try:
            self.parsed = parse(field.data or "", today=date.today())
        except InvalidPersonalNumber as exc:
            raise ValidationError(str(exc)) from None

    def validate_report_made(self, field) -> None:
        # A date or a "by whom" without the box is most likely a box forgotten: ask, rather than drop what was typed
        # or record a report of concern nobody said was made.
        given = (self.report_made_on.raw_data or [""])[0].strip() or (self.report_made_by.data or "").strip()
        if not field.data and given:
            raise ValidationError(_l("Kryssa i rutan om en orosanmälan har gjorts, annars lämna datum och funktion "
                                     "tomma."))


class TriageForm(BaseForm):
    eligible = RadioField(_l("Beslut"), choices=[("yes", _l("Tas upp i SSPF")), ("no", _l("Tas inte upp"))],
                          validators=[InputRequired(_l("Välj ett beslut."))])
    risk_factors = MultiCheckboxField(_l("Riskfaktorer"))
    protective_factors = MultiCheckboxField(_l("Skyddsfaktorer"))
    note = TextAreaField(_l("Motivering"), validators=[Optional(), Length(max=500)])


class CloseForm(BaseForm):
    reason = SelectField(_l("Orsak"), validators=[InputRequired(REQUIRED)])


class EmergencyForm(BaseForm):
    code = StringField(_l("Ärendekod"), validators=[DataRequired(REQUIRED), Length(max=20)])
    reason = TextAreaField(_l("Skäl till nödåtkomst"), validators=[DataRequired(REQUIRED), Length(min=10, max=500)])


class ProtectionForm(BaseForm):
    protected_identity = BooleanField(_l("Den unge har skyddade personuppgifter"))
    guardian_protected = BooleanField(_l("En vårdnadshavare har skyddade personuppgifter"))
    named_users = MultiCheckboxField(_l("Får se uppgifterna (utöver dig)"))


class YouthForm(BaseForm):
    name = StringField(_l("Namn"), validators=[DataRequired(REQUIRED), Length(max=120)])
    address = StringField(_l("Adress"), validators=[Optional(), Length(max=200)])
    guardian1_name = StringField(_l("Vårdnadshavare 1, namn"), validators=[Optional(), Length(max=120)])
    guardian1_phone = StringField(_l("Vårdnadshavare 1, telefon"), validators=[Optional(), Length(max=30)])
    guardian2_name = StringField(_l("Vårdnadshavare 2, namn"), validators=[Optional(), Length(max=120)])
    guardian2_phone = StringField(_l("Vårdnadshavare 2, telefon"), validators=[Optional(), Length(max=30)])
