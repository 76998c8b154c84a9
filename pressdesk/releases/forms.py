from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as checkboxes (readable, no JavaScript needed)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ReleaseForm(FlaskForm):
    headline = StringField(_l("Überschrift"), validators=[DataRequired(), Length(max=300)])
    subline = StringField(_l("Unterzeile"), validators=[Length(max=300)])
    dateline_place = StringField(_l("Ort (Dateline)"), validators=[Length(max=120)])
    lead = TextAreaField(_l("Vorspann"), validators=[Length(max=5000)])
    body = TextAreaField(_l("Text (Markdown)"), validators=[Length(max=200_000)])
    topics = CheckboxesField(_l("Themen"), coerce=int, validators=[Optional()])
    regions = CheckboxesField(_l("Regionen"), coerce=int, validators=[Optional()])
    contact_name = StringField(_l("Ansprechperson"), validators=[Length(max=200)])
    contact_phone = StringField(_l("Telefon"), validators=[Length(max=80)])
    contact_email = StringField(_l("E-Mail"), validators=[Length(max=254)])
    # Corrections under 4-eyes, where the office allows it: send without a second person.
    urgent = BooleanField(_l("Eilkorrektur: sofort versenden, ohne zweite Freigabe"))


class PublishForm(FlaskForm):
    lists = SelectMultipleField(_l("Verteiler"), coerce=int)
    when = RadioField(_l("Zeitpunkt"), choices=[("now", _l("Jetzt")), ("later", _l("Später"))],
                      default="now")
    scheduled_at = StringField(_l("Veröffentlichen am"))
    embargo_until = StringField(_l("Sperrfrist bis"))


class ActionForm(FlaskForm):
    """A button that changes the state: only the CSRF token."""


class TemplateForm(FlaskForm):
    name = StringField(_l("Name der Vorlage"))


class TemplateEditForm(FlaskForm):
    """An office template's name and text (the service checks them as a release's text)."""

    name = StringField(_l("Name der Vorlage"), validators=[DataRequired(), Length(max=120)])
    headline = StringField(_l("Überschrift"), validators=[DataRequired(), Length(max=300)])
    subline = StringField(_l("Unterzeile"), validators=[Length(max=300)])
    lead = TextAreaField(_l("Vorspann"), validators=[Length(max=5000)])
    body = TextAreaField(_l("Text (Markdown)"), validators=[Length(max=200_000)])


class EmbargoForm(FlaskForm):
    embargo_until = StringField(_l("Neue Sperrfrist"))


class ReturnForm(FlaskForm):
    # The length is the workflow's check: a long comment gets a message and stays in the field.
    comment = TextAreaField(_l("Was soll geändert werden?"))


class WithdrawForm(FlaskForm):
    reason = StringField(_l("Begründung (steht in der E-Mail an die Redaktionen)"),
                         validators=[Length(max=500)])


class ImageForm(FlaskForm):
    kind = "image"
    file = FileField(_l("Bilddatei (JPEG oder PNG)"))
    alt = StringField(_l("Alternativtext (Pflicht)"), validators=[Length(max=300)])
    caption = TextAreaField(_l("Bildunterschrift"), validators=[Length(max=2000)])
    credit = StringField(_l("Fotograf/Quelle"), validators=[Length(max=200)])
    rights = StringField(_l("Rechtehinweis"), validators=[Length(max=300)])


class AttachmentForm(FlaskForm):
    kind = "attachment"
    file = FileField(_l("Datei (PDF oder Office-Dokument)"))
