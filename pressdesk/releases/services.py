"""Release operations: write, update, publish. Views and the demo loader call these."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from pressdesk import addresses, tokens
from pressdesk.accounts.models import User
from pressdesk.audit.services import record
from pressdesk.config import settings
from pressdesk.delivery.queue import Recipient
from pressdesk.delivery.render import (
    LOGO_HEIGHT,
    MailAttachment,
    MailImage,
    ReleaseMail,
)
from pressdesk.extensions import db
from pressdesk.labels import field_label
from pressdesk.offices.models import Office
from pressdesk.releases.models import Release, ReleaseStatus, ReleaseVersion
from pressdesk.releases.presenter import PublicRelease, present, present_draft
from pressdesk.text import has_line_break, strip_controls
from pressdesk.urls import external_url


class ReleaseError(ValueError):
    """A release operation that cannot be done; the message is for the user."""


SINGLE_LINE_FIELDS = ("headline", "subline", "dateline_place", "contact_name", "contact_phone",
                      "contact_email")
LIMITS = {"headline": 300, "subline": 300, "dateline_place": 120, "lead": 5000, "body": 200_000,
          "contact_name": 200, "contact_phone": 80, "contact_email": 254}


def clean_fields(data: dict[str, str]) -> dict[str, str]:
    """Validate user text. Line breaks in one-line fields are refused, not silently joined;
    control characters (NUL, ESC, ...) are dropped everywhere."""
    out: dict[str, str] = {}
    for name, limit in LIMITS.items():
        value = (data.get(name) or "").strip()
        label = field_label(name)
        if name in SINGLE_LINE_FIELDS and has_line_break(value):
            raise ReleaseError(_("Das Feld „%(field)s“ darf keinen Zeilenumbruch enthalten.",
                                 field=label))
        value = strip_controls(value).strip()
        if len(value) > limit:
            raise ReleaseError(_("Das Feld „%(field)s“ ist zu lang (höchstens %(limit)s Zeichen).",
                                 field=label, limit=limit))
        out[name] = value
    if not out["headline"]:
        raise ReleaseError(_("Die Überschrift fehlt."))
    if out["contact_email"]:
        try:
            out["contact_email"] = addresses.normalise(out["contact_email"])
        except addresses.InvalidAddress as exc:
            raise ReleaseError(_("Die E-Mail-Adresse des Kontakts ist ungültig.")) from exc
    return out


def create_release(office: Office, author: User | None, data: dict[str, str]) -> Release:
    fields = clean_fields(data)
    if not fields["dateline_place"]:
        fields["dateline_place"] = office.default_place
    if not (fields["contact_name"] or fields["contact_phone"] or fields["contact_email"]):
        fields.update(contact_name=office.contact_name, contact_phone=office.contact_phone,
                      contact_email=office.contact_email)
    release = Release(office_id=office.id, created_by_id=author.id if author else None, **fields)
    release.office = office
    db.session.add(release)
    db.session.flush()
    record(office.id, author, "release.created", "release", release.id, release.headline)
    return release


def update_release(release: Release, data: dict[str, str]) -> Release:
    if release.status == ReleaseStatus.WITHDRAWN.value:
        raise ReleaseError(_("Eine zurückgezogene Mitteilung kann nicht mehr bearbeitet werden."))
    for key, value in clean_fields(data).items():
        setattr(release, key, value)
    return release


def office_release(office: Office, release_id: int) -> Release | None:
    """A release of this office only: the scoping every desk view goes through."""
    return db.session.scalar(
        select(Release).where(Release.id == release_id, Release.office_id == office.id)
    )


def sign_file_id(public_id: str) -> str:
    """A token for the outlets' links to images and attachments of an embargoed release: the
    public routes serve only what the public may see, these links work for any published one."""
    return tokens.dumps(tokens.OUTLET_FILE, public_id)


def unsign_file_id(token: str) -> str | None:
    try:
        return str(tokens.loads(tokens.OUTLET_FILE, token))
    except tokens.TokenInvalid:
        return None


def recipients_for(office: Office, list_ids: list[int] | None, release: Release | None = None,
                   version: ReleaseVersion | None = None, defer_links: bool = False
                   ) -> list[Recipient]:
    """Who gets a release: the media domain's rule (active outlets, every address, each
    outlet's topics and regions; with the published ``version``, digest and pausing outlets
    get it held for their digest instead). ``defer_links``: the outbox signs each outlet's
    link token when it writes the row (``Recipient.sign_link``)."""
    from pressdesk.media.services import recipients

    return recipients(office, list_ids, release=release, version=version,
                      defer_links=defer_links)


def with_outlet_links(recipients: list[Recipient]) -> list[Recipient]:
    """Follow-up recipients with their per-outlet links; outlets that left are dropped."""
    from pressdesk.media.services import with_links

    return with_links(recipients)


def mail_for(version: ReleaseVersion, kind: str | None = None) -> ReleaseMail:
    """The newspaper mail of a saved version, built from its one presentation."""
    return mail_from(present(version), kind)


def draft_mail(release: Release, desk_files: bool = False) -> ReleaseMail:
    """The newspaper mail of the working text (preview, test mail). ``desk_files``: file links
    on the desk's members-only routes (a test mail goes to members; a draft's public file
    links answer 404)."""
    return mail_from(present_draft(release, desk_files=desk_files))


def thread_id(public_id: str) -> str:
    """The Message-ID-like id every mail of one release names (``delivery.render.thread``)."""
    return f"<pm.{public_id}@{settings().mail_domain}>"


def mail_from(p: PublicRelease, kind: str | None = None) -> ReleaseMail:
    s = settings()
    # While the Sperrfrist runs the public file routes answer 404: outlets get signed links.
    embargoed = p.embargoed_at(p.created_at)
    # A draft is never served on the outlets' signed routes: its own links stay.
    signed = embargoed and not p.draft
    return ReleaseMail(
        office_name=p.office.name, sender_name=p.office.sender_name, from_addr=s.mail_from,
        reply_to=p.reply_to, list_id=f"{p.office.slug}.{s.mail_domain}", headline=p.headline,
        subline=p.subline, dateline=p.dateline, lead=p.lead, body_markdown=p.body_markdown,
        permalink=p.permalink, reference=p.reference, date=p.created_at, kind=kind or p.kind,
        # SPERRFRIST only while it runs: a correction after the embargo must not carry it.
        embargo_until=p.embargo_until if embargoed else None,
        contact_name=p.contact.name, contact_phone=p.contact.phone,
        contact_email=p.contact.email, change_summary=p.change_summary,
        images=tuple(
            MailImage(url=(external_url("release_files.outlet_image", rendition="original",
                                        ext=i.extension, token=sign_file_id(i.id), download=1)
                           if signed else f"{i.original_url}?download=1"),
                      thumb_url=(external_url("release_files.outlet_image", rendition="web",
                                              ext="jpg", token=sign_file_id(i.id))
                                 if signed else i.url),
                      caption=i.caption, credit=i.credit, alt=i.alt, rights=i.rights,
                      width=i.width, height=i.height, format_label=i.format_label)
            for i in p.images
        ),
        thread_id="" if p.draft else thread_id(p.id),
        logo_url=p.office.logo_url,
        logo_width=(round(LOGO_HEIGHT * p.office.logo_width / p.office.logo_height)
                    if p.office.logo_height else 0),
        attachments=tuple(
            MailAttachment(url=(external_url("release_files.outlet_attachment",
                                             token=sign_file_id(a.id), filename=a.filename)
                                if signed else a.url),
                           filename=a.filename, size_bytes=a.size_bytes)
            for a in p.attachments
        ),
        appointment=p.appointment,
    )


def publish_release(release: Release, user: User | None, list_ids: list[int] | None = None
                    ) -> ReleaseVersion:
    """Publish without a role check (beat, demo data, tests): the workflow's transition."""
    from pressdesk.releases import workflow

    return workflow.publish_release(release, user, list_ids)


def duplicate_release(release: Release, user: User | None) -> Release:
    """A new draft with the text, contact, topics, regions, images and attachments of
    ``release`` (any status); numbers, approvals and versions start afresh."""
    from pressdesk.releases import attachments, images

    copy = create_release(release.office, user, {k: getattr(release, k) or "" for k in LIMITS})
    copy.topics, copy.regions = list(release.topics), list(release.regions)
    for img in release.images:
        path = images.image_path(img, "original")
        if path.exists():
            images.add_image(copy, img.filename, path.read_bytes(), img.caption, img.credit,
                             img.alt, img.rights)
    for att in release.attachments:
        path = attachments.attachment_path(att)
        if path.exists():
            attachments.add_attachment(copy, att.filename, path.read_bytes())
    record(release.office_id, user, "release.duplicated", "release", copy.id,
           f"{copy.headline} (Kopie von {release.reference or f'Entwurf {release.id}'})")
    return copy


def delete_draft(release: Release, user: User | None) -> None:
    """Delete a draft that was never published, with its files (the caller checked the role).
    A conditional DELETE: if someone submitted or published it meanwhile, nothing happens."""
    from sqlalchemy import delete

    from pressdesk.releases import attachments, images

    paths = [images.image_path(i, "original").parent for i in release.images] + \
        [attachments.attachment_path(a) for a in release.attachments]
    headline, office_id, release_id = release.headline, release.office_id, release.id
    for img in list(release.images):
        db.session.delete(img)
    for att in list(release.attachments):
        db.session.delete(att)
    release.topics, release.regions = [], []
    db.session.flush()
    result = db.session.execute(
        delete(Release).where(Release.id == release_id,
                              Release.status == ReleaseStatus.DRAFT.value, Release.version == 0)
        .execution_options(synchronize_session=False))
    if getattr(result, "rowcount", 0) != 1:
        raise ReleaseError(_("Die Mitteilung wurde inzwischen geändert. Bitte die Seite neu "
                             "laden."))
    db.session.expunge(release)
    record(office_id, user, "release.deleted", "release", release_id, headline)
    import shutil

    # The files of a draft nobody can reach any more (the request commits right after).
    for p in paths:
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
