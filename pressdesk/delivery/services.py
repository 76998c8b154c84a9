"""The delivery engine: queue rows, claim them atomically, send, mark each one, sweep.

Invariants (see docs/architecture.md): rows are written in the publishing transaction; a worker
is woken only after commit; a row is claimed by one atomic UPDATE before it is sent; it is marked
right after the server answered. A lost wake-up costs a sweep interval, never a recipient.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, func, insert, or_, select, update

from pressdesk.celery_app import DELIVER_TASK, send_task
from pressdesk.config import settings
from pressdesk.db import after_commit, utcnow
from pressdesk.delivery.models import PENDING_STATES, Delivery, DeliveryState
from pressdesk.delivery.render import personalise
from pressdesk.delivery.transport import Outcome, Transport, make_transport
from pressdesk.extensions import db
from pressdesk.releases.models import ReleaseVersion

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    outlet_id: int | None = None
    unsubscribe_url: str = ""  # reader mail only


def new_message_id(version: ReleaseVersion) -> str:
    s = settings()
    return f"<pm.{version.release.public_id}.v{version.version}.{uuid.uuid4().hex[:16]}@{s.mail_domain}>"


def queue_deliveries(version: ReleaseVersion, recipients: Iterable[Recipient],
                     kind: str = "outlet") -> int:
    """Write one row per recipient (in the caller's transaction) and wake a worker after commit."""
    now = utcnow()
    seen: set[str] = set()
    rows = []
    for r in recipients:
        key = r.email.lower()
        if key in seen:
            continue
        seen.add(key)
        rows.append({
            "office_id": version.release.office_id, "version_id": version.id, "kind": kind,
            "outlet_id": r.outlet_id, "email": r.email, "name": r.name,
            "state": DeliveryState.QUEUED.value, "attempts": 0, "next_attempt_at": now,
            "last_error": "", "message_id": new_message_id(version), "created_at": now,
            "unsubscribe_url": r.unsubscribe_url,
        })
    if rows:
        db.session.execute(insert(Delivery), rows)
        version_id = version.id
        after_commit(db.session(), lambda: send_task(DELIVER_TASK, version_id))
    return len(rows)


def _due_condition():  # type: ignore[no-untyped-def]
    now = utcnow()
    return or_(
        and_(Delivery.state.in_(PENDING_STATES), Delivery.next_attempt_at <= now),
        # A worker that died mid-batch leaves rows in "sending"; its claim runs out.
        and_(Delivery.state == DeliveryState.SENDING.value, Delivery.claimed_until < now),
    )


def claim_batch(version_id: int, limit: int) -> list[Delivery]:
    """Atomically move up to ``limit`` due rows of a version to "sending" and return them."""
    s = settings()
    now = utcnow()
    pick = (
        select(Delivery.id)
        .where(Delivery.version_id == version_id, _due_condition())
        .order_by(Delivery.id)
        .limit(limit)
    )
    if db.dialect == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    stmt = (
        update(Delivery)
        .where(Delivery.id.in_(pick.scalar_subquery()))
        .values(state=DeliveryState.SENDING.value,
                claimed_until=now + timedelta(seconds=s.claim_seconds),
                attempts=Delivery.attempts + 1)
        .returning(Delivery.id, Delivery.email, Delivery.name, Delivery.message_id,
                   Delivery.attempts, Delivery.kind, Delivery.unsubscribe_url)
        .execution_options(synchronize_session=False)
    )
    rows = db.session.execute(stmt).all()
    db.session.commit()
    return [Delivery(id=r.id, email=r.email, name=r.name, message_id=r.message_id,
                     attempts=r.attempts, kind=r.kind, unsubscribe_url=r.unsubscribe_url)
            for r in sorted(rows, key=lambda r: r.id)]


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter: base * 2^(n-1), +-20 %, capped at six hours."""
    base = settings().retry_base_seconds * 2 ** max(0, attempts - 1)
    return min(base, 6 * 3600) * random.uniform(0.8, 1.2)


def _mark(row_id: int, **values: object) -> None:
    db.session.execute(
        update(Delivery).where(Delivery.id == row_id).values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def mark_sent(row: Delivery, detail: str) -> None:
    _mark(row.id, state=DeliveryState.SENT.value, sent_at=utcnow(), claimed_until=None,
          last_error="")


def mark_temporary(row: Delivery, detail: str) -> None:
    s = settings()
    if row.attempts >= s.max_attempts:
        _mark(row.id, state=DeliveryState.FAILED.value, claimed_until=None,
              last_error=f"{detail} (gave up after {row.attempts} attempts)")
        return
    _mark(row.id, state=DeliveryState.RETRYING.value, claimed_until=None, last_error=detail,
          next_attempt_at=utcnow() + timedelta(seconds=backoff_seconds(row.attempts)))


def mark_permanent(row: Delivery, detail: str) -> None:
    _mark(row.id, state=DeliveryState.FAILED.value, claimed_until=None, last_error=detail)


def release_claims(rows: Iterable[Delivery], delay: float, detail: str) -> None:
    """Give claimed but unsent rows back (no attempt counted) after a connection failure."""
    ids = [r.id for r in rows]
    if not ids:
        return
    db.session.execute(
        update(Delivery)
        .where(Delivery.id.in_(ids), Delivery.state == DeliveryState.SENDING.value)
        .values(state=DeliveryState.RETRYING.value, claimed_until=None, last_error=detail,
                attempts=Delivery.attempts - 1,
                next_attempt_at=utcnow() + timedelta(seconds=delay))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def open_transport() -> Transport:
    s = settings()
    return make_transport(s.smtp_url, s.outbox_dir, timeout=s.smtp_timeout)


def deliver_version(version_id: int, transport: Transport | None = None) -> int:
    """Send every due row of a version, batch by batch over one connection. Returns sent count."""
    s = settings()
    version = db.session.get(ReleaseVersion, version_id)
    if version is None or not version.mail_bytes:
        log.warning("version %s has no rendered mail; nothing to send", version_id)
        return 0
    shared_by_kind = {"outlet": version.mail_bytes,
                      "reader": version.reader_mail_bytes or version.mail_bytes}
    sender = s.mail_from
    own = transport is None
    tp = transport or open_transport()
    sent = 0
    try:
        tp.open()
    except Exception as exc:  # noqa: BLE001 - any connect failure means "try later"
        log.warning("cannot open transport: %s", exc)
    try:
        while True:
            batch = claim_batch(version_id, s.batch_size)
            if not batch:
                break
            if any(r.kind == "reader" for r in batch):
                # Reader alerts may be queued after this task loaded the version (the outlets
                # were already being sent): read the reader variant now, never the newspaper
                # mail (which may carry an embargo notice).
                shared_by_kind["reader"] = db.session.scalar(
                    select(ReleaseVersion.reader_mail_bytes).where(ReleaseVersion.id == version_id)
                ) or shared_by_kind["reader"]
            for i, row in enumerate(batch):
                result = tp.send(sender, row.email, message_bytes(row, shared_by_kind))
                if result.outcome is Outcome.SENT:
                    mark_sent(row, result.detail)
                    sent += 1
                elif result.outcome is Outcome.PERMANENT:
                    mark_permanent(row, result.detail)
                else:
                    mark_temporary(row, result.detail)
                    if result.connection_lost:
                        # The relay is gone or throttling us: hand the rest back for later.
                        release_claims(batch[i + 1:], backoff_seconds(1), result.detail)
                        return sent
    finally:
        if own:
            tp.close()
    return sent


def message_bytes(row: Delivery, shared_by_kind: dict[str, bytes]) -> bytes:
    """The exact bytes for one row: its own payload, or the shared part of its kind."""
    shared = shared_by_kind.get(row.kind)
    if shared is None:  # rendered for this row alone (e.g. a reader digest)
        shared = db.session.scalar(select(Delivery.payload).where(Delivery.id == row.id)) or b""
    return personalise(shared, row.name, row.email, row.message_id, row.unsubscribe_url,
                       unsubscribe_mailto_for(row))


def unsubscribe_mailto_for(row: Delivery) -> str:
    if not row.unsubscribe_url:
        return ""
    return f"mailto:unsubscribe@{settings().mail_domain}?subject=unsubscribe%20{row.message_id.strip('<>')}"


def sweep() -> list[int]:
    """Wake a worker for every version with due rows (lost wake-ups, retries, dead claims)."""
    ids = list(db.session.scalars(select(Delivery.version_id).where(_due_condition()).distinct()))
    db.session.rollback()
    for vid in ids:
        send_task(DELIVER_TASK, vid)
    return ids


def counts_by_state(version_ids: list[int]) -> dict[str, int]:
    rows = db.session.execute(
        select(Delivery.state, func.count()).where(Delivery.version_id.in_(version_ids))
        .group_by(Delivery.state)
    ).all()
    return {state: n for state, n in rows}


def message_as_sent(delivery: Delivery) -> bytes:
    """The exact bytes handed to the relay for this row (shared part + its own headers)."""
    v = delivery.version
    return message_bytes(delivery, {"outlet": v.mail_bytes or b"",
                                    "reader": v.reader_mail_bytes or v.mail_bytes or b""})
