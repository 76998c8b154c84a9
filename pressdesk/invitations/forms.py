from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

FIELD_LABELS = {
    "starts_at": _l("Beginn"), "ends_at": _l("Ende"), "place_name": _l("Ort"),
    "address": _l("Adresse"), "latitude": _l("Breitengrad"), "longitude": _l("Längengrad"),
    "programme": _l("Ablauf und Teilnehmende"),
    "accreditation_required": _l("Akkreditierung oder Anmeldung erforderlich"),
    "accreditation_until": _l("Akkreditierung bis"),
    "access_notes": _l("Anfahrt, Parken, Zugang"),
    "day_contact_name": _l("Ansprechperson vor Ort"),
    "day_contact_phone": _l("Telefon vor Ort"), "rsvp_until": _l("Antwort erbeten bis"),
}


class AppointmentForm(FlaskForm):
    starts_at = StringField(FIELD_LABELS["starts_at"])
    ends_at = StringField(FIELD_LABELS["ends_at"])
    place_name = StringField(FIELD_LABELS["place_name"], validators=[Length(max=200)])
    address = StringField(FIELD_LABELS["address"], validators=[Length(max=300)])
    latitude = DecimalField(FIELD_LABELS["latitude"], places=None,
                            validators=[Optional(), NumberRange(-90, 90)])
    longitude = DecimalField(FIELD_LABELS["longitude"], places=None,
                             validators=[Optional(), NumberRange(-180, 180)])
    programme = TextAreaField(FIELD_LABELS["programme"], validators=[Length(max=5000)])
    accreditation_required = BooleanField(FIELD_LABELS["accreditation_required"])
    accreditation_until = StringField(FIELD_LABELS["accreditation_until"])
    access_notes = TextAreaField(FIELD_LABELS["access_notes"], validators=[Length(max=2000)])
    day_contact_name = StringField(FIELD_LABELS["day_contact_name"],
                                   validators=[Length(max=200)])
    day_contact_phone = StringField(FIELD_LABELS["day_contact_phone"],
                                    validators=[Length(max=80)])
    rsvp_until = StringField(FIELD_LABELS["rsvp_until"])


class ReplyForm(FlaskForm):
    """The RSVP confirmation page: who comes (optional); the answer is in the URL."""

    name = StringField(_l("Wer kommt? (Name, freiwillig)"), validators=[Length(max=200)])
