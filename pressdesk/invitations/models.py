"""An appointment attached to a release ("Einladung zum Pressetermin"), its frozen state per
release version, and the outlets' replies.

``Invitation`` holds the working appointment the office edits (like ``Release`` holds the
working text). Each release version freezes it as an ``InvitationVersion`` with the iCalendar
``SEQUENCE`` it went out with, so what an outlet's calendar got can always be told, and the
public side (portal, feeds, API) shows the appointment as last sent, never a change that still
waits for a second person.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from pressdesk.db import Base, UTCDateTime, utcnow
from pressdesk.releases.models import Release, ReleaseVersion, new_public_id


class Answer(enum.StrEnum):
    YES = "ja"
    PHOTOGRAPHER = "fotograf"
    NO = "nein"


# The answers that mean someone comes (they get the reminder).
COMING = (Answer.YES.value, Answer.PHOTOGRAPHER.value)

# The fields of an appointment, in the order the form and the snapshot use.
FIELDS = ("starts_at", "ends_at", "place_name", "address", "latitude", "longitude", "programme",
          "accreditation_required", "accreditation_until", "access_notes", "day_contact_name",
          "day_contact_phone", "rsvp_until", "cancelled")


class AppointmentFields:
    """What an appointment says: shared by the working row and its frozen versions."""

    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place_name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # What happens and who attends (plain text, several lines).
    programme: Mapped[str] = mapped_column(Text, default="")
    accreditation_required: Mapped[bool] = mapped_column(Boolean, default=False)
    accreditation_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    access_notes: Mapped[str] = mapped_column(Text, default="")  # parking, access, entrance
    day_contact_name: Mapped[str] = mapped_column(String(200), default="")
    day_contact_phone: Mapped[str] = mapped_column(String(80), default="")
    rsvp_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)


class Invitation(AppointmentFields, Base):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"),
                                            unique=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    # The iCalendar UID: fixed at creation, so every update and the cancellation find the
    # event in the outlets' calendars.
    uid: Mapped[str] = mapped_column(String(200), unique=True)
    # The version that went out last (None until published): what the public side shows.
    # (No foreign key: the two tables would point at each other.)
    current_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    release: Mapped[Release] = relationship(lazy="joined")
    current: Mapped[InvitationVersion | None] = relationship(
        primaryjoin="foreign(Invitation.current_id) == InvitationVersion.id", post_update=True,
        lazy="joined")


class InvitationVersion(AppointmentFields, Base):
    """The appointment as sent with one release version."""

    __tablename__ = "invitation_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("release_versions.id", ondelete="CASCADE"),
                                            unique=True)
    # iCalendar SEQUENCE: raised whenever the appointment changed since the last version.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    # The release was withdrawn with this version: the event is cancelled as well.
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    invitation: Mapped[Invitation] = relationship(foreign_keys=[invitation_id], lazy="joined")
    # ``ReleaseVersion.appointment_snapshot``: loaded with the versions in one query each time
    # (the presenter reads it for every release it presents).
    release_version: Mapped[ReleaseVersion] = relationship(
        backref=backref("appointment_snapshot", uselist=False, lazy="selectin"))

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled or self.withdrawn


class InvitationReply(Base):
    """One outlet's answer; changed in place until the RSVP deadline."""

    __tablename__ = "invitation_replies"
    __table_args__ = (UniqueConstraint("invitation_id", "outlet_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE"), index=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id", ondelete="CASCADE"))
    answer: Mapped[str] = mapped_column(String(20))
    # Who comes (optional, typed on the confirmation page).
    name: Mapped[str] = mapped_column(String(200), default="")
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    followed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
