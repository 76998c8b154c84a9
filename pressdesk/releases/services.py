"""Release operations: write, update, publish. Views and the demo loader call these."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

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
            out["contact_email"] = validate_email(out["contact_email"],
                                                  check_deliverability=False).normalized
        except EmailNotValidError as exc:
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


def permalink(release: Release) -> str:
    if release.number is None:  # a draft (preview, test mail): no public address yet
        return ""
    return external_url("portal.release", office_slug=release.office.slug, year=release.year,
                        number=release.number, slug=release.slug)


def _outlet_serializer():  # type: ignore[no-untyped-def]
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(settings().secret_key, salt="pressdesk.outlet-files")


def sign_file_id(public_id: str) -> str:
    """A token for the outlets' links to images and attachments of an embargoed release: the
    public routes serve only what the public may see, these links work for any published one."""
    return _outlet_serializer().dumps(public_id)


def unsign_file_id(token: str) -> str | None:
    from itsdangerous import BadSignature

    try:
        return str(_outlet_serializer().loads(token))
    except BadSignature:
        return None


def image_url(public_id: str, rendition: str) -> str:
    return external_url("portal.image", public_id=public_id, rendition=rendition)


def recipients_for(office: Office, list_ids: list[int] | None) -> list[Recipient]:
    """Who gets a release: the media domain's rule (active outlets, every address)."""
    from pressdesk.media.services import recipients

    return recipients(office, list_ids)


def mail_for(version: ReleaseVersion, kind: str = "publish") -> ReleaseMail:
    release, office = version.release, version.release.office
    s = settings()
    # While the Sperrfrist runs the public file routes answer 404: outlets get signed links.
    embargoed = release.embargo_until is not None and release.embargo_until > version.created_at
    return ReleaseMail(
        office_name=office.name, sender_name=office.sender_name or office.name,
        from_addr=s.mail_from, reply_to=release.contact_email or office.contact_email,
        list_id=f"{office.slug}.{s.mail_domain}", headline=version.headline,
        subline=version.subline, dateline=version.dateline, lead=version.lead,
        body_markdown=version.body, permalink=permalink(release), reference=release.reference,
        date=version.created_at, kind=kind,
        # SPERRFRIST only while it runs: a correction after the embargo must not carry it.
        embargo_until=release.embargo_until if embargoed else None,
        contact_name=release.contact_name or office.contact_name,
        contact_phone=release.contact_phone or office.contact_phone,
        contact_email=release.contact_email or office.contact_email,
        images=tuple(
            MailImage(url=(external_url("release_files.outlet_image", rendition="original",
                                        token=sign_file_id(i.public_id)) if embargoed
                           else image_url(i.public_id, "original")),
                      caption=i.caption, credit=i.credit,
                      alt=i.alt, rights=i.rights, width=i.width, height=i.height)
            for i in release.images
        ),
        attachments=tuple(
            MailAttachment(url=(external_url("release_files.outlet_attachment",
                                             token=sign_file_id(a.public_id), filename=a.filename)
                                if embargoed else
                                external_url("release_files.public_attachment",
                                             public_id=a.public_id, filename=a.filename)),
                           filename=a.filename, size_bytes=a.size_bytes)
            for a in release.attachments
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
