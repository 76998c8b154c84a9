"""The one way into the outbox: ``enqueue()`` writes delivery rows, suppressions applied.

Every message a recipient gets from a release version enters here: newspaper (outlet) mail,
reader alerts and reader digests. Rows are written in the caller's transaction with their
Message-ID fixed; workers are woken only after commit (``wake``), and the sweeper finds any row
whose wake-up was lost.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert

from pressdesk.celery_app import DELIVER_TASK, send_task
from pressdesk.config import settings
from pressdesk.db import after_commit, utcnow
from pressdesk.delivery.models import Delivery, DeliveryState, Kind
from pressdesk.delivery.suppressions import blocked
from pressdesk.extensions import db
from pressdesk.releases.models import ReleaseVersion

SUPPRESSED_NOTE = "address on the suppression list"


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str = ""
    outlet_id: int | None = None
    unsubscribe_url: str = ""  # reader mail only: List-Unsubscribe (RFC 8058)
    # A shared MessageVariant the release side rendered for this recipient ("" = the default).
    variant: str = ""
    # A message rendered for this recipient alone (a digest); else the version's shared bytes.
    payload: bytes | None = None
    # Outlet mail: the signed per-outlet link token (tokens.OUTLET_LINK) that ``personalise``
    # puts where the shared mail has ``render.LINK_TOKEN_MARK``; "" = no per-recipient link.
    link_token: str = ""


def new_message_id(version: ReleaseVersion | None, kind: str = Kind.OUTLET.value) -> str:
    s = settings()
    if version is None or kind == Kind.SERVICE.value:
        return f"<alerts.{uuid.uuid4().hex}@{s.mail_domain}>"
    if kind == Kind.DIGEST.value:
        return f"<digest.{uuid.uuid4().hex}@{s.mail_domain}>"
    return f"<pm.{version.release.public_id}.v{version.version}.{uuid.uuid4().hex[:16]}@{s.mail_domain}>"


def wake(version_id: int | None) -> None:
    """Send a worker a wake-up for this version, or for service mail (None); now: callers
    register it after commit."""
    send_task(DELIVER_TASK, version_id)


def wake_after_commit(version_id: int | None, times: int = 1) -> None:
    for _ in range(times):
        after_commit(db.session(), lambda: wake(version_id))


def enqueue(version: ReleaseVersion | None, recipients: Iterable[Recipient],
            kind: str = Kind.OUTLET.value, now: datetime | None = None) -> int:
    """Write one row per recipient (in the caller's transaction) and wake workers after commit.

    Addresses on a suppression list get a row in state ``suppressed`` (visible in the report,
    never sent): newspapers against the office's list, readers against the platform's. A
    recipient is written once per version and kind (the first one wins). Returns the number of
    rows written. Service mail (``kind="service"``) has no version: each recipient brings its
    own payload.
    """
    kind = Kind(kind).value
    now = now or utcnow()
    if (version is None) != (kind == Kind.SERVICE.value):
        raise ValueError("service mail, and only service mail, is queued without a version")
    office_id = version.release.office_id if version is not None else None
    version_id = version.id if version is not None else None
    unique: dict[str, Recipient] = {}
    for r in recipients:
        unique.setdefault(r.email.strip().lower(), r)
    refused = blocked(kind, office_id, unique)
    rows = []
    for key, r in unique.items():
        is_blocked = key in refused
        rows.append({
            "office_id": office_id, "version_id": version_id, "kind": kind,
            "outlet_id": r.outlet_id, "email": r.email, "name": r.name,
            "state": DeliveryState.SUPPRESSED.value if is_blocked else DeliveryState.QUEUED.value,
            "attempts": 0, "next_attempt_at": now,
            "last_error": SUPPRESSED_NOTE if is_blocked else "",
            "message_id": new_message_id(version, kind), "created_at": now,
            "unsubscribe_url": r.unsubscribe_url, "variant": r.variant, "claim_token": "",
            "payload": r.payload, "link_token": r.link_token,
        })
    if rows:
        db.session.execute(insert(Delivery), rows)
    queued = sum(1 for r in rows if r["state"] == DeliveryState.QUEUED.value)
    if queued:
        # One wake-up per batch up to fanout_tasks: several worker processes share a long list
        # (each claims its own batches); a surplus task finds nothing and returns at once.
        s = settings()
        wake_after_commit(version_id, min(s.fanout_tasks, -(-queued // s.batch_size)))
    return len(rows)
