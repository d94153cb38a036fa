"""Forms for login, second factor, password and user administration."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Regexp, ValidationError

from sspf.auth.passwords import MAX_LENGTH, password_problems
from sspf.auth.permissions import ROLE_LABELS, Role
from sspf.web.forms import REQUIRED, BaseForm

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{2,63}$"


class LoginForm(BaseForm):
    username = StringField(_l("Användarnamn"), validators=[DataRequired(REQUIRED), Length(max=64)])
    password = PasswordField(_l("Lösenord"), validators=[DataRequired(REQUIRED), Length(max=MAX_LENGTH)])


class MfaForm(BaseForm):
    code = StringField(_l("Engångskod"), validators=[DataRequired(REQUIRED), Length(max=32)])


class MfaEnrolForm(BaseForm):
    code = StringField(_l("Kod från appen"), validators=[DataRequired(REQUIRED), Length(max=16)])


class _NewPassword:
    """Validator: the password policy, with its messages next to the field."""

    def __init__(self, username_field: str | None = None) -> None:
        self.username_field = username_field

    def __call__(self, form, field) -> None:
        username = None
        if self.username_field:
            username = getattr(form, self.username_field).data
        elif getattr(form, "username_hint", None):
            username = form.username_hint
        problems = password_problems(field.data or "", username=username)
        if problems:
            raise ValidationError(" ".join(problems))


class ChangePasswordForm(BaseForm):
    current_password = PasswordField(_l("Nuvarande lösenord"),
                                     validators=[DataRequired(REQUIRED), Length(max=MAX_LENGTH)])
    new_password = PasswordField(_l("Nytt lösenord"), validators=[DataRequired(REQUIRED), _NewPassword()])
    confirm = PasswordField(_l("Upprepa nytt lösenord"), validators=[
        DataRequired(REQUIRED), EqualTo("new_password", _l("Lösenorden är inte lika."))])

    def __init__(self, *args, username: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.username_hint = username


class UserForm(BaseForm):
    display_name = StringField(_l("Namn"), validators=[DataRequired(REQUIRED), Length(max=120)])
    role = SelectField(_l("Roll"), choices=[(r.value, label) for r, label in ROLE_LABELS.items()],
                       validators=[InputRequired(REQUIRED)])
    agency_id = SelectField(_l("Organisation"), coerce=int, validators=[InputRequired(REQUIRED)])
    district_ids = SelectMultipleField(_l("Områden"), coerce=int)

    def validate_role(self, field) -> None:
        if field.data not in {r.value for r in Role}:
            raise ValidationError(_l("Okänd roll."))


class NewUserForm(UserForm):
    username = StringField(_l("Användarnamn"), validators=[
        DataRequired(REQUIRED), Length(max=64),
        Regexp(USERNAME_PATTERN, message=_l("3–64 tecken: små bokstäver a–z, siffror, punkt, bindestreck."))])
    password = PasswordField(_l("Tillfälligt lösenord"), validators=[DataRequired(REQUIRED),
                                                                     _NewPassword("username")])


class ResetPasswordForm(BaseForm):
    password = PasswordField(_l("Tillfälligt lösenord"), validators=[DataRequired(REQUIRED), _NewPassword()])

    def __init__(self, *args, username: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.username_hint = username


class EmptyForm(BaseForm):
    """A form with only its CSRF token: for buttons that change state."""
