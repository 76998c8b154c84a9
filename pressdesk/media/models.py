"""The media an office sends to: outlets (newspapers, magazines, ...) and distribution lists."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pressdesk.db import Base, UTCDateTime, utcnow
from pressdesk.releases.models import Region, Topic


class OutletKind(enum.StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    ONLINE = "online"
    RADIO = "radio"
    TV = "tv"
    AGENCY = "agency"


list_outlets = Table(
    "list_outlets",
    Base.metadata,
    Column("list_id", Integer, ForeignKey("distribution_lists.id", ondelete="CASCADE"),
           primary_key=True),
    Column("outlet_id", Integer, ForeignKey("outlets.id", ondelete="CASCADE"), primary_key=True),
)


# The newsroom formats an outlet can have attached: name -> label.
ATTACH_FORMATS = {"newsml": "NewsML-G2", "ninjs": "ninjs (JSON)", "nitf": "NITF"}


class Outlet(Base):
    __tablename__ = "outlets"
    __table_args__ = (UniqueConstraint("office_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default=OutletKind.DAILY.value)
    email: Mapped[str] = mapped_column(String(254))
    # Further addresses of the same outlet (one per line), normalised like ``email``.
    extra_emails: Mapped[str] = mapped_column(Text, default="", server_default="")
    region: Mapped[str] = mapped_column(String(120), default="")
    # Images as links (default) or as attachments up to the cap.
    prefers_attachments: Mapped[bool] = mapped_column(Boolean, default=False)
    max_attachment_kb: Mapped[int] = mapped_column(Integer, default=10240)
    # A newsroom format attached to every mail for the outlet's editorial system to ingest
    # ("" none, else a name of ``ATTACH_FORMATS``).
    attach_format: Mapped[str] = mapped_column(String(20), default="", server_default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the outlet left the list itself (preference page or one-click): nothing more is
    # sent, follow-ups (corrections, withdrawals) included.
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The person behind the address (a sign-up names them) and their role.
    person_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    person_role: Mapped[str] = mapped_column(String(120), default="", server_default="")
    # The outlet's own choices (preference page): the text part only, no HTML.
    text_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # None: each release at once; 0-23: one daily digest at that hour (Europe/Berlin).
    digest_hour: Mapped[int | None] = mapped_column(Integer)
    # A pause over whole days (Europe/Berlin, both included); afterwards what was missed comes
    # as one digest (``pause_digest``) or not at all.
    pause_from: Mapped[date | None] = mapped_column(Date)
    pause_until: Mapped[date | None] = mapped_column(Date)
    pause_digest: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Marked for the office to look at: "bounce" (hard bounce), "left" (the person left), ...
    review_reason: Mapped[str] = mapped_column(String(40), default="", server_default="")
    review_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    review_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Signs of life: the preference page opened, "still the right contact" confirmed.
    prefs_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    yearly_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    topics: Mapped[list[Topic]] = relationship(secondary="outlet_topics", lazy="selectin")
    regions: Mapped[list[Region]] = relationship(secondary="outlet_regions", lazy="selectin")

    @property
    def extra_list(self) -> list[str]:
        return [a for a in (self.extra_emails or "").split() if a]

    @property
    def addresses(self) -> list[str]:
        """The primary address first, then the extra ones."""
        return [self.email, *self.extra_list]


class DistributionList(Base):
    __tablename__ = "distribution_lists"
    __table_args__ = (UniqueConstraint("office_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)

    # Loaded when asked for: a national list holds 100,000 outlets, and every page that
    # shows the lists (names, counts) would otherwise load all of them as objects.
    outlets: Mapped[list[Outlet]] = relationship(secondary=list_outlets)


outlet_topics = Table(
    "outlet_topics",
    Base.metadata,
    Column("outlet_id", Integer, ForeignKey("outlets.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", Integer, ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
)

outlet_regions = Table(
    "outlet_regions",
    Base.metadata,
    Column("outlet_id", Integer, ForeignKey("outlets.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", Integer, ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
)


class HeldRelease(Base):
    """A release kept for an outlet's next digest (daily digest, or a pause to be caught up)."""

    __tablename__ = "outlet_held_releases"
    __table_args__ = (UniqueConstraint("outlet_id", "release_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id", ondelete="CASCADE"), index=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"))
    # The version published when it was held; the digest sends the release's current one.
    version_id: Mapped[int] = mapped_column(ForeignKey("release_versions.id", ondelete="CASCADE"))
    held_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SignupStatus(enum.StrEnum):
    PENDING = "pending"  # the double opt-in mail is out
    CONFIRMED = "confirmed"  # the address is confirmed; the office decides
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Signup(Base):
    """A journalist's request to be put on an office's press list, and its consent record:
    what they asked for, the text they were shown, when they confirmed, who decided."""

    __tablename__ = "outlet_signups"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=SignupStatus.PENDING.value)
    outlet_name: Mapped[str] = mapped_column(String(200))
    person_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(254))  # normalised
    # Wanted topics and regions of the office (ids, space-separated; empty: all).
    topic_ids: Mapped[str] = mapped_column(Text, default="")
    region_ids: Mapped[str] = mapped_column(Text, default="")
    consent_text: Mapped[str] = mapped_column(Text)  # exactly what the form showed
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_by_name: Mapped[str] = mapped_column(String(200), default="")
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlets.id", ondelete="SET NULL"))

    @property
    def topic_list(self) -> list[int]:
        return [int(x) for x in (self.topic_ids or "").split() if x.isdigit()]

    @property
    def region_list(self) -> list[int]:
        return [int(x) for x in (self.region_ids or "").split() if x.isdigit()]


class OutletSettings(Base):
    """An office's choices about its press list (absent row = the defaults)."""

    __tablename__ = "outlet_settings"

    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"),
                                           primary_key=True)
    # Journalists may ask to be put on the list from the office's portal page.
    signups_open: Mapped[bool] = mapped_column(Boolean, default=True)
    # Once a year each outlet gets "are you still the right contact?" with a confirm link.
    yearly_check: Mapped[bool] = mapped_column(Boolean, default=False)
