"""The rendered-feed cache: bytes (plain and gzipped) keyed by the feed's state.

The key is the document's ETag, which is made of the scope, format, page and the data state
(newest version, visible count, newest embargo end and withdrawal). A change to the data makes a
new key, so a stale entry can never be served, even by another process that missed the signal;
the ``release_changed`` receiver only frees memory early. With ``PRESSDESK_FEED_CACHE_URL``
(redis://...) all web processes share one cache; entries then expire after a day.
"""

from __future__ import annotations

import threading
from typing import Protocol

from cachetools import LRUCache


class FeedCache(Protocol):
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


def make_cache(url: str) -> FeedCache:
    return RedisCache(url) if url else LocalCache()
