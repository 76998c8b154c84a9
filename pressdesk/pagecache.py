"""The one cache of rendered public documents (feeds and portal pages) and the micro-caches.

Entries are keyed by the *data state* of what they show (see ``feeds.services.compute_state``:
newest visible version, newest passed embargo end, newest withdrawal). A publish, correction,
withdrawal or embargo end makes a new key, so a stale entry can never be served, even by another
process that missed the ``release_changed`` signal; the signal's receivers only free memory early.
With ``PRESSDESK_FEED_CACHE_URL`` (redis://...) every web host shares one store (entries expire
after a day); otherwise each process keeps a small LRU (``cachetools``).
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

from cachetools import LRUCache, TTLCache
from flask import current_app

from pressdesk.config import settings


class DocumentCache(Protocol):
    def get(self, key: str) -> tuple[bytes, bytes] | None: ...
    def set(self, key: str, raw: bytes, gz: bytes) -> None: ...
    def clear(self) -> None: ...


class LocalCache:
    """A small thread-safe LRU in this process (``cachetools``; a lock, as it is not)."""

    def __init__(self, max_entries: int = 512) -> None:
        self.max_entries = max_entries
        self._data: LRUCache[str, tuple[bytes, bytes]] = LRUCache(maxsize=max_entries)
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[bytes, bytes] | None:
        with self._lock:
            return self._data.get(key)

    def set(self, key: str, raw: bytes, gz: bytes) -> None:
        with self._lock:
            self._data[key] = (raw, gz)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


class RedisCache:
    PREFIX = "pressdesk:feed:"
    TTL = 86400

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url)

    def get(self, key: str) -> tuple[bytes, bytes] | None:
        raw, gz = self.client.mget(self.PREFIX + key + ":raw", self.PREFIX + key + ":gz")
        if not isinstance(raw, bytes) or not isinstance(gz, bytes):
            return None  # missing (or a client set up to decode, which this one is not)
        return raw, gz

    def set(self, key: str, raw: bytes, gz: bytes) -> None:
        pipe = self.client.pipeline()
        pipe.set(self.PREFIX + key + ":raw", raw, ex=self.TTL)
        pipe.set(self.PREFIX + key + ":gz", gz, ex=self.TTL)
        pipe.execute()

    def clear(self) -> None:
        # Keys are state-based: old ones are unreachable and expire on their own.
        return None


def make_cache(url: str) -> DocumentCache:
    return RedisCache(url) if url else LocalCache()


def store() -> DocumentCache:
    """This app's one document store (feeds and pages share it)."""
    existing = current_app.extensions.get("pressdesk.feed_cache")
    if existing is None:
        existing = current_app.extensions["pressdesk.feed_cache"] = make_cache(
            settings().feed_cache_url)
    return existing


class _LockedCache:
    """A cachetools cache behind a lock (cachetools caches are not thread-safe)."""

    def __init__(self, data: TTLCache[str, Any] | LRUCache[str, Any]) -> None:
        self._data = data
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            return self._data.get(key)

    def set(self, key: str, value: Any) -> None:
        with self._lock:
            self._data[key] = value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        with self._lock:
            if isinstance(self._data, TTLCache):
                self._data.expire()
            return len(self._data)


class MicroCache(_LockedCache):
    """A per-process TTL cache."""

    def __init__(self, ttl: float, maxsize: int = 10_000) -> None:
        super().__init__(TTLCache(maxsize=maxsize, ttl=ttl))
        self.ttl = ttl


def micro_cache(name: str) -> MicroCache:
    """This app's cache ``name`` for ``PRESSDESK_FEED_STATE_TTL`` (made anew if that changed)."""
    ttl = settings().feed_state_ttl
    cache_ = current_app.extensions.get(name)
    if not isinstance(cache_, MicroCache) or cache_.ttl != ttl:
        cache_ = current_app.extensions[name] = MicroCache(ttl)
    return cache_


class StateMemo(_LockedCache):
    """Values computed from the data (archive months, vocabularies), kept per process under a
    key that includes the data state: a change of state is a new key, never a stale value."""

    def __init__(self, maxsize: int = 2048) -> None:
        super().__init__(LRUCache(maxsize=maxsize))


def memo() -> StateMemo:
    existing = current_app.extensions.get("pressdesk.state_memo")
    if not isinstance(existing, StateMemo):
        existing = current_app.extensions["pressdesk.state_memo"] = StateMemo()
    return existing
