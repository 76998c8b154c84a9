"""Delivery rows: the outbox. One row per (release version, recipient, kind).

A row is written in the publishing transaction with its Message-ID fixed; broker messages only
wake workers up. States: queued -> sending -> sent | retrying -> ... | failed; suppressed (address
on the office's suppression list when queued); bounced (a DSN arrived later); cancelled.

Also here: the per-office ``Suppression`` list, the per-version ``SendControl`` (pause/cancel),
shared message ``MessageVariant``s (e.g. images attached) and per-relay ``RelayState`` (rate
limit slots and the run of consecutive errors for auto-pause).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Executable,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pressdesk.db import Base, UTCDateTime, utcnow
from pressdesk.extensions import db
from pressdesk.releases.models import ReleaseVersion


class DeliveryState(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    CANCELLED = "cancelled"
    BOUNCED = "bounced"


class Kind(enum.StrEnum):
    """Who a row is for. Only outlet rows belong to the press office; reader mail is the
    platform's (its addresses, states and errors are never shown to an office)."""

    OUTLET = "outlet"  # a newspaper on the office's lists
    READER = "reader"  # an instant alert to a reader
    DIGEST = "digest"  # a reader's daily digest, rendered for that reader alone
    SERVICE = "service"  # a reader's double opt-in or preferences-link mail (no release version)
    OUTLET_DIGEST = "outlet_digest"  # an outlet's digest of held releases, rendered for it alone


READER_KINDS = (Kind.READER.value, Kind.DIGEST.value, Kind.SERVICE.value)

PENDING_STATES = (DeliveryState.QUEUED.value, DeliveryState.RETRYING.value)
# States in which nothing more will happen to a row.
FINAL_STATES = (DeliveryState.SENT.value, DeliveryState.FAILED.value,
                DeliveryState.SUPPRESSED.value, DeliveryState.CANCELLED.value,
                DeliveryState.BOUNCED.value)


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("version_id", "email", "kind"),
        Index("ix_deliveries_due", "state", "next_attempt_at"),
        Index("ix_deliveries_version_state", "version_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Both empty for service mail (double opt-in, preference links): platform mail of no release.
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"),
                                                  index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("release_versions.id",
                                                              ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20), default=Kind.OUTLET.value)  # a Kind
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
    # Which shared message this row gets: "" (the kind's bytes) or a MessageVariant name.
    variant: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # Random per claim: a worker only extends or marks rows it still holds.
    claim_token: Mapped[str] = mapped_column(String(32), default="", server_default="")
    # Outlet mail: the signed per-outlet link token put into the body where the shared mail
    # has ``render.LINK_TOKEN_MARK`` ("" = none).
    link_token: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # When the last attempt ended (sent, failed, retry scheduled, bounced).
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    version: Mapped[ReleaseVersion | None] = relationship(lazy="joined")


class OutboxChunk(Base):
    """Recipients of a long list not yet written as delivery rows (``enqueue`` writes the first
    rows at once and the rest as chunks in the same transaction). A sender turns one chunk
    into rows and deletes it in one transaction, so a worker dying between chunks loses none
    and writes none twice."""

    __tablename__ = "outbox_chunks"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("release_versions.id", ondelete="CASCADE"),
                                            index=True)
    kind: Mapped[str] = mapped_column(String(20))
    # zlib-compressed JSON: {"f": [Recipient field names], "r": [[values], ...]}
    recipients: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Suppression(Base):
    """An address the office no longer sends to (5xx answer, bounce, or by hand)."""

    __tablename__ = "suppressions"
    __table_args__ = (UniqueConstraint("office_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))  # stored lower-case
    reason: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20), default="smtp")  # smtp | bounce | manual
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReaderSuppression(Base):
    """A reader address the platform no longer sends to (5xx answer or hard bounce).

    The platform's list, not an office's: readers subscribe to the platform, so a refused
    reader address is never shown on (or lifted from) an office's suppression list.
    """

    __tablename__ = "reader_suppressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    reason: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20), default="smtp")  # smtp | bounce
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SendControl(Base):
    """Pause or cancel the sending of one release version (absent row = active)."""

    __tablename__ = "send_controls"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("release_versions.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(20), default="active")  # active|paused|cancelled
    reason: Mapped[str] = mapped_column(Text, default="")
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MessageVariant(Base):
    """A second shared message per version (e.g. images attached), stored like ``mail_bytes``."""

    __tablename__ = "message_variants"
    __table_args__ = (UniqueConstraint("version_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("release_versions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    mail_bytes: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RelayState(Base):
    """Per relay (host:port): rate-limit slots (database mode) and the current error run."""

    __tablename__ = "relay_states"

    relay: Mapped[str] = mapped_column(String(200), primary_key=True)
    # Unix time of the next free send slot (GCRA); used when the broker is not Redis.
    next_slot: Mapped[float] = mapped_column(Float, default=0.0)
    consecutive_errors: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def insert_ignore(model: type[Base], values: dict[str, object]) -> Executable:
    """INSERT ... ON CONFLICT DO NOTHING (PostgreSQL and SQLite): concurrent workers race here."""
    if db.dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(model).values(**values).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(model).values(**values).on_conflict_do_nothing()
