"""The one way into the outbox: ``enqueue()`` writes delivery rows, suppressions applied.

Every message a recipient gets from a release version enters here: newspaper (outlet) mail,
reader alerts and reader digests. Rows are written in the caller's transaction with their
Message-ID fixed; workers are woken only after commit (``wake``), and the sweeper finds any row
whose wake-up was lost.
"""

from __future__ import annotations

import gc
import json
import uuid
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import delete, insert, select

from pressdesk import tokens
from pressdesk.celery_app import DELIVER_TASK, send_task
from pressdesk.config import settings
from pressdesk.db import after_commit, utcnow
from pressdesk.delivery.models import Delivery, DeliveryState, Kind, OutboxChunk
from pressdesk.delivery.render import LINK_TOKEN_MARK
from pressdesk.delivery.suppressions import blocked
from pressdesk.extensions import db
from pressdesk.releases.models import ReleaseVersion

SUPPRESSED_NOTE = "address on the suppression list"


class Recipient(NamedTuple):
    """One recipient handed to ``enqueue`` (a named tuple: a list of 100,000 is built and
    packed into chunks in the publishing transaction; ``_replace`` to change a field)."""

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
    # Outlet mail of a long list: the link token is signed when the row is written (over
    # ``outlet_id``, ``tokens.outlet_links``), and ``render.LINK_TOKEN_MARK`` in
    # ``unsubscribe_url`` is replaced by it; the chunks of a list then carry no tokens and the
    # publishing transaction signs only the first rows'.
    sign_link: bool = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while a long list is built and packed: 100,000
    recipients are several hundred thousand new tuples and strings, which cannot form cycles
    but make the collector scan the whole heap again and again (half a second of a publish
    at 100,000). Restored afterwards, if it was on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


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


# A long list does not wait for its rows: the first FIRST_ROWS rows are written in the
# caller's transaction and the rest as compact chunks of CHUNK_ROWS recipients (one small row
# each), which the sending tasks turn into delivery rows while the first ones already go out.
FIRST_ROWS = 1000
CHUNK_ROWS = 2000
_FIELDS = tuple(f for f in Recipient._fields if f != "payload")
_COLUMNS = ("office_id", "version_id", "kind", "outlet_id", "email", "name", "state", "attempts",
            "next_attempt_at", "last_error", "message_id", "created_at", "unsubscribe_url",
            "variant", "claim_token", "link_token")


def enqueue(version: ReleaseVersion | None, recipients: Iterable[Recipient],
            kind: str = Kind.OUTLET.value, now: datetime | None = None) -> int:
    """Write one row per recipient (in the caller's transaction) and wake workers after commit.

    Addresses on a suppression list get a row in state ``suppressed`` (visible in the report,
    never sent): newspapers against the office's list, readers against the platform's. A
    recipient is written once per version and kind (the first one wins). Returns the number of
    recipients queued. Service mail (``kind="service"``) has no version: each recipient brings
    its own payload.

    A list longer than ``FIRST_ROWS`` gets its first rows now and the rest as ``OutboxChunk``s
    in the same transaction (a commit of one compressed row per 2,000 recipients instead of
    100,000 rows); the senders write the chunks out as rows while the first rows are sent.
    """
    with gc_paused():
        return _enqueue(version, recipients, kind, now)


def _enqueue(version: ReleaseVersion | None, recipients: Iterable[Recipient], kind: str,
             now: datetime | None) -> int:
    kind = Kind(kind).value
    now = now or utcnow()
    if (version is None) != (kind == Kind.SERVICE.value):
        raise ValueError("service mail, and only service mail, is queued without a version")
    office_id = version.release.office_id if version is not None else None
    unique: dict[str, Recipient] = {}
    for r in recipients:
        unique.setdefault(r.email.strip().lower(), r)
    if not unique:
        return 0
    listed = list(unique.values())
    chunked = (version is not None and len(listed) > FIRST_ROWS
               and all(r.payload is None for r in listed))
    first = listed[:FIRST_ROWS] if chunked else listed
    queued = _write_rows(version, office_id, kind, first, now)
    if chunked:
        assert version is not None
        chunks = [{"office_id": office_id, "version_id": version.id, "kind": kind,
                   "recipients": _pack(listed[i:i + CHUNK_ROWS]), "created_at": now}
                  for i in range(FIRST_ROWS, len(listed), CHUNK_ROWS)]
        db.session.execute(insert(OutboxChunk), chunks)
        queued += len(listed) - FIRST_ROWS
    if queued:
        # One wake-up per batch up to fanout_tasks: several worker processes share a long list
        # (each claims its own batches); a surplus task finds nothing and returns at once.
        s = settings()
        wake_after_commit(version.id if version is not None else None,
                          min(s.fanout_tasks, -(-queued // s.batch_size)))
    return len(listed)


def _pack(recipients: list[Recipient]) -> bytes:
    """A chunk's recipients as zlib-compressed JSON, column-wise: a field with one value for
    the whole chunk (no payload, the variant, the leave URL template) is written once."""
    same: dict[str, Any] = {}
    names: list[str] = []
    columns = []
    for name, column in zip(Recipient._fields, zip(*recipients, strict=True), strict=True):
        if column.count(column[0]) == len(column):
            same[name] = column[0]
        else:
            names.append(name)
            columns.append(column)
    data = {"f": names, "same": same, "r": list(zip(*columns, strict=True))}
    return zlib.compress(json.dumps(data, separators=(",", ":")).encode(), 1)


def _unpack(blob: bytes) -> list[Recipient]:
    data = json.loads(zlib.decompress(blob))
    known = set(_FIELDS)
    same = {k: v for k, v in data.get("same", {}).items() if k in known}
    names = data["f"]
    return [Recipient(**same, **{k: v for k, v in zip(names, values, strict=True) if k in known})
            for values in data["r"]]


def _write_rows(version: ReleaseVersion | None, office_id: int | None, kind: str,
                recipients: list[Recipient], now: datetime, state: str = "") -> int:
    """Rows for these recipients (suppressions applied); returns how many are queued."""
    refused = blocked(kind, office_id, [r.email for r in recipients])
    version_id = version.id if version is not None else None
    unsigned = list(dict.fromkeys(r.outlet_id for r in recipients
                                  if r.sign_link and r.outlet_id is not None))
    signed = dict(zip(unsigned, tokens.outlet_links(unsigned), strict=True)) if unsigned else {}
    rows = []
    queued = 0
    for r in recipients:
        is_blocked = r.email.strip().lower() in refused
        queued += not is_blocked
        link_token, unsubscribe_url = r.link_token, r.unsubscribe_url
        if r.sign_link and r.outlet_id is not None:
            link_token = signed[r.outlet_id]
            unsubscribe_url = unsubscribe_url.replace(LINK_TOKEN_MARK, link_token)
        rows.append({
            "office_id": office_id, "version_id": version_id, "kind": kind,
            "outlet_id": r.outlet_id, "email": r.email, "name": r.name,
            "state": DeliveryState.SUPPRESSED.value if is_blocked else (
                state or DeliveryState.QUEUED.value),
            "attempts": 0, "next_attempt_at": now,
            "last_error": SUPPRESSED_NOTE if is_blocked else "",
            "message_id": new_message_id(version, kind), "created_at": now,
            "unsubscribe_url": unsubscribe_url, "variant": r.variant, "claim_token": "",
            "payload": r.payload, "link_token": link_token,
        })
    if db.dialect == "postgresql" and all(r["payload"] is None for r in rows):
        _copy_rows(rows)
    else:
        db.session.execute(insert(Delivery), rows)
    return queued


def _copy_rows(rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: the rows by COPY in the session's transaction (a tenth of an INSERT's time)."""
    db.session.flush()  # the version the rows point to
    conn = db.session.connection().connection.driver_connection
    stmt = f"COPY deliveries ({', '.join(_COLUMNS)}) FROM STDIN"
    with conn.cursor() as cur, cur.copy(stmt) as copy:  # type: ignore[union-attr]
        for r in rows:
            copy.write_row([r[c].astimezone(UTC).replace(tzinfo=None)
                            if isinstance(r[c], datetime) else r[c] for c in _COLUMNS])


def write_chunk(version_id: int, state: str = "", commit: bool = True) -> int | None:
    """Turn one waiting chunk of this version into delivery rows, in one transaction with its
    deletion (a sender commits it here, deliberately: the rows must be visible to every
    worker). None when no chunk was left (or another worker holds the last ones); else the
    number of rows written. ``state`` overrides ``queued`` (a cancelled version)."""
    pick = select(OutboxChunk.id).where(OutboxChunk.version_id == version_id).order_by(
        OutboxChunk.id).limit(1)
    if db.dialect == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    taken = db.session.execute(
        delete(OutboxChunk).where(OutboxChunk.id == pick.scalar_subquery())
        .returning(OutboxChunk.office_id, OutboxChunk.kind, OutboxChunk.recipients)
        .execution_options(synchronize_session=False)).first()
    if taken is None:
        if commit:
            db.rollback()
        return None
    from pressdesk.delivery.controls import control_state

    if not state and control_state(version_id) == "cancelled":
        state = DeliveryState.CANCELLED.value
    version = db.session.get(ReleaseVersion, version_id)
    recipients = _unpack(taken.recipients)
    _write_rows(version, taken.office_id, taken.kind, recipients, utcnow(), state)
    if commit:
        db.commit()  # deliberate: the chunk's rows and its deletion are one durable step
    return len(recipients)


def has_chunks(version_id: int | None) -> bool:
    if version_id is None:
        return False
    return db.session.scalar(select(OutboxChunk.id).where(OutboxChunk.version_id == version_id)
                             .limit(1)) is not None
