"""The suppression lists: addresses no longer sent to (5xx answer, hard bounce, or by hand).

Two lists: the office's for its newspapers (shown at /desk/suppressions, lifted by its admins)
and the platform's for readers (never shown to an office). ``enqueue()`` reads the right one for
every message; the engine and the bounce reader add to it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from pressdesk.db import utcnow
from pressdesk.delivery.models import READER_KINDS, ReaderSuppression, Suppression, insert_ignore
from pressdesk.extensions import db


def suppressed_emails(office_id: int) -> set[str]:
    """The office's list (newspaper addresses)."""
    return set(db.session.scalars(select(Suppression.email).where(Suppression.office_id == office_id)))


def suppressed_readers(emails: Iterable[str]) -> set[str]:
    """Those of ``emails`` (lower-case) on the platform's reader list."""
    wanted = sorted({e.strip().lower() for e in emails})
    found: set[str] = set()
    for i in range(0, len(wanted), 500):  # bounded IN lists
        found.update(db.session.scalars(select(ReaderSuppression.email)
                                        .where(ReaderSuppression.email.in_(wanted[i:i + 500]))))
    return found


def blocked(kind: str, office_id: int | None, emails: Iterable[str]) -> set[str]:
    """The addresses (lower-case) a message of this kind must not go to."""
    if kind in READER_KINDS or office_id is None:
        return suppressed_readers(emails)
    return suppressed_emails(office_id)


def suppress(office_id: int | None, email: str, reason: str, source: str = "smtp",
             delivery_id: int | None = None, kind: str = "outlet") -> None:
    """Put an address on the list its kind belongs to (idempotent), in the caller's transaction."""
    values: dict[str, object] = {
        "email": email.strip().lower(), "reason": reason[:2000], "source": source,
        "delivery_id": delivery_id, "created_at": utcnow()}
    if kind in READER_KINDS or office_id is None:
        db.session.execute(insert_ignore(ReaderSuppression, values))
    else:
        db.session.execute(insert_ignore(Suppression, {**values, "office_id": office_id}))


def lift_suppression(office_id: int, suppression_id: int) -> Suppression | None:
    row = db.session.scalar(select(Suppression).where(Suppression.id == suppression_id,
                                                      Suppression.office_id == office_id))
    if row is not None:
        db.session.delete(row)
    return row
