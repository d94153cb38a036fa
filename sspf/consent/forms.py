"""Forms for consent, withdrawal and disclosures. The consent scope grid is read by the view from
an allowlist of (agency, category) pairs, never from arbitrary form keys."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from sspf.cases.forms import MultiCheckboxField
from sspf.web.forms import REQUIRED, BaseForm


class ConsentForm(BaseForm):
    signed_on = DateField(_l("Datum för samtycket"), default=date.today, validators=[InputRequired(REQUIRED)])
    valid_until = DateField(_l("Gäller till och med"), default=lambda: date.today() + timedelta(days=365),
                            validators=[InputRequired(REQUIRED)])
    guardian1 = BooleanField(_l("Vårdnadshavare 1 har skrivit under"))
    guardian2 = BooleanField(_l("Vårdnadshavare 2 har skrivit under"))
    youth = BooleanField(_l("Den unge har skrivit under"))
    method = SelectField(_l("Hur samtycket inhämtades"), validators=[InputRequired(REQUIRED)])
    scan = FileField(_l("Inskannad blankett (valfri, PDF/JPEG/PNG)"))


class WithdrawForm(BaseForm):
    # Nothing chosen in advance: who withdrew is for the coordinator to say, not a default to confirm by mistake.
    by = SelectField(_l("Vem återkallade?"), choices=[("", _l("Välj …")),
                                                      ("guardian1", _l("Vårdnadshavare 1")),
                                                      ("guardian2", _l("Vårdnadshavare 2")),
                                                      ("youth", _l("Den unge"))],
                     validators=[InputRequired(_l("Välj vem som återkallade samtycket."))])


class DisclosureForm(BaseForm):
    legal_basis = SelectField(_l("Rättslig grund"), validators=[InputRequired(REQUIRED)])
    to_agency = SelectField(_l("Mottagare"), coerce=int, validators=[InputRequired(REQUIRED)])
    categories = MultiCheckboxField(_l("Uppgifter som lämnas ut"), validators=[DataRequired(_l("Välj minst en."))])
    assessment = TextAreaField(_l("Bedömning (varför just detta utlämnande)"),
                               validators=[DataRequired(REQUIRED), Length(min=10, max=1000)])
    valid_until = DateField(_l("Mottagaren får se uppgifterna till och med"),
                            default=lambda: date.today() + timedelta(days=14), validators=[InputRequired(REQUIRED)])
