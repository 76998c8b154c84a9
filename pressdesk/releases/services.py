"""Release operations: write, update, publish. Views and the demo loader call these."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from pressdesk import addresses, tokens
from pressdesk.accounts.models import User
from pressdesk.audit.services import record
from pressdesk.config import settings
from pressdesk.db import utcnow
from pressdesk.delivery.queue import Recipient, enqueue
from pressdesk.delivery.render import (
    MailAttachment,
    MailImage,
    ReleaseMail,
    render_message,
    shared_bytes,
)
from pressdesk.extensions import db
from pressdesk.offices.models import Office
from pressdesk.releases.models import Release, ReleaseStatus, ReleaseVersion
from pressdesk.releases.presenter import (  # noqa: F401 - image_url, permalink: shared names
    PublicRelease,
    image_url,
    permalink,
    present,
    present_draft,
)
from pressdesk.releases.variants import with_variants
from pressdesk.signals import release_changed, release_public, send_after_commit
from pressdesk.text import dateline, has_line_break, one_line, slugify
from pressdesk.urls import external_url


class ReleaseError(ValueError):
    """A release operation that cannot be done; the message is for the user."""


SINGLE_LINE_FIELDS = ("headline", "subline", "dateline_place", "contact_name", "contact_phone",
                      "contact_email")
LIMITS = {"headline": 300, "subline": 300, "dateline_place": 120, "lead": 5000, "body": 200_000,
          "contact_name": 200, "contact_phone": 80, "contact_email": 254}
LABELS = {"headline": "Überschrift", "subline": "Unterzeile", "dateline_place": "Ort",
          "lead": "Vorspann", "body": "Text", "contact_name": "Ansprechperson",
          "contact_phone": "Telefon", "contact_email": "E-Mail (Kontakt)"}


def clean_fields(data: dict[str, str]) -> dict[str, str]:
    """Validate user text. Line breaks in one-line fields are refused, not silently joined."""
    out: dict[str, str] = {}
    for name, limit in LIMITS.items():
        value = (data.get(name) or "").strip()
        label = LABELS[name]
        if name in SINGLE_LINE_FIELDS and has_line_break(value):
            raise ReleaseError(f"Das Feld „{label}“ darf keinen Zeilenumbruch enthalten.")
        if len(value) > limit:
            raise ReleaseError(f"Das Feld „{label}“ ist zu lang (höchstens {limit} Zeichen).")
        out[name] = value
    if not out["headline"]:
        raise ReleaseError("Die Überschrift fehlt.")
    if out["contact_email"]:
        try:
            out["contact_email"] = addresses.normalise(out["contact_email"])
        except addresses.InvalidAddress as exc:
            raise ReleaseError("Die E-Mail-Adresse des Kontakts ist ungültig.") from exc
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
        raise ReleaseError("Eine zurückgezogene Mitteilung kann nicht mehr bearbeitet werden.")
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


def recipients_for(office: Office, list_ids: list[int] | None) -> list[Recipient]:
    """Who gets a release: the media domain's rule (active outlets, every address)."""
    from pressdesk.media.services import recipients

    return recipients(office, list_ids)


def mail_for(version: ReleaseVersion, kind: str | None = None) -> ReleaseMail:
    """The newspaper mail of a saved version, built from its one presentation."""
    return mail_from(present(version), kind)


def draft_mail(release: Release) -> ReleaseMail:
    """The newspaper mail of the working text (preview, test mail)."""
    return mail_from(present_draft(release))


def mail_from(p: PublicRelease, kind: str | None = None) -> ReleaseMail:
    s = settings()
    # While the Sperrfrist runs the public file routes answer 404: outlets get signed links.
    embargoed = p.embargoed_at(p.created_at)
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
                                        ext=i.extension, token=sign_file_id(i.id))
                           if embargoed else i.original_url),
                      caption=i.caption, credit=i.credit, alt=i.alt, rights=i.rights,
                      width=i.width, height=i.height, format_label=i.format_label)
            for i in p.images
        ),
        attachments=tuple(
            MailAttachment(url=(external_url("release_files.outlet_attachment",
                                             token=sign_file_id(a.id), filename=a.filename)
                                if embargoed else a.url),
                           filename=a.filename, size_bytes=a.size_bytes)
            for a in p.attachments
        ),
    )


def _next_number(office_id: int, year: int) -> int:
    current = db.session.scalar(
        select(func.max(Release.number)).where(Release.office_id == office_id, Release.year == year)
    )
    return (current or 0) + 1


def publish_release(release: Release, user: User | None, list_ids: list[int] | None = None
                    ) -> ReleaseVersion:
    """Freeze a version, render its email once, queue one delivery per outlet; one transaction.

    A second publish of the same text (a double click) finds the version counter moved and is
    refused, so there is only ever one set of deliveries.
    """
    if release.status in (ReleaseStatus.PUBLISHED.value, ReleaseStatus.WITHDRAWN.value):
        raise ReleaseError("Diese Mitteilung ist bereits veröffentlicht.")
    office = release.office
    now = utcnow()
    expected = release.version
    moved = db.session.execute(
        update(Release).where(Release.id == release.id, Release.version == expected,
                              Release.status != ReleaseStatus.PUBLISHED.value)
        .values(version=expected + 1, status=ReleaseStatus.PUBLISHED.value, published_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        db.session.rollback()
        raise ReleaseError("Diese Mitteilung wurde gerade schon veröffentlicht.")
    release.version, release.status, release.published_at = expected + 1, "published", now
    if release.number is None:
        release.year = now.year
        release.number = _next_number(office.id, now.year)
        release.slug = slugify(release.headline)
    version = ReleaseVersion(
        release_id=release.id, version=release.version, kind="publish",
        headline=one_line(release.headline), subline=one_line(release.subline),
        dateline=dateline(release.dateline_place, now), lead=release.lead, body=release.body,
        created_by_id=user.id if user else None, created_at=now,
    )
    version.release = release
    db.session.add(version)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise ReleaseError("Diese Mitteilung wurde gerade schon veröffentlicht.") from exc
    version.mail_bytes = shared_bytes(render_message(mail_for(version), current_app.jinja_env))
    enqueue(version, with_variants(version, recipients_for(office, list_ids)))
    record(office.id, user, "release.published", "release", release.id,
           f"{release.reference}: {release.headline}")
    if release.embargo_until is None or release.embargo_until <= now:
        release.went_public_at = now
        send_after_commit(release_public, release_id=release.id, version_id=version.id)
    send_after_commit(release_changed, release_id=release.id, office_id=office.id)
    db.session.commit()
    return version
