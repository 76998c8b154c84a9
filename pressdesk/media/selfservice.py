"""What an outlet does itself through its signed link: look at its preferences, change them,
leave the list. Every change is written to the office's audit log (no user: the outlet)."""

from __future__ import annotations

from sqlalchemy import update

from pressdesk.audit.services import record
from pressdesk.db import utcnow
from pressdesk.delivery.models import PENDING_STATES, Delivery, DeliveryState
from pressdesk.extensions import db
from pressdesk.media.models import Outlet
from pressdesk.offices.models import Office

LEFT_NOTE = "the outlet left the list"


def office_of(outlet: Outlet) -> Office:
    office = db.session.get(Office, outlet.office_id)
    assert office is not None  # the foreign key cascades
    return office


def leave(outlet: Outlet, how: str, client: str = "") -> bool:
    """The outlet leaves the list, at once: it is taken off every send, mail already queued
    for it (not yet handed to the relay) is cancelled, follow-ups skip it. True if it was
    still on the list (leaving twice changes nothing)."""
    if outlet.left_at is not None:
        return False
    outlet.left_at = utcnow()
    outlet.active = False
    db.session.execute(
        update(Delivery)
        .where(Delivery.outlet_id == outlet.id, Delivery.state.in_(PENDING_STATES))
        .values(state=DeliveryState.CANCELLED.value, last_error=LEFT_NOTE, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    record(outlet.office_id, None, "outlet.left", "outlet", outlet.id,
           f"{outlet.email} ({how})")
    db.session.flush()
    return True
