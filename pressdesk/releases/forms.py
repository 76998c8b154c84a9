from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class ReleaseForm(FlaskForm):
    headline = StringField(_l("Überschrift"), validators=[DataRequired(), Length(max=300)])
    subline = StringField(_l("Unterzeile"), validators=[Length(max=300)])
    dateline_place = StringField(_l("Ort (Dateline)"), validators=[Length(max=120)])
    lead = TextAreaField(_l("Vorspann"), validators=[Length(max=5000)])
    body = TextAreaField(_l("Text (Markdown)"), validators=[Length(max=200_000)])


class PublishForm(FlaskForm):
    lists = SelectMultipleField(_l("Verteiler"), coerce=int)
