from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from pressdesk.media.models import ATTACH_FORMATS, OutletKind

KIND_CHOICES = [
    (OutletKind.DAILY.value, _l("Tageszeitung")), (OutletKind.WEEKLY.value, _l("Wochenblatt")),
    (OutletKind.MONTHLY.value, _l("Magazin")), (OutletKind.ONLINE.value, _l("Online")),
    (OutletKind.RADIO.value, _l("Radio")), (OutletKind.TV.value, _l("Fernsehen")),
    (OutletKind.AGENCY.value, _l("Agentur")),
]


class OutletForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Art"), choices=KIND_CHOICES)
    email = StringField(_l("E-Mail-Adresse"), validators=[DataRequired(), Length(max=254)])
    extra_emails = TextAreaField(_l("Weitere Adressen (eine pro Zeile)"),
                                 validators=[Length(max=5000)])
    region = StringField(_l("Region"), validators=[Length(max=120)])
    images = SelectField(_l("Bilder"), choices=[("links", _l("als Link")),
                                                ("attachments", _l("als Anhang"))])
    max_attachment_kb = IntegerField(_l("Größte Anhangsgröße (KB)"), default=10240,
                                     validators=[Optional(), NumberRange(min=1, max=102400)])
    attach_format = SelectField(_l("Agenturformat anhängen"),
                                choices=[("", _l("keines")), *ATTACH_FORMATS.items()], default="")
    active = BooleanField(_l("Aktiv (erhält Mitteilungen)"), default=True)


class ListForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    is_default = BooleanField(_l("Standardverteiler"))
    outlets = SelectMultipleField(_l("Medien"), coerce=int, validate_choice=False)


class ImportForm(FlaskForm):
    file = FileField(_l("CSV-Datei"), validators=[FileRequired(_l("Bitte eine Datei auswählen."))])


class ConfirmImportForm(FlaskForm):
    # Checked against the office's lists by the service; cancel posts no list at all.
    list_id = SelectField(_l("Zusätzlich in Verteiler aufnehmen"), coerce=int, choices=[],
                          default=0, validate_choice=False)


class DeleteForm(FlaskForm):
    """Only the CSRF token: for delete buttons."""


HOUR_CHOICES = [(h, f"{h:02d}:00") for h in range(24)]


class OutletPreferencesForm(FlaskForm):
    """The outlet's own choices on its preference page."""

    topics = SelectMultipleField(_l("Themen"), coerce=int, validate_choice=False)
    regions = SelectMultipleField(_l("Regionen"), coerce=int, validate_choice=False)
    format = RadioField(_l("Format"), choices=[("html", _l("Text und HTML")),
                                               ("text", _l("Nur Text"))], default="html")
    images = RadioField(_l("Bilder"), choices=[("links", _l("als Link")),
                                               ("attachments", _l("als Anhang"))], default="links")
    max_attachment_kb = IntegerField(_l("Größte Mailgröße mit Anhängen (KB)"), default=10240,
                                     validators=[Optional(), NumberRange(min=100, max=102400)])
    timing = RadioField(_l("Zustellung"), choices=[("instant", _l("Sofort, jede Mitteilung einzeln")),
                                                   ("digest", _l("Einmal täglich als Zusammenfassung"))],
                        default="instant")
    digest_hour = SelectField(_l("Uhrzeit der Zusammenfassung"), coerce=int, choices=HOUR_CHOICES,
                              default=7)
    pause_from = DateField(_l("Pause vom"), validators=[Optional()])
    pause_until = DateField(_l("bis einschließlich"), validators=[Optional()])
    pause_digest = RadioField(_l("Nach der Pause"), choices=[
        ("digest", _l("Verpasste Mitteilungen als eine Zusammenfassung senden")),
        ("drop", _l("Verpasste Mitteilungen nicht nachsenden"))], default="digest")


class SignupForm(FlaskForm):
    outlet_name = StringField(_l("Medium (Redaktion)"), validators=[DataRequired(), Length(max=200)])
    person_name = StringField(_l("Ihr Name"), validators=[DataRequired(), Length(max=200)])
    role = StringField(_l("Funktion"), validators=[Optional(), Length(max=120)])
    email = StringField(_l("E-Mail-Adresse"), validators=[DataRequired(), Length(max=254)])
    topics = SelectMultipleField(_l("Themen"), coerce=int, validate_choice=False)
    regions = SelectMultipleField(_l("Regionen"), coerce=int, validate_choice=False)
    consent = BooleanField(_l("Ich stimme zu"), validators=[DataRequired(
        _l("Bitte stimmen Sie zu, damit wir Ihre Anmeldung speichern dürfen."))])


class DecideSignupForm(FlaskForm):
    lists = SelectMultipleField(_l("Verteiler"), coerce=int, validate_choice=False)


class OutletSettingsForm(FlaskForm):
    signups_open = BooleanField(_l("Journalistinnen und Journalisten können sich auf der "
                                   "Portalseite für den Presseverteiler anmelden"))
    yearly_check = BooleanField(_l("Einmal im Jahr fragen: „Sind Sie noch die richtige "
                                   "Ansprechperson?“"))
