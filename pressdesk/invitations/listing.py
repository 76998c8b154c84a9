"""What the public sees of appointments: those of visible releases, as last sent."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, select

from pressdesk.db import utcnow
from pressdesk.extensions import db
from pressdesk.invitations.models import Invitation, InvitationVersion
from pressdesk.invitations.values import PublicAppointment, value_of
from pressdesk.portal.services import visible
from pressdesk.releases.models import Release
from pressdesk.releases.presenter import permalink

# How long a past appointment stays in the feeds (calendars keep it; the page shows upcoming).
FEED_PAST = timedelta(days=30)
FEED_LIMIT = 500


def _public() -> Select[InvitationVersion, str]:
    """The current (last sent) state of every appointment of a visible release, with the
    headline of the release's newest version."""
    from pressdesk.releases.models import ReleaseVersion

    return (select(InvitationVersion, ReleaseVersion.headline)
            .join(Invitation, Invitation.current_id == InvitationVersion.id)
            .join(Release, Release.id == Invitation.release_id)
            .join(ReleaseVersion, ReleaseVersion.id == InvitationVersion.version_id)
            .where(visible()))


def _value(snap: InvitationVersion, headline: str) -> PublicAppointment:
    inv = snap.invitation
    return value_of(inv, snap, headline, permalink(inv.release))


def public_appointment(public_id: str) -> PublicAppointment | None:
    row = db.session.execute(_public().where(Invitation.public_id == public_id)).first()
    return _value(row[0], row[1]) if row else None


def upcoming(office_id: int | None = None, since: datetime | None = None,
             limit: int = FEED_LIMIT, include_cancelled: bool = True) -> list[PublicAppointment]:
    """Appointments that end after ``since`` (default: now), soonest first."""
    q = _public().where(InvitationVersion.ends_at >= (since or utcnow()))
    if office_id is not None:
        q = q.where(Invitation.office_id == office_id)
    if not include_cancelled:
        q = q.where(InvitationVersion.cancelled.is_(False), InvitationVersion.withdrawn.is_(False))
    q = q.order_by(InvitationVersion.starts_at, InvitationVersion.id).limit(limit)
    return [_value(row[0], row[1]) for row in db.session.execute(q).all()]


def feed_items(office_id: int | None = None) -> list[PublicAppointment]:
    """The calendar feeds: upcoming and the last month's (a subscribed calendar keeps what
    it had; an appointment vanishing from the feed would vanish from it)."""
    return upcoming(office_id, since=utcnow() - FEED_PAST)
