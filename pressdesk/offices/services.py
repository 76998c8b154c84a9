"""Office settings and the office's topic and region vocabularies."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from pressdesk import addresses
from pressdesk.accounts.models import User
from pressdesk.audit.services import record
from pressdesk.extensions import db
from pressdesk.labels import OFFICE_FIELD_LABELS
from pressdesk.offices.models import Office
from pressdesk.releases.models import Region, Topic
from pressdesk.text import has_line_break, one_line, slugify

# Fields an admin may change (their labels: pressdesk.labels.OFFICE_FIELD_LABELS).
SETTINGS_FIELDS = tuple(OFFICE_FIELD_LABELS)
FLAGS = ("require_four_eyes", "allow_urgent_corrections", "strip_photo_locations",
         "require_two_factor")
ONE_LINE = ("sender_name", "contact_name", "contact_phone", "contact_email", "default_place")

TERM_MODELS: dict[str, type[Topic] | type[Region]] = {"topic": Topic, "region": Region}


class OfficeError(ValueError):
    """A change was refused; the message is shown as is."""


def update_settings(office: Office, user: User | None, data: dict[str, object]) -> list[str]:
    """Apply the settings; returns the labels of the fields that changed (audit-logged)."""
    clean: dict[str, object] = {}
    for key in SETTINGS_FIELDS:
        value = data.get(key)
        if key in FLAGS:
            clean[key] = bool(value)
            continue
        text = str(value or "").strip()
        if key in ONE_LINE:
            # Sender name and contact go into mail headers: no line breaks, ever.
            if has_line_break(text):
                raise OfficeError(_("Zeilenumbrüche sind in „{field}“ nicht erlaubt.").format(
                    field=str(OFFICE_FIELD_LABELS[key])))
            text = one_line(text)
        clean[key] = text
    if not clean["sender_name"]:
        raise OfficeError(_("Bitte einen Absendernamen angeben."))
    if addresses.looks_like_address(str(clean["sender_name"])):
        # Shown as the sender in every mail client: an address in it would impersonate.
        raise OfficeError(_("Der Absendername ist ein Name, keine Adresse: bitte ohne @, < und >."))
    if clean["contact_email"]:
        try:
            clean["contact_email"] = addresses.normalise(str(clean["contact_email"]))
        except addresses.InvalidAddress as exc:
            raise OfficeError(_("Ungültige E-Mail-Adresse: {reason}").format(reason=exc.reason)) from exc
    with force_locale("de"):  # the audit log is kept in German, whoever made the change
        changed = [str(OFFICE_FIELD_LABELS[k]) for k, v in clean.items()
                   if getattr(office, k) != v]
    for key, value in clean.items():
        setattr(office, key, value)
    if changed:
        from pressdesk.portal.pages import office_changed

        office_changed()
        record(office.id, user, "office.settings", "office", office.id, ", ".join(changed))
    return changed


def terms(office: Office, kind: str) -> list[Topic | Region]:
    model = TERM_MODELS[kind]
    return list(db.session.scalars(
        select(model).where(model.office_id == office.id).order_by(func.lower(model.name))))


def office_term(office: Office, kind: str, term_id: int) -> Topic | Region | None:
    model = TERM_MODELS[kind]
    term: Topic | Region | None = (db.session.get(Topic, term_id) if model is Topic
                                   else db.session.get(Region, term_id))
    return term if term is not None and term.office_id == office.id else None


def _check_name(office: Office, kind: str, name: str, term_id: int | None) -> tuple[str, str]:
    name = one_line(name)[:120]
    if not name:
        raise OfficeError(_("Bitte einen Namen angeben."))
    slug = slugify(name)
    model = TERM_MODELS[kind]
    q = select(model.id).where(model.office_id == office.id, model.slug == slug)
    if term_id is not None:
        q = q.where(model.id != term_id)
    if db.session.scalar(q) is not None:
        raise OfficeError(_("„{name}“ gibt es schon.").format(name=name))
    return name, slug


def add_term(office: Office, user: User | None, kind: str, name: str) -> Topic | Region:
    name, slug = _check_name(office, kind, name, None)
    term = TERM_MODELS[kind](office_id=office.id, name=name, slug=slug)
    db.session.add(term)
    db.session.flush()
    record(office.id, user, f"{kind}.created", kind, term.id, name)
    return term


def rename_term(office: Office, user: User | None, kind: str, term: Topic | Region,
                name: str) -> None:
    old = term.name
    # The slug stays: topic feeds and links built on it keep working after a rename.
    term.name, _slug = _check_name(office, kind, name, term.id)
    record(office.id, user, f"{kind}.renamed", kind, term.id, f"{old} → {term.name}")


def delete_term(office: Office, user: User | None, kind: str, term: Topic | Region) -> None:
    record(office.id, user, f"{kind}.deleted", kind, term.id, term.name)
    db.session.delete(term)
