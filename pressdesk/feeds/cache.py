"""The rendered-feed cache: bytes (plain and gzipped) keyed by the feed's state.

The key is the document's ETag, which is made of the scope, format, page and the data state
(newest version, visible count, newest embargo end and withdrawal). A change to the data makes a
new key, so a stale entry can never be served, even by another process that missed the signal;
the ``release_changed`` receiver only frees memory early. With ``PRESSDESK_FEED_CACHE_URL``
(redis://...) all web processes share one cache; entries then expire after a day.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Protocol


class FeedCache(Protocol):
    def get(self, key: str) -> tuple[bytes, bytes] | None: ...
    def set(self, key: str, raw: bytes, gz: bytes) -> None: ...
    def clear(self) -> None: ...


class LocalCache:
    """A small thread-safe LRU in this process."""

    def __init__(self, max_entries: int = 512) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict[str, tuple[bytes, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[bytes, bytes] | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def set(self, key: str, raw: bytes, gz: bytes) -> None:
        with self._lock:
            self._data[key] = (raw, gz)
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

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
        if raw is None or gz is None:
            return None
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
