"""The delivery engine: claim due rows atomically, send, mark each one, sweep.

Invariants (docs/delivery.md): a row is claimed by one atomic UPDATE before it is sent (with a
random claim token, extended every second while its batch is sending); it is marked right after
the server answered (on PostgreSQL the mark is pipelined: on the wire before the next message,
its answer read later). A lost wake-up costs a sweep interval, never a recipient. Rows of a long
list still waiting as ``OutboxChunk``s are written out by the senders, a chunk per batch.

The engine only sends what the queue and the release side prepared: the version's shared bytes,
a stored ``MessageVariant``, or a row's own payload.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, cast

from sqlalchemy import Table, and_, bindparam, case, exists, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import lazyload
from sqlalchemy.sql import ColumnElement

from pressdesk.config import Settings, settings
from pressdesk.db import utcnow
from pressdesk.delivery.controls import auto_pause, control_state
from pressdesk.delivery.models import (
    PENDING_STATES,
    READER_KINDS,
    Delivery,
    DeliveryState,
    OutboxChunk,
    SendControl,
)
from pressdesk.delivery.queue import has_chunks, wake, write_chunk
from pressdesk.delivery.relays import ErrorRun, RateLimiter, open_transport, return_path
from pressdesk.delivery.render import personalise, with_date
from pressdesk.delivery.signing import SharedParts, sign_message
from pressdesk.delivery.suppressions import suppress
from pressdesk.delivery.transport import Outcome, SendResult, Transport
from pressdesk.extensions import db
from pressdesk.releases.models import ReleaseVersion

log = logging.getLogger(__name__)


def _due_condition() -> ColumnElement[bool]:
    now = utcnow()
    return or_(
        and_(Delivery.state.in_(PENDING_STATES), Delivery.next_attempt_at <= now),
        # A worker that died mid-batch leaves rows in "sending"; its claim runs out.
        and_(Delivery.state == DeliveryState.SENDING.value, Delivery.claimed_until < now),
    )


def _not_held() -> ColumnElement[bool]:
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
    office_id: int | None
    link_token: str = ""


def _of_version(version_id: int | None) -> ColumnElement[bool]:
    """Rows of this version; None: service mail (no version)."""
    return Delivery.version_id.is_(None) if version_id is None else Delivery.version_id == version_id


def claim_batch(version_id: int | None, limit: int) -> list[Claimed]:
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
        .where(_of_version(version_id), _due_condition(), _not_held())
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
                   Delivery.office_id, Delivery.link_token)
        .execution_options(synchronize_session=False)
    )
    rows = db.session.execute(stmt).all()
    db.commit()  # deliberate: the claim must be visible to other workers before we send
    return [Claimed(r.id, r.email, r.name, r.message_id, r.attempts, r.kind, r.unsubscribe_url,
                    r.variant, token, r.office_id, r.link_token)
            for r in sorted(rows, key=lambda r: r.id)]


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
    db.commit()  # deliberate: an extended claim only counts once committed
    return set(held)


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter: base * 2^(n-1), +-20 %, capped at six hours."""
    base = float(settings().retry_base_seconds * 2 ** max(0, attempts - 1))
    return min(base, 6 * 3600.0) * random.uniform(0.8, 1.2)


def _mark(row: Claimed, **values: object) -> None:
    """Mark one row, only while we still hold its claim; one small UPDATE and a commit."""
    db.session.execute(
        update(Delivery).where(Delivery.id == row.id, Delivery.claim_token == row.token)
        .values(updated_at=utcnow(), claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.commit()  # deliberate: each message is marked durably before the next one is sent


_rows = cast(Table, Delivery.__table__)
# Marks of "sent": the hot path, on connections of their own (never the session's), as plain
# SQL with positional parameters; sent_at/updated_at as naive UTC text (how UTCDateTime stores).
_SENT_PG = (b"UPDATE deliveries SET state = 'sent', sent_at = $1, updated_at = $1, "
            b"claimed_until = NULL, last_error = '' WHERE id = $2 AND claim_token = $3")
_SENT_SQLITE = ("UPDATE deliveries SET state = 'sent', sent_at = ?, updated_at = ?, "
                "claimed_until = NULL, last_error = '' WHERE id = ? AND claim_token = ?")


def _stamp() -> str:
    return utcnow().replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


class Marks(Protocol):
    """Marks rows "sent" right after the relay's 250, each in its own commit."""

    def sent(self, row: Claimed) -> None: ...
    def settle(self) -> None: ...
    def close(self) -> None: ...


class PipelinedMarks:
    """PostgreSQL: each mark is an UPDATE plus a Sync written to the socket at once (libpq
    pipeline mode, a prepared statement), so the next message goes out without waiting for
    the answer. A Sync commits the mark on its own: once its bytes are on the wire the server
    commits it even if this process dies a moment later (kill -9), so at most the one message
    whose 250 had not been marked yet is sent twice.

    Answers are read a few at a time (never blocking the send loop) and at most ``MAX_IN_FLIGHT``
    marks per connection wait unanswered, so a mark never lags its claim. With durable marks
    each commit waits for the WAL flush; several connections let those flushes be shared
    (group commit) instead of queuing behind one another.
    """

    MAX_IN_FLIGHT = 64
    READ_AFTER = 8  # unanswered marks on a connection before its answers are read (never blocking)

    def __init__(self, connections: int, durable: bool) -> None:
        from psycopg import pq

        assert db.engine is not None
        self.pq = pq
        self.slots: list[list[Any]] = []  # [SQLAlchemy connection, PGconn, unanswered syncs]
        self.turn = 0
        for _ in range(max(1, connections)):
            conn = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            if not durable:
                # Opt-in trade-off (PRESSDESK_DURABLE_MARKS=false): marks commit without waiting
                # for the WAL flush. A crash of the database server itself can forget the last
                # fraction of a second of marks, and those rows are sent again (same Message-ID).
                conn.exec_driver_sql("SET synchronous_commit = off")
            pg = conn.connection.driver_connection.pgconn  # type: ignore[union-attr]
            conn.connection.detach()  # never back into the pool in pipeline mode
            pg.enter_pipeline_mode()
            pg.send_prepare(b"pressdesk_mark_sent", _SENT_PG)
            pg.pipeline_sync()
            self.slots.append([conn, pg, 1])

    def sent(self, row: Claimed) -> None:
        slot = self.slots[self.turn]
        self.turn = (self.turn + 1) % len(self.slots)
        if slot[2] >= self.MAX_IN_FLIGHT:
            self._read(slot, block=True, down_to=self.MAX_IN_FLIGHT // 2)
        pg = slot[1]
        pg.send_query_prepared(b"pressdesk_mark_sent",
                               [_stamp().encode(), str(row.id).encode(), row.token.encode()])
        pg.pipeline_sync()
        pg.flush()
        slot[2] += 1
        if slot[2] >= self.READ_AFTER:
            # The answers of several marks in one read (a recv and its parsing per message
            # were a sixth of the send loop); the mark itself is already on the wire.
            self._read(slot, block=False)

    def _read(self, slot: list[Any], block: bool, down_to: int = 0) -> None:
        pg, ok = slot[1], self.pq.ExecStatus
        while slot[2] > down_to:
            if not block:
                pg.consume_input()
                if pg.is_busy():
                    return
            res = pg.get_result()
            if pg.status != self.pq.ConnStatus.OK:
                raise RuntimeError("the marking connection was lost")
            if res is None:  # the end of one statement's results
                continue
            if res.status == ok.PIPELINE_SYNC:
                slot[2] -= 1
            elif res.status == ok.FATAL_ERROR:
                msg = (res.error_message or b"").decode("utf-8", "replace")
                raise RuntimeError(f"marking a delivery failed: {msg}")

    def settle(self) -> None:
        for slot in self.slots:
            self._read(slot, block=True)

    def idle(self) -> bool:
        """Every mark answered and every connection healthy (fit for the next task)."""
        ok = self.pq.ConnStatus.OK
        return bool(self.slots) and all(
            pending == 0 and pg.status == ok and pg.transaction_status == self.pq.TransactionStatus.IDLE
            for _conn, pg, pending in self.slots)

    def close(self) -> None:
        for conn, _pg, _pending in self.slots:
            try:
                conn.close()  # detached: the connection (and its prepared statement) ends
            except Exception:  # noqa: BLE001 - closing a broken connection
                log.warning("cannot close marking connection", exc_info=True)
        self.slots = []


class DirectMarks:
    """SQLite (and any other database): one UPDATE in its own implicit transaction on a plain
    autocommit connection; with WAL and synchronous=NORMAL a commit does not wait for a disk
    flush, so the round trip is a function call."""

    def __init__(self) -> None:
        assert db.engine is not None
        self.conn = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self.sqlite = db.dialect == "sqlite"

    def sent(self, row: Claimed) -> None:
        now = _stamp()
        if self.sqlite:
            raw = self.conn.connection.driver_connection
            raw.execute(_SENT_SQLITE, (now, now, row.id, row.token))  # type: ignore[union-attr]
            return
        self.conn.execute(_MARK_SENT, {"row_id": row.id, "token": row.token, "now": utcnow()})

    def settle(self) -> None:
        return None

    def close(self) -> None:
        self.conn.close()


# A process keeps its pipelined marking connections from one task to the next (connecting
# and preparing again would delay each task's first message).
_kept_marks: dict[tuple[int, int, bool, int], PipelinedMarks] = {}


def _marks_key() -> tuple[int, int, bool, int]:
    s = settings()
    return (os.getpid(), id(db.engine), s.durable_marks, s.mark_connections)


def open_marks() -> Marks:
    s = settings()
    if db.dialect != "postgresql":
        return DirectMarks()
    kept = _kept_marks.pop(_marks_key(), None)
    if kept is not None and kept.idle():
        return kept
    if kept is not None:
        kept.close()
    return PipelinedMarks(s.mark_connections, s.durable_marks)


def keep_marks(marks: Marks) -> None:
    """After a task whose marks were all answered: keep the connections for the next task."""
    key = _marks_key()
    if isinstance(marks, PipelinedMarks) and marks.idle() and key not in _kept_marks:
        _kept_marks[key] = marks
    else:
        marks.close()


_MARK_SENT = (
    _rows.update()
    .where(_rows.c.id == bindparam("row_id"), _rows.c.claim_token == bindparam("token"))
    .values(state=DeliveryState.SENT.value, sent_at=bindparam("now"), updated_at=bindparam("now"),
            claimed_until=None, last_error="")
)


def mark_sent(row: Claimed, detail: str, marks: Marks | None = None) -> None:
    if marks is None:
        _mark(row, state=DeliveryState.SENT.value, sent_at=utcnow(), last_error="")
        return
    marks.sent(row)


def mark_temporary(row: Claimed, detail: str) -> None:
    s = settings()
    if row.attempts >= s.max_attempts:
        _mark(row, state=DeliveryState.FAILED.value,
              last_error=f"{detail} (gave up after {row.attempts} attempts)")
        return
    _mark(row, state=DeliveryState.RETRYING.value, last_error=detail,
          next_attempt_at=utcnow() + timedelta(seconds=backoff_seconds(row.attempts)))


def mark_permanent(row: Claimed, detail: str, suppress_address: bool = True) -> None:
    """5xx: failed at once; the address goes on the suppression list of its kind (newspapers:
    the office's; readers: the platform's)."""
    if suppress_address:
        suppress(row.office_id, row.email, detail, "smtp", row.id, kind=row.kind)
    _mark(row, state=DeliveryState.FAILED.value, last_error=detail)


def hand_back(rows: Iterable[Claimed], delay: float = 0.0, state: str | None = None) -> None:
    """Give claimed but unsent rows back (no attempt counted): connection lost, paused, failed.

    Nothing happened to these rows, so nothing is written about them: their last error stays
    what it was (a row shows only what happened to it), and they return to ``queued`` (never
    tried) or ``retrying`` (tried before). ``state`` overrides that (``cancelled``).
    """
    rows = list(rows)
    if not rows:
        return
    now = utcnow()
    back = case((Delivery.attempts <= 1, DeliveryState.QUEUED.value),
                else_=DeliveryState.RETRYING.value) if state is None else state
    db.session.execute(
        update(Delivery)
        .where(Delivery.id.in_([r.id for r in rows]), Delivery.claim_token == rows[0].token,
               Delivery.state == DeliveryState.SENDING.value)
        .values(state=back, claimed_until=None, attempts=Delivery.attempts - 1, updated_at=now,
                next_attempt_at=now + timedelta(seconds=delay))
        .execution_options(synchronize_session=False)
    )
    db.commit()  # deliberate: handed-back rows are free for other workers at once


class Heartbeat:
    """Extends the claims of the rows a task holds every second, from a thread of its own.

    The claim (``claim_seconds``) can then be short: a live worker keeps it even while one send
    waits for a slow relay, and a dead worker's claim runs out within seconds, so the sweeper
    hands its rows to another worker. Rows whose claim was lost (taken over) are reported in
    ``lost``.
    """

    def __init__(self) -> None:
        self.token = ""
        self.ids: set[int] = set()
        self.lost: set[int] = set()
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        # Read here, in the task's app context: the thread has none of its own.
        self.claim_seconds = settings().claim_seconds
        self.thread = threading.Thread(target=self._run, name="claim-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join(5)

    def hold(self, rows: list[Claimed]) -> None:
        with self.lock:
            self.token = rows[0].token if rows else ""
            self.ids = {r.id for r in rows}
            self.lost = set()

    def done(self, row_id: int) -> None:
        with self.lock:
            self.ids.discard(row_id)

    def _run(self) -> None:
        assert db.engine is not None
        conn: Connection | None = None
        try:
            while not self.stopped.wait(1.0):
                with self.lock:
                    ids, token = sorted(self.ids), self.token
                if not ids:
                    continue
                try:
                    if conn is None:
                        conn = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                    held = set(conn.execute(
                        _rows.update()
                        .where(_rows.c.id.in_(ids), _rows.c.claim_token == token,
                               _rows.c.state == DeliveryState.SENDING.value)
                        .values(claimed_until=utcnow() + timedelta(seconds=self.claim_seconds))
                        .returning(_rows.c.id)).scalars())
                except Exception:  # noqa: BLE001 - a database hiccup: try again next second
                    log.warning("cannot extend claims", exc_info=True)
                    if conn is not None:
                        conn.invalidate()
                        conn = None
                    continue
                with self.lock:
                    if token == self.token:
                        # Marked meanwhile (no longer "sending") is not lost: only still-held ids.
                        self.lost |= (set(ids) - held) & self.ids
        finally:
            if conn is not None:
                conn.close()


# --- Sending ------------------------------------------------------------------------------------

# A lost connection or a 421 is retried at once on a fresh connection, up to this many times
# in a row (the first at once, then with a growing short pause); only a relay that keeps
# refusing makes the task back off.
QUICK_RETRIES = 3
QUICK_PAUSE = 0.2


def deliver_version(version_id: int | None, transport: Transport | None = None) -> int:
    """Send every due row of a version, batch by batch over one connection. Returns sent count.

    Every second the version's pause/cancel state is checked; a heartbeat thread extends the
    claims meanwhile. A task hands over to a fresh one before its time limit, so the hard limit
    (below the broker's visibility timeout) is never hit mid-send. Whatever happens, no row is
    left claimed by this task when it ends: what it did not send goes back.
    """
    s = settings()
    # The version's own row only: its eager relationships (release, office, the release's
    # topics, images, ...) were six statements, each compiled afresh in a new pool process,
    # about 50 ms before the first message of a task; the send loop reads none of them.
    version = None if version_id is None else db.session.get(
        ReleaseVersion, version_id, options=[lazyload("*")])
    if version_id is not None and (version is None or not version.mail_bytes):
        log.warning("version %s has no rendered mail; nothing to send", version_id)
        return 0
    if version_id is not None and control_state(version_id) != "active":
        return 0
    parts = SharedParts(version)
    own = transport is None
    tp = transport or open_transport()
    limiter = RateLimiter(tp.relay, s.rate_limit_per_second, s.broker_url)
    run = ErrorRun(tp.relay, s.auto_pause_errors)
    batch_size = s.batch_size
    budget = max(5.0, s.task_time_limit * 0.8)
    started = time.monotonic()
    marks = open_marks()
    sender = _Sender(version_id, tp, parts, limiter, run, marks)
    settled = False
    try:
        with Heartbeat() as heartbeat:
            sender.drive(batch_size, heartbeat, started, budget)
        marks.settle()  # every mark committed before the task reports its count
        settled = True
    finally:
        if settled:
            keep_marks(marks)
        else:
            marks.close()
        if own:
            tp.close()
    return sender.sent


class _Sender:
    """The send loop of one task: one row at a time, marked right after the relay answered."""

    def __init__(self, version_id: int | None, tp: Transport, parts: SharedParts, limiter: RateLimiter,
                 run: ErrorRun, marks: Marks) -> None:
        self.version_id, self.tp, self.parts = version_id, tp, parts
        self.limiter, self.run, self.marks = limiter, run, marks
        self.settings = settings()  # read once per task: the send loop asks per message
        self.sent = 0
        self.hand_back_delay = 0.0
        self.refusals = 0  # consecutive lost connections / 421s
        self.opened = False

    def drive(self, batch_size: int, heartbeat: Heartbeat, started: float, budget: float) -> None:
        """Claim and send batch after batch until nothing is due, the version is held, the relay
        is down or the time budget is used up (then a fresh task takes over)."""
        version_id = self.version_id
        chunks = version_id is not None and has_chunks(version_id)
        while time.monotonic() - started < budget:
            if version_id is not None and control_state(version_id) != "active":
                return
            batch = claim_batch(version_id, batch_size)
            if not batch:
                if version_id is not None and has_chunks(version_id):
                    # Rows still to be written out: write a chunk (or wait for the worker
                    # holding the last ones) and claim again.
                    if write_chunk(version_id) is None:
                        db.rollback()
                        time.sleep(0.05)
                    chunks = True
                    continue
                return
            heartbeat.hold(batch)
            pending = deque(batch)
            self.connect_ahead()
            try:
                if not self.run_batch(pending, heartbeat, started + budget):
                    return
            finally:
                if pending:  # paused, relay down, or an error: nothing stays claimed
                    db.rollback()
                    hand_back(pending, self.hand_back_delay)
                heartbeat.hold([])
            if chunks and version_id is not None:
                # A long list still being written out: one chunk of rows after each batch
                # sent (never before the first one), so the rows stay ahead of the sending.
                chunks = write_chunk(version_id) is not None
        wake(version_id)  # time budget used up between batches

    def connect_ahead(self) -> None:
        """Open the connection before the first message (only once there is work: a task that
        finds nothing due never knocks on the relay)."""
        if self.opened:
            return
        self.opened = True
        try:
            self.tp.open()
        except Exception as exc:  # noqa: BLE001 - any connect failure: the first send retries
            log.warning("cannot open transport: %s", exc)

    def run_batch(self, pending: deque[Claimed], heartbeat: Heartbeat, deadline: float) -> bool:
        """Send the batch; False when the task must end (paused, cancelled, relay down, time)."""
        checked = time.monotonic()
        while pending:
            now = time.monotonic()
            if now - checked >= 1.0 or now >= deadline:
                checked = now
                state = "active" if self.version_id is None else control_state(self.version_id)
                if state == "cancelled":
                    hand_back(list(pending), 0, DeliveryState.CANCELLED.value)
                    pending.clear()
                    return False
                if state != "active":
                    return False  # paused: the caller hands the rest back untouched
                if now >= deadline:
                    wake(self.version_id)  # hand over to a fresh task
                    return False
                if heartbeat.lost:
                    lost = set(heartbeat.lost)
                    kept = [r for r in pending if r.id not in lost]
                    pending.clear()
                    pending.extend(kept)
                    if not pending:
                        break
            row = pending[0]
            self.limiter.wait()
            result = _send_one(self.tp, row, self.parts, self.settings)
            if result.outcome is Outcome.TEMPORARY and result.connection_lost:
                self.refusals += 1
                if self.refusals <= QUICK_RETRIES:
                    # Throttling or a flaky relay: the same message again on a fresh
                    # connection, at once; the rest of the list keeps its turn.
                    time.sleep(QUICK_PAUSE * (self.refusals - 1))
                    continue
            pending.popleft()
            heartbeat.done(row.id)
            if result.outcome is Outcome.SENT:
                mark_sent(row, result.detail, self.marks)
                self.run.success()
                self.refusals = 0
                self.sent += 1
                continue
            if result.outcome is Outcome.PERMANENT:
                mark_permanent(row, result.detail, result.suppress)
            else:
                mark_temporary(row, result.detail)
            if self.run.error() and self.version_id is not None:
                s = settings()
                # Shown in the desk (German UI): "automatically: N errors in a row at relay".
                reason = f"automatisch: {s.auto_pause_errors} Fehler in Folge bei {self.tp.relay}"
                auto_pause(self.version_id, reason)
                log.warning("version %s %s", self.version_id, reason)
                return False
            if result.connection_lost:
                # The relay keeps refusing: back off (the rest waits, untouched), so a relay
                # that is down is not hammered; the sweeper wakes a worker when they are due.
                # The delay grows with the relay's run of errors (shared by all workers).
                self.hand_back_delay = backoff_seconds(max(1, self.run.count))
                return False
        return True


def _send_one(tp: Transport, row: Claimed, parts: SharedParts, s: Settings) -> SendResult:
    """Build and send one row's message; ``s`` is the task's settings (read once per task,
    not per message)."""
    dkim = bool(s.dkim_key_file)
    try:
        if row.kind in READER_KINDS:
            # Reader mail: dated when sent, and signed over its own headers (List-Unsubscribe).
            data = with_date(_personalised(row, parts.get(row.kind, row.variant), s.mail_domain),
                             utcnow())
            if dkim:
                data = sign_message(data)
        elif row.link_token:
            # Its own body (the outlet's link token): signed per message, over its own
            # List-Unsubscribe too; the shared signature would not fit the body.
            data = _personalised(row, parts.unsigned(row.kind, row.variant), s.mail_domain)
            if dkim:
                data = sign_message(data)
        else:
            data = _personalised(row, parts.get(row.kind, row.variant), s.mail_domain)
    except Exception as exc:  # noqa: BLE001 - a row that cannot be built must not block the rest
        log.exception("cannot build message for delivery %s", row.id)
        return SendResult(Outcome.PERMANENT, f"cannot build message: {exc}", suppress=False)
    return tp.send(return_path(row.id, s), row.email, data)


def _personalised(row: Claimed | Delivery, shared: bytes | None, mail_domain: str = "") -> bytes:
    if shared is None:  # rendered for this row alone (e.g. a reader digest)
        shared = db.session.scalar(select(Delivery.payload).where(Delivery.id == row.id)) or b""
    return personalise(shared, row.name, row.email, row.message_id, row.unsubscribe_url,
                       unsubscribe_mailto_for(row, mail_domain), row.link_token)


def message_bytes(row: Delivery | Claimed, shared_by_kind: dict[str, bytes]) -> bytes:
    """The exact bytes for one row: its own payload, or the shared part of its kind."""
    return _personalised(row, shared_by_kind.get(row.kind))


def unsubscribe_mailto_for(row: Delivery | Claimed, mail_domain: str = "") -> str:
    if not row.unsubscribe_url:
        return ""
    domain = mail_domain or settings().mail_domain
    return f"mailto:unsubscribe@{domain}?subject=unsubscribe%20{row.message_id.strip('<>')}"


def sweep() -> list[int | None]:
    """Wake a worker for every version with due rows (lost wake-ups, retries, dead claims)."""
    ids = list(db.session.scalars(
        select(Delivery.version_id).where(_due_condition(), _not_held()).distinct()))
    # Lists whose rows are still being written out (e.g. the worker doing it died).
    held = exists().where(SendControl.version_id == OutboxChunk.version_id,
                          SendControl.state != "active")
    ids += [v for v in db.session.scalars(select(OutboxChunk.version_id).where(~held).distinct())
            if v not in ids]
    db.rollback()  # a read only
    for vid in ids:
        wake(vid)
    return ids


def message_as_sent(delivery: Delivery) -> bytes:
    """The exact bytes handed to the relay for this row (shared part + its own headers)."""
    parts = SharedParts(delivery.version, sign=False)
    return _personalised(delivery, parts.get(delivery.kind, delivery.variant or ""))
