"""The forms of the accounts: login, second factor, own password and notifications, password links."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
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


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-Mail-Adresse"), validators=[DataRequired(), Email(), Length(max=254)])


class SetPasswordForm(FlaskForm):
    new = PasswordField(_l("Neues Passwort"), validators=[DataRequired(), Length(max=1000)])
    repeat = PasswordField(_l("Neues Passwort wiederholen"),
                           validators=[DataRequired(), EqualTo("new", _l(
                               "Die beiden neuen Passwörter stimmen nicht überein."))])


class CodeForm(FlaskForm):
    code = StringField(_l("Sechsstelliger Code aus der App"),
                       validators=[DataRequired(), Length(max=20)])


class NotificationsForm(FlaskForm):
    notify_submitted = BooleanField(_l("Eine Mitteilung wurde zur Freigabe eingereicht (an "
                                       "alle, die sie freigeben können)"))
    notify_returned = BooleanField(_l("Meine Mitteilung wurde zur Überarbeitung zurückgegeben"))
    notify_approved = BooleanField(_l("Meine Mitteilung wurde freigegeben"))
    notify_published = BooleanField(_l("Meine Mitteilung wurde veröffentlicht"))


class ConfirmForm(FlaskForm):
    """Only the CSRF token."""
