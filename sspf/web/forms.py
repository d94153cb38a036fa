"""Form base class: every text field refuses control characters and over-long input.

Putting the check in the base class means a new form cannot forget it.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField, TextAreaField

#: The one "required" message every form uses.
REQUIRED = _l("Fältet måste fyllas i.")
#: A choice that is not one of the field's own (a tampered form): said plainly, without echoing what was sent.
CHOOSE_ONE = _l("Välj ett av alternativen.")
CHOOSE_FROM = _l("Välj bland alternativen.")

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROL_SINGLE_LINE = re.compile(r"[\r\n\t]")


class _TokenSignedWhenShown(FlaskForm.Meta.csrf_class):
    """Sign the form's CSRF token when the form is rendered, not whenever it is built.

    A POST that succeeds redirects and never shows the token, yet Flask-WTF signed a fresh one for it:
    a twentieth of logging a contact. The submitted token is still checked as before (by CSRFProtect,
    for every POST, before the view runs).
    """

    def generate_csrf_token(self, csrf_token_field):
        sign = super().generate_csrf_token
        return LazyString(sign, csrf_token_field)


class BaseForm(FlaskForm):
    class Meta(FlaskForm.Meta):
        csrf_class = _TokenSignedWhenShown

        def bind_field(self, form, unbound_field, options):
            """Every choice field gets the plain messages above unless it names its own: WTForms's own
            message for a multiple choice quotes the submitted values back to the user."""
            if issubclass(unbound_field.field_class, SelectField):
                message = CHOOSE_FROM if issubclass(unbound_field.field_class, SelectMultipleField) else CHOOSE_ONE
                options = {**{key: message for key in ("invalid_choice_message", "invalid_value_message")
                              if key not in unbound_field.kwargs}, **options}
            return super().bind_field(form, unbound_field, options)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for field in self:
            _one_message(field)
            if not isinstance(field, StringField | TextAreaField | PasswordField) or not isinstance(field.data, str):
                continue
            multiline = isinstance(field, TextAreaField)
            if _CONTROL.search(field.data) or (not multiline and _CONTROL_SINGLE_LINE.search(field.data)):
                field.errors = [*field.errors, _l("Fältet innehåller otillåtna tecken.")]
                ok = False
        return ok


def _one_message(field) -> None:
    """One problem, one message. WTForms goes on validating a value it could not read, so "not an integer"
    came with the range check's complaint about the None it left; and a choice that is not one of the field's
    got the generic message and then the field's own validator's ("Okänd roll."). Keep the reading error, or
    else the field's own message over the generic one (at least one is always left: validity does not change).
    A validator that cleared the reading error (Optional, for an empty date sent as "") is left to have its way."""
    if field.process_errors and field.errors[:len(field.process_errors)] == field.process_errors:
        field.errors = list(field.process_errors)
    elif isinstance(field, SelectField) and len(field.errors) > 1:
        field.errors = [e for e in field.errors if e != field.invalid_choice_message] or field.errors[:1]


def show_service_error(form, exc: Exception, *, fallback: str | None = None) -> None:
    """Put a service's refusal next to the field it names (``exc.field``), else next to ``fallback``,
    else on top of the page: services speak in plain values, the view decides where it shows."""
    from flask import flash

    name = getattr(exc, "field", None) or fallback
    field = getattr(form, name, None) if name else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, str(exc)]
    else:
        flash(str(exc), "error")


def refuse_before_form(case_id, message: str):
    """Send the user back to the case page with ``message`` instead of showing a form the service will refuse:
    say it before the form is filled in, not after. (The POST is still refused by the service, e.g. after a race.)"""
    from flask import flash, redirect, url_for

    flash(message, "warning")
    return redirect(url_for("cases.show", case_id=case_id))


def clean_text(value: str | None) -> str | None:
    """Trim and NFC-normalise a text field's value; empty becomes None."""
    if value is None:
        return None
    value = unicodedata.normalize("NFC", value).strip()
    return value or None
