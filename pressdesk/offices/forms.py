from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional


class OfficeSettingsForm(FlaskForm):
    sender_name = StringField(_l("Absendername"), validators=[DataRequired(), Length(max=200)])
    contact_name = StringField(_l("Ansprechpartner"), validators=[Length(max=200)])
    contact_phone = StringField(_l("Telefon"), validators=[Length(max=80)])
    contact_email = StringField(_l("E-Mail (Antwortadresse)"),
                                validators=[Optional(), Email(), Length(max=254)])
    default_place = StringField(_l("Ort für die Dateline"), validators=[Length(max=120)])
    description = TextAreaField(_l("Beschreibung"), validators=[Length(max=5000)])
    imprint = TextAreaField(_l("Impressum"), validators=[Length(max=10000)])
    require_four_eyes = BooleanField(_l("Vier-Augen-Prinzip: Freigabe durch eine zweite Person"))
    allow_urgent_corrections = BooleanField(
        _l("Eilkorrekturen erlauben: eine Korrektur darf ohne zweite Freigabe sofort versendet "
           "werden (wird protokolliert)"))
    strip_photo_locations = BooleanField(
        _l("Aus veröffentlichten Fotos GPS-Position und Seriennummern von Kamera und Objektiv "
           "entfernen"), default=True)
    require_two_factor = BooleanField(
        _l("Zweiter Faktor: alle Mitglieder melden sich mit Passwort und einem Code aus einer "
           "Authenticator-App an"))
    logo = FileField(_l("Logo (PNG oder JPEG, höchstens 2 MB)"))
    remove_logo = BooleanField(_l("Logo entfernen"))


class TermForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])


class DeleteTermForm(FlaskForm):
    """Only the CSRF token."""
