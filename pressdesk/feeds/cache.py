"""The rendered-feed cache lives in ``pressdesk.pagecache`` (one store for feeds and pages)."""

from __future__ import annotations

from pressdesk.pagecache import DocumentCache as FeedCache
from pressdesk.pagecache import LocalCache, RedisCache, make_cache

__all__ = ["FeedCache", "LocalCache", "RedisCache", "make_cache"]
