"""The one request throttle (login, the subscribe form, ...): at most ``limit`` hits per key in a
sliding window of ``window`` seconds.

Hits are rows in the database, so the limit holds across every web process and host; a key is
any string (an account and a client, a mailbox, a client network) and is stored only as a hash,
so the table holds no addresses. Callers flush; the request commits.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Index, String, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from pressdesk.db import Base, UTCDateTime, utcnow
from pressdesk.extensions import db


class ThrottleHit(Base):
    """One counted event (a failed login, a subscription request) of one throttle key."""

    __tablename__ = "throttle_hits"
    __table_args__ = (Index("ix_throttle_hits_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


IntSetting = int | Callable[[], int]


def _value(v: IntSetting) -> int:
    return v() if callable(v) else v


class Throttle:
    """A named limit. ``limit`` and ``window`` may be callables, read on every check, so a
    setting changed in tests or by the operator applies without re-creating the throttle."""

    def __init__(self, name: str, limit: IntSetting, window: IntSetting) -> None:
        if ":" in name:
            raise ValueError("a throttle name has no colon")
        self.name = name
        self._limit = limit
        self._window = window

    @property
    def limit(self) -> int:
        return _value(self._limit)

    @property
    def window(self) -> int:
        return _value(self._window)

    def _key(self, key: str) -> str:
        return f"{self.name}:{hashlib.sha256(key.encode()).hexdigest()}"

    def count(self, key: str) -> int:
        since = utcnow() - timedelta(seconds=self.window)
        return db.session.scalar(
            select(func.count()).select_from(ThrottleHit)
            .where(ThrottleHit.key == self._key(key), ThrottleHit.at >= since)) or 0

    def blocked(self, key: str) -> bool:
        """True when ``key`` used up its hits in the window."""
        return self.count(key) >= self.limit

    def hit(self, key: str) -> None:
        """Count one event for ``key`` (and forget this throttle's hits older than its window)."""
        cutoff = utcnow() - timedelta(seconds=self.window)
        db.session.execute(delete(ThrottleHit).where(ThrottleHit.key.startswith(f"{self.name}:"),
                                                     ThrottleHit.at < cutoff))
        db.session.add(ThrottleHit(key=self._key(key)))
        db.session.flush()

    def clear(self, key: str) -> None:
        db.session.execute(delete(ThrottleHit).where(ThrottleHit.key == self._key(key)))


def client_network(remote_addr: str | None, ipv4_prefix: int = 32) -> str:
    """The throttle key of a client: its IPv4 address (or its /``ipv4_prefix`` network), or its
    IPv6 /64 (one subscriber line gets a whole /64, so single IPv6 addresses are free to vary)."""
    try:
        ip = ipaddress.ip_address((remote_addr or "").strip())
    except ValueError:
        return remote_addr or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is None:
            return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
        ip = ip.ipv4_mapped
    if ipv4_prefix >= 32:
        return str(ip)
    return str(ipaddress.IPv4Network(f"{ip}/{ipv4_prefix}", strict=False))
