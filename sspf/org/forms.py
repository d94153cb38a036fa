from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from sspf.web.forms import REQUIRED, BaseForm


class DistrictForm(BaseForm):
    name = StringField(_l("Namn"), validators=[DataRequired(REQUIRED), Length(max=120)])
    code = StringField(_l("Kod"), validators=[
        DataRequired(REQUIRED),
        Regexp(r"^[A-Za-zÅÄÖåäö]{2,8}$", message=_l("2–8 bokstäver, t.ex. ORM."))])
    active = BooleanField(_l("Aktivt"), default=True)
