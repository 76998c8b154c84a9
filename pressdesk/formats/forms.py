"""The form of the public page "Ist diese Meldung echt?"."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional

MAX_TEXT = 50_000
MAX_EML_BYTES = 2 * 1024 * 1024
MAX_IMAGE_BYTES = 40 * 1024 * 1024


class CheckForm(FlaskForm):
    text = TextAreaField(_l("Text der Meldung"), validators=[
        Optional(), Length(max=MAX_TEXT, message=_l("Der Text ist zu lang (höchstens "
                                                     "50.000 Zeichen)."))])
    url = StringField(_l("Adresse (URL) der Meldung in diesem Portal"), validators=[
        Optional(), Length(max=2000)])
    eml = FileField(_l("E-Mail als .eml-Datei"))
    signed = FileField(_l("Signierte Datei (signed.json)"))
    image = FileField(_l("Foto (JPG oder PNG)"))
