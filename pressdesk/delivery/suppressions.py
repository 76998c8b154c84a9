"""The suppression list: addresses no longer sent to (5xx answer, hard bounce, or by hand).

``enqueue()`` reads it for every message; the engine and the bounce reader add to it.
"""

from __future__ import annotations

from sqlalchemy import select

from pressdesk.db import utcnow
from pressdesk.delivery.models import Suppression, insert_ignore
from pressdesk.extensions import db


def suppressed_emails(office_id: int) -> set[str]:
    return set(db.session.scalars(select(Suppression.email).where(Suppression.office_id == office_id)))


def suppress(office_id: int, email: str, reason: str, source: str = "smtp",
             delivery_id: int | None = None) -> None:
    """Put an address on the office's suppression list (idempotent), in the caller's transaction."""
    db.session.execute(insert_ignore(Suppression, {
        "office_id": office_id, "email": email.strip().lower(), "reason": reason[:2000],
        "source": source, "delivery_id": delivery_id, "created_at": utcnow()}))


def lift_suppression(office_id: int, suppression_id: int) -> Suppression | None:
    row = db.session.scalar(select(Suppression).where(Suppression.id == suppression_id,
                                                      Suppression.office_id == office_id))
    if row is not None:
        db.session.delete(row)
    return row
