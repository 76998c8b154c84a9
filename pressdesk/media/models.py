"""The media an office sends to: outlets (newspapers, magazines, ...) and distribution lists."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pressdesk.db import Base, UTCDateTime, utcnow


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

    outlets: Mapped[list[Outlet]] = relationship(secondary=list_outlets, lazy="selectin")
