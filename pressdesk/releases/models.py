"""Releases and their published versions.

The ``Release`` row holds the working text; each publication (first publish, correction,
withdrawal) freezes a ``ReleaseVersion``. Deliveries point at a version, never at the
mutable release, so what a newspaper got can always be shown exactly.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from pressdesk.db import Base, UTCDateTime, utcnow
from pressdesk.offices.models import Office


class ReleaseStatus(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


def new_public_id() -> str:
    return uuid.uuid4().hex


release_topics = Table(
    "release_topics",
    Base.metadata,
    Column("release_id", Integer, ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", Integer, ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
)
release_regions = Table(
    "release_regions",
    Base.metadata,
    Column("release_id", Integer, ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", Integer, ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
)


class VocabularyTerm:
    """A per-office vocabulary entry: topics ("Wirtschaft", "Verkehr") and regions
    ("Rheiderland", "Borkum") are the same shape, one table each."""

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(120))

    @declared_attr.directive
    def __table_args__(cls) -> tuple[UniqueConstraint]:  # noqa: N805 - SQLAlchemy's signature
        return (UniqueConstraint("office_id", "slug"),)


class Topic(VocabularyTerm, Base):
    __tablename__ = "topics"


class Region(VocabularyTerm, Base):
    __tablename__ = "regions"


class Release(Base):
    __tablename__ = "releases"
    __table_args__ = (UniqueConstraint("office_id", "year", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    # Running number per office and year ("PM 12/2026"); assigned at first publication.
    year: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[int | None] = mapped_column(Integer)
    slug: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(20), default=ReleaseStatus.DRAFT.value, index=True)
    headline: Mapped[str] = mapped_column(String(300))
    subline: Mapped[str] = mapped_column(String(300), default="")
    dateline_place: Mapped[str] = mapped_column(String(120), default="")
    lead: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=0)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Sperrfrist: outlets get the release at once; the public only from this moment on.
    embargo_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Publish later (done by beat).
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # When the release became visible to the public (and reader alerts were queued); None while
    # a draft, scheduled or under embargo.
    went_public_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # desk workflow: the press contact of this release (defaults from the office),
    # who submitted and approved it, and the lists a scheduled publication goes to.
    contact_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    contact_phone: Mapped[str] = mapped_column(String(80), default="", server_default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    publish_list_ids: Mapped[list[int] | None] = mapped_column(JSON)
    # Everyone who wrote the working text (creator, editors, uploaders): under 4-eyes none of
    # them may approve it.
    author_ids: Mapped[list[int] | None] = mapped_column(JSON)
    # Under 4-eyes a correction waits here for a second person (the text is the working text;
    # the portal keeps showing the last version until it is sent).
    correction_pending_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    correction_requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    # Why the last scheduled publication failed (shown on the desk); "" when it did not.
    publish_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Why a publisher gave the text back, for its author; cleared when it is submitted again.
    return_comment: Mapped[str] = mapped_column(Text, default="", server_default="")

    office: Mapped[Office] = relationship(lazy="joined")
    versions: Mapped[list[ReleaseVersion]] = relationship(
        back_populates="release", order_by="ReleaseVersion.version", cascade="all, delete-orphan"
    )
    topics: Mapped[list[Topic]] = relationship(secondary=release_topics, lazy="selectin",
                                               order_by="Topic.name")
    regions: Mapped[list[Region]] = relationship(secondary=release_regions, lazy="selectin",
                                                 order_by="Region.name")
    images: Mapped[list[ReleaseImage]] = relationship(
        back_populates="release", order_by="ReleaseImage.position", cascade="all, delete-orphan",
        lazy="selectin",
    )
    attachments: Mapped[list[ReleaseAttachment]] = relationship(
        back_populates="release", order_by="ReleaseAttachment.id", cascade="all, delete-orphan",
        lazy="selectin",
    )

    def authors(self) -> set[int]:
        ids = set(self.author_ids or ())
        if self.created_by_id is not None:
            ids.add(self.created_by_id)
        return ids

    def add_author(self, user_id: int | None) -> None:
        if user_id is not None and user_id not in self.authors():
            self.author_ids = sorted(self.authors() | {user_id})

    @property
    def reference(self) -> str:
        """The office's running number, "PM 12/2026", once published."""
        if self.number is None:
            return ""
        return f"PM {self.number}/{self.year}"


class ReleaseVersion(Base):
    __tablename__ = "release_versions"
    __table_args__ = (UniqueConstraint("release_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"),
                                            index=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20), default="publish")  # publish|correction|withdrawal
    headline: Mapped[str] = mapped_column(String(300))
    subline: Mapped[str] = mapped_column(String(300), default="")
    dateline: Mapped[str] = mapped_column(String(200), default="")
    lead: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The shared part of the newspaper email, rendered once at publication (CRLF, SMTP policy).
    mail_bytes: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # The shared part of the reader alert email (kind "reader" deliveries), when rendered.
    reader_mail_bytes: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # Corrections and withdrawals: what changed, as sent to the outlets.
    change_summary: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Who wrote the text of this version (see ``Release.author_ids``).
    author_ids: Mapped[list[int] | None] = mapped_column(JSON)

    release: Mapped[Release] = relationship(back_populates="versions", lazy="joined")


class ReleaseTemplate(Base):
    """A text an office starts releases from ("Einladung zum Pressetermin", ...); the built-in
    ones live in ``releases.templates`` and need no row."""

    __tablename__ = "release_templates"
    __table_args__ = (UniqueConstraint("office_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    headline: Mapped[str] = mapped_column(String(300), default="")
    subline: Mapped[str] = mapped_column(String(300), default="")
    lead: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReleaseImage(Base):
    __tablename__ = "release_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"),
                                            index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(60), default="image/jpeg")
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    caption: Mapped[str] = mapped_column(Text, default="")
    credit: Mapped[str] = mapped_column(String(200), default="")
    alt: Mapped[str] = mapped_column(String(300), default="")
    rights: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    release: Mapped[Release] = relationship(back_populates="images")


class ReleaseAttachment(Base):
    """A PDF or office document sent along with a release (content checked at upload)."""

    __tablename__ = "release_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"),
                                            index=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    release: Mapped[Release] = relationship(back_populates="attachments")
