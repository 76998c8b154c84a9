"""The delivery engine: queue rows, claim them atomically, send, mark each one, sweep.

Invariants (see docs/architecture.md and docs/delivery.md): rows are written in the publishing
transaction; a worker is woken only after commit; a row is claimed by one atomic UPDATE before it
is sent (with a random claim token, extended while a slow batch is still sending); it is marked
right after the server answered. A lost wake-up costs a sweep interval, never a recipient.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import random
import time
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import and_, bindparam, exists, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from pressdesk.celery_app import DELIVER_TASK, send_task
from pressdesk.config import settings
from pressdesk.db import after_commit, utcnow
from pressdesk.delivery.models import (
    PENDING_STATES,
    Delivery,
    DeliveryState,
    MessageVariant,
    RelayState,
    SendControl,
    Suppression,
)
from pressdesk.delivery.render import Attachment, dkim_sign, personalise, with_attachments
from pressdesk.delivery.transport import Outcome, SendResult, Transport, make_transport
from pressdesk.extensions import db
from pressdesk.releases.models import ReleaseVersion

log = logging.getLogger(__name__)

ATTACHMENTS = "attachments"  # the MessageVariant with the release's images attached


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    outlet_id: int | None = None
    unsubscribe_url: str = ""  # reader mail only


def new_message_id(version: ReleaseVersion) -> str:
    s = settings()
    return f"<pm.{version.release.public_id}.v{version.version}.{uuid.uuid4().hex[:16]}@{s.mail_domain}>"


# --- Suppressions -------------------------------------------------------------------------------


def suppressed_emails(office_id: int) -> set[str]:
    return set(db.session.scalars(select(Suppression.email).where(Suppression.office_id == office_id)))


def suppress(office_id: int, email: str, reason: str, source: str = "smtp",
             delivery_id: int | None = None) -> None:
    """Put an address on the office's suppression list (idempotent), in the caller's transaction."""
    db.session.execute(_insert_ignore(Suppression, {
        "office_id": office_id, "email": email.strip().lower(), "reason": reason[:2000],
        "source": source, "delivery_id": delivery_id, "created_at": utcnow()}))


def _insert_ignore(model: type, values: dict[str, object]):  # type: ignore[no-untyped-def]
    """INSERT ... ON CONFLICT DO NOTHING (PostgreSQL and SQLite): concurrent workers race here."""
    if db.dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(model).values(**values).on_conflict_do_nothing()


def lift_suppression(office_id: int, suppression_id: int) -> Suppression | None:
    row = db.session.scalar(select(Suppression).where(Suppression.id == suppression_id,
                                                      Suppression.office_id == office_id))
    if row is not None:
        db.session.delete(row)
    return row


# --- Queueing -----------------------------------------------------------------------------------


def queue_deliveries(version: ReleaseVersion, recipients: Iterable[Recipient],
                     kind: str = "outlet") -> int:
    """Write one row per recipient (in the caller's transaction) and wake a worker after commit.

    Addresses on the office's suppression list get a row in state ``suppressed`` (visible in the
    report, never sent). Outlets that prefer attachments get the attachments variant when it fits
    their size cap. Returns the number of rows written.
    """
    now = utcnow()
    office_id = version.release.office_id
    blocked = suppressed_emails(office_id)
    unique: list[Recipient] = []
    seen: set[str] = set()
    for r in recipients:
        key = r.email.lower()
        if key not in seen:
            seen.add(key)
            unique.append(r)
    variants = _attachment_variants(version, unique) if kind == "outlet" else {}
    rows = []
    for r in unique:
        is_blocked = r.email.lower() in blocked
        rows.append({
            "office_id": office_id, "version_id": version.id, "kind": kind,
            "outlet_id": r.outlet_id, "email": r.email, "name": r.name,
            "state": DeliveryState.SUPPRESSED.value if is_blocked else DeliveryState.QUEUED.value,
            "attempts": 0, "next_attempt_at": now,
            "last_error": "address on the suppression list" if is_blocked else "",
            "message_id": new_message_id(version), "created_at": now,
            "unsubscribe_url": r.unsubscribe_url, "variant": variants.get(r.outlet_id, ""),
            "claim_token": "",
        })
    if rows:
        db.session.execute(insert(Delivery), rows)
    queued = sum(1 for r in rows if r["state"] == DeliveryState.QUEUED.value)
    if queued:
        # One wake-up per batch up to fanout_tasks: several worker processes share a long list
        # (each claims its own batches); a surplus task finds nothing and returns at once.
        s = settings()
        tasks = min(s.fanout_tasks, -(-queued // s.batch_size))
        version_id = version.id
        for _ in range(tasks):
            after_commit(db.session(), lambda: send_task(DELIVER_TASK, version_id))
    return len(rows)


def _attachment_variants(version: ReleaseVersion, recipients: list[Recipient]) -> dict[int, str]:
    """Render the images-attached variant once, if any recipient outlet wants it and it fits."""
    from pressdesk.media.models import Outlet
    from pressdesk.releases.images import image_path

    ids = [r.outlet_id for r in recipients if r.outlet_id is not None]
    images = list(version.release.images)
    if not ids or not images or not version.mail_bytes:
        return {}
    wanting = db.session.execute(
        select(Outlet.id, Outlet.max_attachment_kb)
        .where(Outlet.id.in_(ids), Outlet.prefers_attachments.is_(True))
    ).all()
    if not wanting:
        return {}
    files = []
    for img in images:
        path = image_path(img, "original")
        if Path(path).is_file():
            files.append(Attachment(img.filename, img.content_type or "image/jpeg", path.read_bytes()))
    if not files:
        return {}
    data = with_attachments(version.mail_bytes, files)
    fits = {oid: ATTACHMENTS for oid, cap_kb in wanting if len(data) <= cap_kb * 1024}
    if fits:
        db.session.add(MessageVariant(version_id=version.id, name=ATTACHMENTS, mail_bytes=data))
    return fits


# --- Claiming and marking -----------------------------------------------------------------------


def _due_condition():  # type: ignore[no-untyped-def]
    now = utcnow()
    return or_(
        and_(Delivery.state.in_(PENDING_STATES), Delivery.next_attempt_at <= now),
        # A worker that died mid-batch leaves rows in "sending"; its claim runs out.
        and_(Delivery.state == DeliveryState.SENDING.value, Delivery.claimed_until < now),
    )


def _not_held():  # type: ignore[no-untyped-def]
    """The version is neither paused nor cancelled."""
    return ~exists().where(SendControl.version_id == Delivery.version_id,
                           SendControl.state != "active")


@dataclass
class Claimed:
    id: int
    email: str
    name: str
    message_id: str
    attempts: int
    kind: str
    unsubscribe_url: str
    variant: str
    token: str
    office_id: int


def claim_batch(version_id: int, limit: int) -> list[Claimed]:
    """Atomically move up to ``limit`` due rows of a version to "sending" and return them.

    PostgreSQL: ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)``, so concurrent
    workers take disjoint rows without waiting. SQLite: the same single UPDATE; SQLite has one
    writer at a time, which makes it atomic.
    """
    s = settings()
    now = utcnow()
    token = uuid.uuid4().hex
    pick = (
        select(Delivery.id)
        .where(Delivery.version_id == version_id, _due_condition(), _not_held())
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
                claim_token=token, attempts=Delivery.attempts + 1, updated_at=now)
        .returning(Delivery.id, Delivery.email, Delivery.name, Delivery.message_id,
                   Delivery.attempts, Delivery.kind, Delivery.unsubscribe_url, Delivery.variant,
                   Delivery.office_id)
        .execution_options(synchronize_session=False)
    )
    rows = db.session.execute(stmt).all()
    db.session.commit()
    return [Claimed(r.id, r.email, r.name, r.message_id, r.attempts, r.kind, r.unsubscribe_url,
                    r.variant, token, r.office_id) for r in sorted(rows, key=lambda r: r.id)]


def extend_claims(rows: list[Claimed]) -> set[int]:
    """Push the claim deadline of rows we still hold; returns the ids we still hold."""
    if not rows:
        return set()
    s = settings()
    held = db.session.execute(
        update(Delivery)
        .where(Delivery.id.in_([r.id for r in rows]), Delivery.claim_token == rows[0].token,
               Delivery.state == DeliveryState.SENDING.value)
        .values(claimed_until=utcnow() + timedelta(seconds=s.claim_seconds))
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    db.session.commit()
    return set(held)


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter: base * 2^(n-1), +-20 %, capped at six hours."""
    base = settings().retry_base_seconds * 2 ** max(0, attempts - 1)
    return min(base, 6 * 3600) * random.uniform(0.8, 1.2)


def _mark(row: Claimed, **values: object) -> None:
    """Mark one row, only while we still hold its claim; one small UPDATE and a commit."""
    db.session.execute(
        update(Delivery).where(Delivery.id == row.id, Delivery.claim_token == row.token)
        .values(updated_at=utcnow(), claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


_rows = Delivery.__table__
# The hot path: one precompiled Core UPDATE per 250 answer, on a plain connection (no ORM unit of
# work), committed at once. Measured: about a third of the ORM session path's cost.
_MARK_SENT = (
    _rows.update()
    .where(_rows.c.id == bindparam("row_id"), _rows.c.claim_token == bindparam("token"))
    .values(state=DeliveryState.SENT.value, sent_at=bindparam("now"), updated_at=bindparam("now"),
            claimed_until=None, last_error="")
)


def mark_sent(row: Claimed, detail: str, conn: Connection | None = None) -> None:
    if conn is None:
        _mark(row, state=DeliveryState.SENT.value, sent_at=utcnow(), last_error="")
        return
    conn.execute(_MARK_SENT, {"row_id": row.id, "token": row.token, "now": utcnow()})
    conn.commit()  # a no-op on an AUTOCOMMIT connection


def mark_temporary(row: Claimed, detail: str) -> None:
    s = settings()
    if row.attempts >= s.max_attempts:
        _mark(row, state=DeliveryState.FAILED.value,
              last_error=f"{detail} (gave up after {row.attempts} attempts)")
        return
    _mark(row, state=DeliveryState.RETRYING.value, last_error=detail,
          next_attempt_at=utcnow() + timedelta(seconds=backoff_seconds(row.attempts)))


def mark_permanent(row: Claimed, detail: str, suppress_address: bool = True) -> None:
    """5xx: failed at once; the address goes on the office's suppression list."""
    if suppress_address:
        suppress(row.office_id, row.email, detail, "smtp", row.id)
    _mark(row, state=DeliveryState.FAILED.value, last_error=detail)


def hand_back(rows: Iterable[Claimed], delay: float, detail: str,
              state: str = DeliveryState.RETRYING.value) -> None:
    """Give claimed but unsent rows back (no attempt counted): connection lost, paused, cancelled."""
    rows = list(rows)
    if not rows:
        return
    db.session.execute(
        update(Delivery)
        .where(Delivery.id.in_([r.id for r in rows]), Delivery.claim_token == rows[0].token,
               Delivery.state == DeliveryState.SENDING.value)
        .values(state=state, claimed_until=None, last_error=detail,
                attempts=Delivery.attempts - 1, updated_at=utcnow(),
                next_attempt_at=utcnow() + timedelta(seconds=delay))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def release_claims(rows: Iterable[Claimed], delay: float, detail: str) -> None:
    """Kept for callers of the skeleton API."""
    hand_back(rows, delay, detail)


# --- Pause, cancel, retry -----------------------------------------------------------------------


def control_state(version_id: int) -> str:
    state = db.session.scalar(select(SendControl.state).where(SendControl.version_id == version_id))
    db.session.commit()  # end the read transaction: the next check must see fresh data
    return state or "active"


def _set_control(version_id: int, state: str, reason: str, user_id: int | None) -> None:
    ctl = db.session.get(SendControl, version_id)
    if ctl is None:
        ctl = SendControl(version_id=version_id)
        db.session.add(ctl)
    ctl.state, ctl.reason, ctl.changed_by_id, ctl.changed_at = state, reason, user_id, utcnow()


def pause(version_id: int, reason: str = "", user_id: int | None = None) -> None:
    """Stop claiming rows of this version; workers hand back what they hold within a second."""
    if control_state(version_id) == "cancelled":
        return
    _set_control(version_id, "paused", reason, user_id)


def resume(version_id: int, user_id: int | None = None) -> None:
    if control_state(version_id) != "paused":
        return
    _set_control(version_id, "active", "", user_id)
    after_commit(db.session(), lambda: send_task(DELIVER_TASK, version_id))


def cancel(version_id: int, reason: str = "", user_id: int | None = None) -> int:
    """Cancel every row not yet sent; rows in flight are cancelled by their worker. Final."""
    _set_control(version_id, "cancelled", reason, user_id)
    return db.session.execute(
        update(Delivery)
        .where(Delivery.version_id == version_id, Delivery.state.in_(PENDING_STATES))
        .values(state=DeliveryState.CANCELLED.value, updated_at=utcnow(),
                last_error=reason or "cancelled")
        .execution_options(synchronize_session=False)
    ).rowcount


def retry_failed(version_id: int) -> int:
    """Queue failed rows again (not those whose address is still suppressed)."""
    if control_state(version_id) == "cancelled":
        return 0
    office_id = db.session.scalar(select(Delivery.office_id).where(Delivery.version_id == version_id))
    blocked = suppressed_emails(office_id) if office_id else set()
    ids = [i for i, e in db.session.execute(
        select(Delivery.id, Delivery.email).where(Delivery.version_id == version_id,
                                                  Delivery.state == DeliveryState.FAILED.value))
        if e.lower() not in blocked]
    if not ids:
        return 0
    db.session.execute(
        update(Delivery).where(Delivery.id.in_(ids))
        .values(state=DeliveryState.QUEUED.value, attempts=0, next_attempt_at=utcnow(),
                updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    after_commit(db.session(), lambda: send_task(DELIVER_TASK, version_id))
    return len(ids)


# --- Relays: rate limit and error runs ----------------------------------------------------------


def _ensure_relay(relay: str) -> None:
    if db.session.scalar(select(RelayState.relay).where(RelayState.relay == relay)) is not None:
        return
    db.session.execute(_insert_ignore(RelayState, {
        "relay": relay, "next_slot": 0.0, "consecutive_errors": 0, "updated_at": utcnow()}))
    db.session.commit()


_REDIS_RESERVE = """
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local now = tonumber(ARGV[1])
if cur < now then cur = now end
redis.call('SET', KEYS[1], tostring(cur + tonumber(ARGV[2])), 'EX', 3600)
return tostring(cur)
"""


class RateLimiter:
    """Messages per second per relay, shared by all workers (GCRA with slot reservations).

    Each worker reserves a few consecutive send slots at once (one Redis script call or one
    ``UPDATE ... RETURNING``) and waits for each slot locally, so the shared store is touched a
    few times a second rather than per message.
    """

    def __init__(self, relay: str, rate: float, broker_url: str) -> None:
        self.relay, self.rate = relay, rate
        self.chunk = max(1, int(rate // 5))
        self.slots: deque[float] = deque()
        self.redis = None
        if rate > 0 and broker_url.startswith(("redis://", "rediss://")):
            import redis

            self.redis = redis.Redis.from_url(broker_url)
        elif rate > 0:
            _ensure_relay(relay)

    def _reserve(self) -> float:
        step = self.chunk / self.rate
        now = time.time()
        if self.redis is not None:
            return float(self.redis.eval(_REDIS_RESERVE, 1, f"pressdesk:rate:{self.relay}", now, step))
        greatest = func.greatest if db.dialect == "postgresql" else func.max
        end = db.session.execute(
            update(RelayState).where(RelayState.relay == self.relay)
            .values(next_slot=greatest(RelayState.next_slot, now) + step)
            .returning(RelayState.next_slot)
            .execution_options(synchronize_session=False)
        ).scalar_one()
        db.session.commit()
        return end - step

    def wait(self) -> None:
        if self.rate <= 0:
            return
        if not self.slots:
            start = self._reserve()
            self.slots.extend(start + i / self.rate for i in range(self.chunk))
        delay = self.slots.popleft() - time.time()
        if delay > 0:
            time.sleep(delay)


class ErrorRun:
    """Consecutive errors against one relay, shared by workers through ``relay_states``."""

    def __init__(self, relay: str, limit: int) -> None:
        self.relay, self.limit = relay, limit
        self.count = 0
        if limit > 0:
            _ensure_relay(relay)
            self.count = db.session.scalar(
                select(RelayState.consecutive_errors).where(RelayState.relay == relay)) or 0

    def success(self) -> None:
        if self.limit > 0 and self.count:
            self._set(0)

    def error(self) -> bool:
        """Count one error; True when the run reached the limit (the counter starts over)."""
        if self.limit <= 0:
            return False
        self.count = db.session.execute(
            update(RelayState).where(RelayState.relay == self.relay)
            .values(consecutive_errors=RelayState.consecutive_errors + 1, updated_at=utcnow())
            .returning(RelayState.consecutive_errors)
            .execution_options(synchronize_session=False)
        ).scalar_one()
        db.session.commit()
        if self.count >= self.limit:
            self._set(0)
            return True
        return False

    def _set(self, value: int) -> None:
        db.session.execute(update(RelayState).where(RelayState.relay == self.relay)
                           .values(consecutive_errors=value, updated_at=utcnow())
                           .execution_options(synchronize_session=False))
        db.session.commit()
        self.count = value


# --- Sending ------------------------------------------------------------------------------------


def open_transport() -> Transport:
    s = settings()
    return make_transport(s.smtp_url, s.outbox_dir, timeout=s.smtp_timeout, helo=s.mail_domain)


def verp_token(row_id: int) -> str:
    sig = hmac.new(settings().secret_key.encode(), f"delivery:{row_id}".encode(), hashlib.sha256)
    return f"{row_id}-{sig.hexdigest()[:12]}"


def return_path(row_id: int) -> str:
    """The envelope sender: ``bounce+<id>-<hmac>@domain`` (VERP) so a bounce names its row."""
    s = settings()
    if not s.verp:
        return s.mail_from
    return f"bounce+{verp_token(row_id)}@{s.mail_domain}"


def row_for_verp(address: str) -> int | None:
    """The delivery id in a VERP address, if its signature is ours."""
    local = address.strip().strip("<>").split("@", 1)[0]
    if not local.lower().startswith("bounce+"):
        return None
    token = local[len("bounce+"):]
    row_id, _, _sig = token.partition("-")
    if not row_id.isdigit():
        return None
    return int(row_id) if hmac.compare_digest(verp_token(int(row_id)), token) else None


class SharedParts:
    """The shared bytes per (kind, variant) of one version, DKIM-signed once when configured.

    A signed variant is stored (``MessageVariant`` "dkim:<kind>:<variant>"), so every worker
    sends the same signature and the desk can show the message exactly as sent.
    """

    def __init__(self, version: ReleaseVersion, sign: bool = True) -> None:
        self.version = version
        self.sign = sign
        self.cache: dict[tuple[str, str], bytes | None] = {}

    def base(self, kind: str, variant: str) -> bytes | None:
        if variant:
            return db.session.scalar(select(MessageVariant.mail_bytes).where(
                MessageVariant.version_id == self.version.id, MessageVariant.name == variant))
        if kind == "outlet":
            return self.version.mail_bytes
        if kind == "reader":
            # Reader alerts may be queued after this task loaded the version (its outlets were
            # already being sent): read the reader variant now, never a stale copy.
            fresh = db.session.scalar(select(ReleaseVersion.reader_mail_bytes)
                                      .where(ReleaseVersion.id == self.version.id))
            return fresh or self.version.mail_bytes
        return None  # rendered per row (Delivery.payload)

    def get(self, kind: str, variant: str) -> bytes | None:
        key = (kind, variant)
        if key not in self.cache:
            self.cache[key] = self._load(kind, variant)
        return self.cache[key]

    def _load(self, kind: str, variant: str) -> bytes | None:
        base = self.base(kind, variant)
        s = settings()
        if base is None or not s.dkim_key_file:
            return base
        name = f"dkim:{kind}:{variant}"
        stored = db.session.scalar(select(MessageVariant.mail_bytes).where(
            MessageVariant.version_id == self.version.id, MessageVariant.name == name))
        if stored is not None or not self.sign:
            db.session.commit()
            return stored if stored is not None else base
        signed = dkim_sign(base, s.dkim_selector, s.dkim_domain or s.mail_domain,
                           Path(s.dkim_key_file).read_bytes())
        # Another worker may sign at the same moment: keep the first and use that.
        db.session.execute(_insert_ignore(MessageVariant, {
            "version_id": self.version.id, "name": name, "mail_bytes": signed,
            "created_at": utcnow()}))
        stored = db.session.scalar(select(MessageVariant.mail_bytes).where(
            MessageVariant.version_id == self.version.id, MessageVariant.name == name))
        db.session.commit()
        return stored


def deliver_version(version_id: int, transport: Transport | None = None) -> int:
    """Send every due row of a version, batch by batch over one connection. Returns sent count.

    Every second (and before each batch) the version's pause/cancel state is checked and the
    claims of the rows still to send are extended. A task hands over to a fresh one before its
    time limit, so the hard limit (below the broker's visibility timeout) is never hit mid-send.
    """
    s = settings()
    version = db.session.get(ReleaseVersion, version_id)
    if version is None or not version.mail_bytes:
        log.warning("version %s has no rendered mail; nothing to send", version_id)
        return 0
    if control_state(version_id) != "active":
        return 0
    parts = SharedParts(version)
    own = transport is None
    tp = transport or open_transport()
    limiter = RateLimiter(tp.relay, s.rate_limit_per_second, s.broker_url)
    run = ErrorRun(tp.relay, s.auto_pause_errors)
    # Keep batches short enough to finish well within a claim at the configured rate.
    batch_size = s.batch_size
    if s.rate_limit_per_second > 0:
        batch_size = max(1, min(batch_size, int(s.rate_limit_per_second * s.claim_seconds / 4)))
    budget = max(5.0, s.task_time_limit * 0.8)
    started = time.monotonic()
    sent = 0
    try:
        tp.open()
    except Exception as exc:  # noqa: BLE001 - any connect failure means "try later"
        log.warning("cannot open transport: %s", exc)
    assert db.engine is not None
    # Each mark is one UPDATE in its own implicit transaction: one round trip, no BEGIN/COMMIT.
    marker = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    if db.dialect == "postgresql":
        # Marks commit without waiting for the WAL flush (an fsync per message otherwise). A
        # crashing worker loses nothing (the commit is in the server); only a crash of the
        # database server itself can forget the last fraction of a second of marks, and those
        # rows are then sent again (same Message-ID), never lost. Per connection, marks only.
        marker.exec_driver_sql("SET synchronous_commit = off")
    try:
        while time.monotonic() - started < budget:
            if control_state(version_id) != "active":
                return sent
            batch = claim_batch(version_id, batch_size)
            if not batch:
                return sent
            pending = deque(batch)
            checked = time.monotonic()
            while pending:
                now = time.monotonic()
                if now - checked >= 1.0 or now - started >= budget:
                    checked = now
                    state = control_state(version_id)
                    if state != "active" or now - started >= budget:
                        _stop(pending, state)
                        if state == "active":
                            send_task(DELIVER_TASK, version_id)  # hand over to a fresh task
                        return sent
                    held = extend_claims(list(pending))
                    pending = deque(r for r in pending if r.id in held)
                    if not pending:
                        break
                row = pending.popleft()
                limiter.wait()
                result = _send_one(tp, row, parts)
                if result.outcome is Outcome.SENT:
                    mark_sent(row, result.detail, marker)
                    run.success()
                    sent += 1
                    continue
                if result.outcome is Outcome.PERMANENT:
                    mark_permanent(row, result.detail, result.suppress)
                else:
                    mark_temporary(row, result.detail)
                if run.error():
                    # Shown in the desk (German UI): "automatically: N errors in a row at relay".
                    reason = f"automatisch: {s.auto_pause_errors} Fehler in Folge bei {tp.relay}"
                    pause(version_id, reason)
                    db.session.commit()
                    _stop(pending, "paused")
                    log.warning("version %s %s", version_id, reason)
                    return sent
                if result.connection_lost:
                    # The relay is gone or throttling us: hand the rest back for later.
                    hand_back(pending, backoff_seconds(1), result.detail)
                    return sent
        send_task(DELIVER_TASK, version_id)  # time budget used up between batches
    finally:
        marker.close()
        if own:
            tp.close()
    return sent


def _stop(pending: Iterable[Claimed], state: str) -> None:
    if state == "cancelled":
        hand_back(pending, 0, "cancelled", DeliveryState.CANCELLED.value)
    else:
        hand_back(pending, 0, "paused" if state == "paused" else "", DeliveryState.QUEUED.value)


def _send_one(tp: Transport, row: Claimed, parts: SharedParts) -> SendResult:
    try:
        data = _personalised(row, parts.get(row.kind, row.variant))
    except Exception as exc:  # noqa: BLE001 - a row that cannot be built must not block the rest
        log.exception("cannot build message for delivery %s", row.id)
        return SendResult(Outcome.PERMANENT, f"cannot build message: {exc}", suppress=False)
    return tp.send(return_path(row.id), row.email, data)


def _personalised(row: Claimed | Delivery, shared: bytes | None) -> bytes:
    if shared is None:  # rendered for this row alone (e.g. a reader digest)
        shared = db.session.scalar(select(Delivery.payload).where(Delivery.id == row.id)) or b""
    return personalise(shared, row.name, row.email, row.message_id, row.unsubscribe_url,
                       unsubscribe_mailto_for(row))


def message_bytes(row: Delivery | Claimed, shared_by_kind: dict[str, bytes]) -> bytes:
    """The exact bytes for one row: its own payload, or the shared part of its kind."""
    return _personalised(row, shared_by_kind.get(row.kind))


def unsubscribe_mailto_for(row: Delivery | Claimed) -> str:
    if not row.unsubscribe_url:
        return ""
    return f"mailto:unsubscribe@{settings().mail_domain}?subject=unsubscribe%20{row.message_id.strip('<>')}"


def sweep() -> list[int]:
    """Wake a worker for every version with due rows (lost wake-ups, retries, dead claims)."""
    ids = list(db.session.scalars(
        select(Delivery.version_id).where(_due_condition(), _not_held()).distinct()))
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
    parts = SharedParts(delivery.version, sign=False)
    return _personalised(delivery, parts.get(delivery.kind, delivery.variant or ""))
