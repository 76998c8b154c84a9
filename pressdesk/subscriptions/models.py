"""Reader subscriptions, the consent record, the request throttle and the alert log."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pressdesk.db import Base, UTCDateTime, utcnow
from pressdesk.offices.models import Office
from pressdesk.releases.models import Region, Topic


class SubscriberStatus(enum.StrEnum):
    PENDING = "pending"  # asked, not yet confirmed: nothing is sent but the confirmation
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"


class Frequency(enum.StrEnum):
    INSTANT = "instant"
    DAILY = "daily"


subscriber_offices = Table(
    "subscriber_offices",
    Base.metadata,
    Column("subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE"),
           primary_key=True),
    Column("office_id", Integer, ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True),
)
subscriber_topics = Table(
    "subscriber_topics",
    Base.metadata,
    Column("subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE"),
           primary_key=True),
    Column("topic_id", Integer, ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
)
subscriber_regions = Table(
    "subscriber_regions",
    Base.metadata,
    Column("subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE"),
           primary_key=True),
    Column("region_id", Integer, ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
)


class Subscriber(Base):
    """One reader address with what it follows: offices, topics, regions and/or a saved
    search."""

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=SubscriberStatus.PENDING.value,
                                        index=True)
    frequency: Mapped[str] = mapped_column(String(20), default=Frequency.INSTANT.value)
    query: Mapped[str] = mapped_column(String(200), default="")
    # Changes with every request; a confirmation/manage mail task only sends for the latest one.
    request_nonce: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    offices: Mapped[list[Office]] = relationship(secondary=subscriber_offices, lazy="selectin",
                                                 order_by="Office.name")
    topics: Mapped[list[Topic]] = relationship(secondary=subscriber_topics, lazy="selectin",
                                               order_by="Topic.name")
    regions: Mapped[list[Region]] = relationship(secondary=subscriber_regions, lazy="selectin",
                                                 order_by="Region.name")


class ConsentRecord(Base):
    """What the reader agreed to (the exact text shown), when and from which address (DSGVO)."""

    __tablename__ = "subscription_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"),
                                               index=True)
    action: Mapped[str] = mapped_column(String(20))  # requested|confirmed|changed|unsubscribed
    text: Mapped[str] = mapped_column(Text, default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AlertRun(Base):
    """Instant alerts were queued for this version: unique, so they are queued once only."""

    __tablename__ = "alert_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("release_versions.id", ondelete="CASCADE"), unique=True)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
