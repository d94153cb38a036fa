from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from sspf.cases.forms import MultiCheckboxField, not_in_future
from sspf.contacts.models import Visibility
from sspf.web.forms import BaseForm

#: One message for "en timme", "1.5" and 0 alike: what to type, not what went wrong (nor "Numret").
DURATION = _l("Ange tiden i hela minuter, 1–1440.")


class ContactForm(BaseForm):
    occurred_on = DateField(_l("Datum"), default=date.today, validators=[InputRequired(_l("Ange datum.")),
                                                                        not_in_future])
    type = RadioField(_l("Typ av kontakt"), validators=[InputRequired(_l("Välj typ av kontakt."))])
    duration_minutes = IntegerField(_l("Tid (minuter)"), validators=[Optional(), NumberRange(1, 1440, DURATION)],
                                    invalid_value_message=DURATION)
    parties = MultiCheckboxField(_l("Med vem"))
    note = TextAreaField(_l("Kort anteckning"), validators=[Optional(), Length(max=1000)])
    visibility = RadioField(_l("Vem får se kontakten?"), default=Visibility.OWN_AGENCY.value, choices=[
        (Visibility.OWN_AGENCY.value, _l("Bara min organisation")),
        (Visibility.CONSENTED.value, _l("Alla som samtycket ger rätt att se min organisations uppgifter")),
    ], validators=[InputRequired()])

    def name_shared_audience(self, category_label: str) -> None:
        """Say who a shared contact really reaches: it carries the author agency's information category, so only
        agencies the consent lets see that category see it, not every agency the consent covers. Lazy: a POST
        that saves never renders the label."""
        self.visibility.choices = [
            (Visibility.OWN_AGENCY.value, _l("Bara min organisation")),
            (Visibility.CONSENTED.value,
             _l("Alla som samtycket ger rätt att se %(category)s", category=category_label)),
        ]
