"""Texts a release starts from: built-in ones every office has, and the office's own (saved
from a release with "Als Vorlage speichern"). A template fills the new-release form; nothing
is stored until the person saves the draft."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from pressdesk.accounts.models import User
from pressdesk.audit.services import record
from pressdesk.extensions import db
from pressdesk.offices.models import Office
from pressdesk.releases.models import Release, ReleaseTemplate
from pressdesk.releases.services import ReleaseError
from pressdesk.text import has_line_break, one_line


@dataclass(frozen=True)
class Template:
    key: str  # "b-<slug>" for built-in ones, the row id for the office's own
    name: str
    headline: str = ""
    subline: str = ""
    lead: str = ""
    body: str = ""
    builtin: bool = False


BUILTIN = (
    Template("b-pressetermin", "Einladung zum Pressetermin",
             headline="Einladung zum Pressetermin: …",
             subline="am TT.MM.JJJJ um HH:MM Uhr in …",
             lead="Wir laden Sie herzlich zu einem Pressetermin ein. Anlass: …",
             body="**Termin:** Wochentag, TT.MM.JJJJ, HH:MM Uhr\n\n"
                  "**Ort:** Anschrift, Raum\n\n"
                  "**Gesprächspartner:**\n\n- Name, Funktion\n- Name, Funktion\n\n"
                  "Fotografen und Kamerateams sind willkommen. Um eine kurze Anmeldung bis "
                  "TT.MM. wird gebeten.",
             builtin=True),
    Template("b-verkehr", "Verkehrsmeldung",
             headline="Straße … ab … gesperrt",
             subline="Umleitung über …",
             lead="Die Straße … zwischen … und … wird vom TT.MM. bis voraussichtlich TT.MM. "
                  "voll gesperrt.",
             body="**Grund:** …\n\n**Umleitung:** …\n\n"
                  "| Abschnitt | Gesperrt ab | Voraussichtlich frei |\n| --- | --- | --- |\n"
                  "| … | TT.MM. | TT.MM. |\n\n"
                  "Anlieger und Rettungsdienste können die Baustelle passieren.",
             builtin=True),
)


def _of_row(row: ReleaseTemplate) -> Template:
    return Template(str(row.id), row.name, row.headline, row.subline, row.lead, row.body)


def office_rows(office: Office) -> list[ReleaseTemplate]:
    return list(db.session.scalars(select(ReleaseTemplate).where(
        ReleaseTemplate.office_id == office.id).order_by(ReleaseTemplate.name)))


def available(office: Office) -> list[Template]:
    """The built-in templates, then the office's own."""
    return [*BUILTIN, *(_of_row(r) for r in office_rows(office))]


def find(office: Office, key: str) -> Template | None:
    for t in BUILTIN:
        if t.key == key:
            return t
    if key.isdigit():
        row = db.session.scalar(select(ReleaseTemplate).where(
            ReleaseTemplate.office_id == office.id, ReleaseTemplate.id == int(key)))
        return _of_row(row) if row is not None else None
    return None


TEXT_FIELDS = ("headline", "subline", "lead", "body")


def _clean_name(name: str) -> str:
    if has_line_break(name) or not one_line(name):
        raise ReleaseError(_("Bitte der Vorlage einen Namen geben."))
    name = one_line(name)[:120]
    if any(t.name == name for t in BUILTIN):
        raise ReleaseError(_("„%(name)s“ gibt es schon als Vorlage.", name=name))
    return name


def save_from(release: Release, user: User | None, name: str) -> ReleaseTemplate:
    """The release's text (headline, subline, lead, body) as an office template."""
    name = _clean_name(name)
    row = ReleaseTemplate(office_id=release.office_id, name=name, headline=release.headline,
                          subline=release.subline, lead=release.lead, body=release.body,
                          created_by_id=getattr(user, "id", None))
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError as exc:
        raise ReleaseError(_("„%(name)s“ gibt es schon als Vorlage.", name=name)) from exc
    record(release.office_id, user, "template.created", "template", row.id, name)
    return row


def office_row(office: Office, template_id: int) -> ReleaseTemplate | None:
    """One of the office's own templates; None for another office's (or none)."""
    return db.session.scalar(select(ReleaseTemplate).where(
        ReleaseTemplate.office_id == office.id, ReleaseTemplate.id == template_id))


def update(office: Office, user: User | None, row: ReleaseTemplate, name: str,
           data: dict[str, str]) -> list[str]:
    """Change an office template's name and text, checked as a release's text is (one-line
    fields refuse line breaks, the same limits, a headline). Audited with the changed fields;
    returns them (empty: nothing changed, nothing written)."""
    from pressdesk.labels import field_label
    from pressdesk.releases.services import clean_fields

    assert row.office_id == office.id
    name = _clean_name(name)
    fields = {k: v for k, v in clean_fields({k: data.get(k, "") for k in TEXT_FIELDS}).items()
              if k in TEXT_FIELDS}
    changed = [k for k in TEXT_FIELDS if getattr(row, k) != fields[k]]
    renamed = name != row.name
    if not changed and not renamed:
        return []
    old_name = row.name
    try:
        with db.session.begin_nested():
            row.name = name
            for key in changed:
                setattr(row, key, fields[key])
            db.session.flush()
    except IntegrityError as exc:
        raise ReleaseError(_("„%(name)s“ gibt es schon als Vorlage.", name=name)) from exc
    what = [str(field_label(k)) for k in changed]
    detail = f"{old_name} → {name}" if renamed else name
    record(office.id, user, "template.updated", "template", row.id,
           detail + (f": {', '.join(what)}" if what else ""))
    return (["name"] if renamed else []) + changed


def delete(office: Office, user: User | None, row: ReleaseTemplate) -> None:
    record(office.id, user, "template.deleted", "template", row.id, row.name)
    db.session.delete(row)
