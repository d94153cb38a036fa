from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from sspf.web.forms import REQUIRED, BaseForm


class PlanForm(BaseForm):
    guardians_informed_on = DateField(_l("Vårdnadshavare informerade"), validators=[Optional()])
    next_review_on = DateField(_l("Nästa uppföljning"), validators=[Optional()])
    mapping_school = TextAreaField(_l("Skola"), validators=[Optional(), Length(max=2000)])
    mapping_leisure = TextAreaField(_l("Fritid"), validators=[Optional(), Length(max=2000)])
    mapping_friends = TextAreaField(_l("Kamrater"), validators=[Optional(), Length(max=2000)])
    mapping_family = TextAreaField(_l("Familj"), validators=[Optional(), Length(max=2000)])
    mapping_strengths = TextAreaField(_l("Styrkor"), validators=[Optional(), Length(max=2000)])


class GoalForm(BaseForm):
    text = TextAreaField(_l("Nytt mål"), validators=[DataRequired(REQUIRED), Length(max=500)])


class ActionForm(BaseForm):
    text = TextAreaField(_l("Ny åtgärd"), validators=[DataRequired(REQUIRED), Length(max=500)])
    owner_agency = SelectField(_l("Ansvarig organisation"), coerce=int, validators=[InputRequired(REQUIRED)])
    owner_user = SelectField(_l("Ansvarig person (valfritt)"), validators=[Optional()])
    deadline = DateField(_l("Klart senast"), validators=[InputRequired(REQUIRED)])


class StatusForm(BaseForm):
    status = SelectField(_l("Status"), validators=[InputRequired(REQUIRED)])
