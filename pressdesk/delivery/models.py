"""Delivery rows: the outbox. One row per (release version, recipient, kind).

A row is written in the publishing transaction with its Message-ID fixed; broker messages only
wake workers up. States: queued -> sending -> sent | retrying -> ... | failed | suppressed.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pressdesk.db import Base, UTCDateTime, utcnow
from pressdesk.releases.models import ReleaseVersion


class DeliveryState(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    CANCELLED = "cancelled"


PENDING_STATES = (DeliveryState.QUEUED.value, DeliveryState.RETRYING.value)


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("version_id", "email", "kind"),
        Index("ix_deliveries_due", "state", "next_attempt_at"),
        Index("ix_deliveries_version_state", "version_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("release_versions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20), default="outlet")  # outlet | reader
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlets.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(20), default=DeliveryState.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    # Reader mail only: the one-click unsubscribe URL for List-Unsubscribe (RFC 8058).
    unsubscribe_url: Mapped[str] = mapped_column(String(500), default="")
    # A message rendered for this row alone (e.g. a digest); else the version's shared bytes.
    payload: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    version: Mapped[ReleaseVersion] = relationship(lazy="joined")
