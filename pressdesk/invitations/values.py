"""The appointment as the outside world sees it: one plain value, read by the newspaper mail,
the iCalendar files and feeds, the portal, the API and the feeds.

``appointment_for`` is called by the release presenter, so every output of a release carries
its appointment the same way: a saved version shows the appointment frozen with it, the working
text (preview, test mail) the working appointment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from pressdesk.db import utcnow
from pressdesk.extensions import db
from pressdesk.invitations.models import Invitation, InvitationVersion
from pressdesk.urls import external_url


@dataclass(frozen=True)
class PublicAppointment:
    id: str  # the invitation's public id (RSVP and calendar URLs)
    uid: str  # iCalendar UID, the same for every update and the cancellation
    sequence: int
    title: str  # the release's headline
    starts_at: datetime
    ends_at: datetime
    place_name: str
    address: str
    latitude: float | None
    longitude: float | None
    programme: str
    accreditation_required: bool
    accreditation_until: datetime | None
    access_notes: str
    day_contact_name: str
    day_contact_phone: str
    rsvp_until: datetime | None
    cancelled: bool  # called off, or the release withdrawn
    stamp: datetime  # when this state was frozen (iCalendar DTSTAMP)
    office_name: str
    office_slug: str
    organizer_email: str  # the press office (iCalendar ORGANIZER)
    permalink: str
    calendar_url: str  # this appointment as an .ics file
    draft: bool = False

    @property
    def location(self) -> str:
        return ", ".join(p for p in (self.place_name, self.address) if p)

    @property
    def line(self) -> str:
        """One line for feeds and listings: "Termin: 10.12.2026, 10:00 Uhr – Kreishaus Leer"."""
        from pressdesk.text import german_datetime

        when = german_datetime(self.starts_at)
        head = "Termin abgesagt" if self.cancelled else "Termin"
        return f"{head}: {when} – {self.location}" if self.location else f"{head}: {when}"

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def open_for_replies(self, now: datetime | None = None) -> bool:
        """Replies are taken until the RSVP deadline (else until the start), never once
        cancelled."""
        now = now or utcnow()
        return not self.cancelled and now < (self.rsvp_until or self.starts_at)


def _fields(row: Any) -> dict[str, Any]:
    return {
        "starts_at": row.starts_at, "ends_at": row.ends_at, "place_name": row.place_name,
        "address": row.address, "latitude": row.latitude, "longitude": row.longitude,
        "programme": row.programme, "accreditation_required": bool(row.accreditation_required),
        "accreditation_until": row.accreditation_until, "access_notes": row.access_notes,
        "day_contact_name": row.day_contact_name, "day_contact_phone": row.day_contact_phone,
        "rsvp_until": row.rsvp_until,
    }


def value_of(inv: Invitation, row: Invitation | InvitationVersion, title: str, permalink: str,
             draft: bool = False) -> PublicAppointment:
    release, office = inv.release, inv.release.office
    if isinstance(row, InvitationVersion):
        sequence, cancelled, stamp = row.sequence, row.is_cancelled, row.created_at
    else:
        sequence = (inv.current.sequence if inv.current is not None else 0)
        cancelled, stamp = bool(row.cancelled), utcnow()
    contact = release.contact_email or office.contact_email
    return PublicAppointment(
        id=inv.public_id, uid=inv.uid, sequence=sequence, title=title, cancelled=cancelled,
        stamp=stamp, office_name=office.name, office_slug=office.slug,
        organizer_email=contact, permalink=permalink,
        calendar_url=external_url("invitations.calendar_file", public_id=inv.public_id),
        draft=draft, **_fields(row))


def appointment_for(v: Any, version_id: int | None, title: str, permalink: str
                    ) -> PublicAppointment | None:
    """The appointment of a saved version ``v`` (as frozen with it), or of the working text
    (``version_id`` None). None when the release has no appointment."""
    if version_id is not None:
        snap = getattr(v, "appointment_snapshot", None)
        if snap is None:
            return None
        return value_of(snap.invitation, snap, title, permalink)
    inv = db.session.scalar(select(Invitation).where(Invitation.release_id == v.release.id))
    if inv is None:
        return None
    return value_of(inv, inv, title, permalink, draft=True)
