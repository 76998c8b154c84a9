"""Relays: opening the transport, the envelope sender (VERP), the shared rate limit and the
run of consecutive errors against one relay (auto-pause).

Rate-limit slots and error runs are shared by all workers: in Redis when the broker is Redis
(rate limit), else in ``relay_states``.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import deque

from sqlalchemy import func, select, update

from pressdesk.config import Settings, settings
from pressdesk.db import utcnow
from pressdesk.delivery.models import RelayState, insert_ignore
from pressdesk.delivery.transport import Transport, make_transport
from pressdesk.extensions import db


def open_transport() -> Transport:
    s = settings()
    return make_transport(s.smtp_url, s.outbox_dir, timeout=s.smtp_timeout, helo=s.mail_domain)


def verp_token(row_id: int, secret_key: str | None = None) -> str:
    key = (settings().secret_key if secret_key is None else secret_key).encode()
    sig = hmac.digest(key, f"delivery:{row_id}".encode(), hashlib.sha256)
    return f"{row_id}-{sig.hex()[:12]}"


def return_path(row_id: int, s: Settings | None = None) -> str:
    """The envelope sender: ``bounce+<id>-<hmac>@domain`` (VERP) so a bounce names its row.
    ``s``: the caller's settings (the send loop reads them once per task)."""
    s = s or settings()
    if not s.verp:
        return s.mail_from
    return f"bounce+{verp_token(row_id, s.secret_key)}@{s.mail_domain}"


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



def _ensure_relay(relay: str) -> None:
    if db.session.scalar(select(RelayState.relay).where(RelayState.relay == relay)) is not None:
        return
    db.session.execute(insert_ignore(RelayState, {
        "relay": relay, "next_slot": 0.0, "consecutive_errors": 0, "updated_at": utcnow()}))
    db.commit()  # deliberate: shared by all workers


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
        db.commit()  # deliberate: shared by all workers
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
        db.commit()  # deliberate: shared by all workers
        if self.count >= self.limit:
            self._set(0)
            return True
        return False

    def _set(self, value: int) -> None:
        db.session.execute(update(RelayState).where(RelayState.relay == self.relay)
                           .values(consecutive_errors=value, updated_at=utcnow())
                           .execution_options(synchronize_session=False))
        db.commit()  # deliberate: shared by all workers
        self.count = value
