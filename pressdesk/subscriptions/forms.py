from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, RadioField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # not in types-WTForms yet (wtforms 3.2 has it; tuples are deprecated)
from wtforms.validators import DataRequired, Length


class ChoiceFields(FlaskForm):
    # Choices are checked by the service (they depend on the database), not by WTForms.
    offices = SelectMultipleField(_l("Pressestellen"), coerce=int, validate_choice=False)
    topics = SelectMultipleField(_l("Themen"), coerce=int, validate_choice=False)
    regions = SelectMultipleField(_l("Regionen"), coerce=int, validate_choice=False)
    query = StringField(_l("Suchbegriff"), validators=[Length(max=200)])
    frequency = RadioField(_l("Wie oft möchten Sie Nachricht erhalten?"), choices=[
        SelectChoice("instant", _l("Sofort bei jeder neuen Mitteilung")),
        SelectChoice("daily", _l("Einmal täglich als Zusammenfassung")),
    ], default="instant")


class SubscribeForm(ChoiceFields):
    email = EmailField(_l("E-Mail-Adresse"), validators=[
        DataRequired(_l("Bitte geben Sie Ihre E-Mail-Adresse an.")), Length(max=254)])
    consent = BooleanField(validators=[DataRequired(_l("Bitte stimmen Sie der Benachrichtigung zu."))])


class PreferencesForm(ChoiceFields):
    pass


class ConfirmForm(FlaskForm):
    pass
