"""The login form and the form to change one's own password."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("E-Mail-Adresse"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Passwort"), validators=[DataRequired(), Length(max=1000)])


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Bisheriges Passwort"),
                            validators=[DataRequired(), Length(max=1000)])
    new = PasswordField(_l("Neues Passwort"), validators=[DataRequired(), Length(max=1000)])
    repeat = PasswordField(_l("Neues Passwort wiederholen"),
                           validators=[DataRequired(), EqualTo("new", _l(
                               "Die beiden neuen Passwörter stimmen nicht überein."))])
