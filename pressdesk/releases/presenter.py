"""The one presentation of a release to the outside world.

:func:`present` turns a frozen version into a :class:`PublicRelease`: a frozen value of plain
strings, numbers and datetimes that the newspaper mail, the portal page, the API, the feeds and
the reader alerts all read. The contact rule, the dateline, the image and attachment lists with
their public URLs, the permalink and the public time exist here and nowhere else.

Nothing inside the value is an ORM object, so it can be cached, compared, serialised and handed
to a pure renderer without lazy loads or session surprises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy import ColumnElement, func

from pressdesk.db import utcnow
from pressdesk.invitations.values import PublicAppointment, appointment_for
from pressdesk.releases.markup import render_markdown
from pressdesk.releases.models import Release, ReleaseVersion
from pressdesk.text import dateline, one_line
from pressdesk.urls import external_url

# The file extension of an original by its real (sniffed) content type; renditions are JPEG.
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png"}
RENDITIONS = ("web", "original")


@dataclass(frozen=True)
class Named:
    """A topic or region (or an office): the slug for URLs, the name for people."""

    slug: str
    name: str


@dataclass(frozen=True)
class Contact:
    name: str = ""
    phone: str = ""
    email: str = ""

    def __bool__(self) -> bool:
        return bool(self.name or self.phone or self.email)


@dataclass(frozen=True)
class PublicOffice:
    slug: str
    name: str
    sender_name: str
    contact_email: str  # where replies go when the release names no contact address
    logo_url: str = ""  # the office's logo (offices/logo.py), "" without one
    logo_width: int = 0
    logo_height: int = 0


@dataclass(frozen=True)
class Rendition:
    name: str  # "web" (JPEG, 1200 px wide at most) or "original" (as uploaded)
    url: str
    content_type: str
    extension: str


@dataclass(frozen=True)
class PublicImage:
    id: str  # the image's public id (stable; used in its URLs)
    position: int
    filename: str
    caption: str
    credit: str
    alt: str
    rights: str
    width: int
    height: int
    content_type: str  # of the original, judged by its bytes
    extension: str  # of the original: "jpg" or "png"
    size_bytes: int
    url: str  # the web rendition
    original_url: str
    renditions: tuple[Rendition, ...] = ()

    @property
    def format_label(self) -> str:
        """ "JPG" or "PNG": what a newspaper gets when it downloads the original."""
        return self.extension.upper()


@dataclass(frozen=True)
class PublicAttachment:
    id: str
    filename: str
    content_type: str
    size_bytes: int
    url: str


@dataclass(frozen=True)
class VersionEntry:
    """One line of the release's history (publish, corrections, withdrawal)."""

    version: int
    kind: str
    headline: str
    created_at: datetime
    change_summary: str = ""


@dataclass(frozen=True)
class PublicRelease:
    id: str  # the release's public id (API, tag URIs)
    release_id: int  # the database id, for joins on the server side only (never shown)
    version_id: int | None  # None for a draft presentation (preview, test mail)
    version: int
    kind: str  # publish | correction | withdrawal (a draft presentation says "publish")
    status: str
    reference: str  # "PM 12/2026"; "" for an unpublished draft
    year: int | None
    number: int | None
    slug: str
    office: PublicOffice
    headline: str
    subline: str
    dateline: str  # "Leer, 23.11.2026"
    lead: str
    body_markdown: str
    body_html: str  # sanitised (markupsafe.Markup): safe to put on a page as is
    contact: Contact
    reply_to: str  # the contact's address, else the office's
    permalink: str  # the public URL; "" while there is none (an unnumbered draft)
    published: datetime  # the PUBLIC time: when the release became (or becomes) public
    updated: datetime  # the version's time, never before ``published``
    created_at: datetime  # the version's own time (a mail's Date; may precede ``published``)
    published_at: datetime | None  # when the publish button was pressed (desk only)
    embargo_until: datetime | None
    withdrawn_at: datetime | None
    change_summary: str = ""
    topics: tuple[Named, ...] = ()
    regions: tuple[Named, ...] = ()
    images: tuple[PublicImage, ...] = ()
    attachments: tuple[PublicAttachment, ...] = ()
    history: tuple[VersionEntry, ...] = field(default_factory=tuple)
    draft: bool = False
    # The press appointment of an invitation (``invitations.values.PublicAppointment``).
    appointment: PublicAppointment | None = None

    def embargoed_at(self, when: datetime | None = None) -> bool:
        """Whether the Sperrfrist still runs at ``when`` (default: now)."""
        return self.embargo_until is not None and self.embargo_until > (when or utcnow())


class VersionLike(Protocol):
    """What :func:`present` reads of a version (a saved one, or the working text)."""

    @property
    def release(self) -> Release: ...
    @property
    def version(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def headline(self) -> str: ...
    @property
    def subline(self) -> str: ...
    @property
    def dateline(self) -> str: ...
    @property
    def lead(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def change_summary(self) -> str: ...


# --- the rules, each once ---------------------------------------------------------------------


def contact_of(release: Release) -> Contact:
    """The one contact rule: the release's own contact, or else the office's (as a whole, so a
    person's name never stands above another person's phone number)."""
    own = Contact(release.contact_name, release.contact_phone, release.contact_email)
    if own:
        return own
    o = release.office
    return Contact(o.contact_name, o.contact_phone, o.contact_email)


def public_time(release: Release) -> datetime | None:
    """When the release became public (or will, under a running Sperrfrist); None for a draft."""
    return release.went_public_at or release.embargo_until or release.published_at


def public_time_column() -> ColumnElement[datetime]:
    """:func:`public_time` as SQL, for ``since=``, ordering and alert windows."""
    return func.coalesce(Release.went_public_at, Release.embargo_until, Release.published_at)


def permalink(release: Release) -> str:
    if release.number is None:  # a draft (preview, test mail): no public address yet
        return ""
    return external_url("portal.release", office_slug=release.office.slug, year=release.year,
                        number=release.number, slug=release.slug)


def image_extension(content_type: str, rendition: str) -> str:
    return EXTENSIONS.get(content_type, "jpg") if rendition == "original" else "jpg"


def image_url(public_id: str, rendition: str, content_type: str = "image/jpeg",
              endpoint: str = "portal.image") -> str:
    """The URL of an image rendition, with the extension of its real content type."""
    return external_url(endpoint, public_id=public_id, rendition=rendition,
                        ext=image_extension(content_type, rendition))


def attachment_url(public_id: str, filename: str) -> str:
    return external_url("release_files.public_attachment", public_id=public_id,
                        filename=filename)


# --- the value --------------------------------------------------------------------------------


def _images(release: Release, endpoint: str) -> tuple[PublicImage, ...]:
    out = []
    for i in release.images:
        rends = tuple(
            Rendition(name=r, url=image_url(i.public_id, r, i.content_type, endpoint),
                      content_type="image/jpeg" if r == "web" else i.content_type,
                      extension=image_extension(i.content_type, r))
            for r in RENDITIONS)
        out.append(PublicImage(
            id=i.public_id, position=i.position, filename=i.filename, caption=i.caption,
            credit=i.credit, alt=i.alt, rights=i.rights, width=i.width, height=i.height,
            content_type=i.content_type, extension=rends[1].extension, size_bytes=i.size_bytes,
            url=rends[0].url, original_url=rends[1].url, renditions=rends))
    return tuple(out)


def _build(v: VersionLike, version_id: int | None, draft: bool, image_endpoint: str
           ) -> PublicRelease:
    from pressdesk.offices.logo import logo_url

    release, office = v.release, v.release.office
    contact = contact_of(release)
    created = v.created_at
    published = public_time(release) or created
    return PublicRelease(
        id=release.public_id, release_id=release.id, version_id=version_id, version=v.version,
        kind=v.kind, status=release.status, reference=release.reference, year=release.year,
        number=release.number, slug=release.slug,
        office=PublicOffice(slug=office.slug, name=office.name,
                            sender_name=office.sender_name or office.name,
                            contact_email=office.contact_email, logo_url=logo_url(office),
                            logo_width=office.logo_width, logo_height=office.logo_height),
        headline=v.headline, subline=v.subline, dateline=v.dateline, lead=v.lead,
        body_markdown=v.body, body_html=render_markdown(v.body), contact=contact,
        reply_to=contact.email or office.contact_email, permalink=permalink(release),
        published=published, updated=max(created, published), created_at=created,
        published_at=release.published_at,
        embargo_until=release.embargo_until, withdrawn_at=release.withdrawn_at,
        change_summary=v.change_summary or "",
        topics=tuple(Named(t.slug, t.name) for t in release.topics),
        regions=tuple(Named(g.slug, g.name) for g in release.regions),
        images=_images(release, image_endpoint),
        attachments=tuple(
            PublicAttachment(id=a.public_id, filename=a.filename, content_type=a.content_type,
                             size_bytes=a.size_bytes,
                             url=(external_url("releases.desk_attachment", public_id=a.public_id)
                                  if image_endpoint == "releases.desk_image"
                                  else attachment_url(a.public_id, a.filename)))
            for a in release.attachments),
        history=tuple(VersionEntry(x.version, x.kind, x.headline, x.created_at,
                                   x.change_summary or "")
                      for x in release.versions),
        draft=draft,
        appointment=appointment_for(v, version_id, v.headline, permalink(release)),
    )


def present(version: ReleaseVersion) -> PublicRelease:
    """The public presentation of a saved version (what the outlets got, what the portal
    shows). Images and attachments, topics and regions are the release's current ones."""
    return _build(version, version.id, draft=False, image_endpoint="portal.image")


@dataclass(frozen=True)
class _WorkingText:
    """The release's working text in the shape of a version (never saved)."""

    release: Release
    version: int
    kind: str
    headline: str
    subline: str
    dateline: str
    lead: str
    body: str
    created_at: datetime
    change_summary: str = ""


def working_text(release: Release) -> _WorkingText:
    when = release.published_at or release.scheduled_at or utcnow()
    return _WorkingText(release=release, version=release.version, kind="publish",
                        headline=one_line(release.headline), subline=one_line(release.subline),
                        dateline=dateline(release.dateline_place, when), lead=release.lead,
                        body=release.body, created_at=utcnow())


def present_draft(release: Release, desk_files: bool = False) -> PublicRelease:
    """The working text presented as it would be published (preview, test mail).

    ``desk_files`` points image and attachment URLs at the desk's members-only routes, which
    also serve the files of drafts (the public routes answer 404 until the release is public).
    """
    return _build(working_text(release), None, draft=True,
                  image_endpoint="releases.desk_image" if desk_files else "portal.image")
