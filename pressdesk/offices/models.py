"""Press offices: the tenants of the desk. Every desk query is scoped to one of them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text, false, true
from sqlalchemy.orm import Mapped, mapped_column

from pressdesk.db import Base, UTCDateTime, utcnow


class Office(Base):
    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Short tag for datelines and subjects, e.g. "LK Leer".
    tag: Mapped[str] = mapped_column(String(40))
    sender_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    imprint: Mapped[str] = mapped_column(Text, default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(80), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    default_place: Mapped[str] = mapped_column(String(120), default="")
    require_four_eyes: Mapped[bool] = mapped_column(Boolean, default=False)
    # Under 4-eyes: may a publisher send a correction alone when it cannot wait (audited)?
    allow_urgent_corrections: Mapped[bool] = mapped_column(Boolean, default=False,
                                                           server_default=false())
    # Served photos lose their GPS position and camera/lens serial numbers (where the
    # photographer stood, which camera they own) unless the office keeps them on purpose.
    strip_photo_locations: Mapped[bool] = mapped_column(Boolean, default=True,
                                                        server_default=true())
    # Every member must log in with a second factor (TOTP); members without one set it up at
    # their next login before anything else.
    require_two_factor: Mapped[bool] = mapped_column(Boolean, default=False,
                                                     server_default=false())
    # The office's logo (``offices/logo.py``): the public id of its stored PNG, "" for none; a
    # new upload gets a new id. Width and height of the stored (re-encoded) file.
    logo_id: Mapped[str] = mapped_column(String(32), default="", server_default="")
    logo_width: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    logo_height: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Office {self.slug}>"
