"""Pure feed builders: data in, bytes out. feedgen 1.0.0 for RSS 2.0 and Atom.

feedgen's known faults, worked around here:
- the RSS channel <link> is whichever link was added last, so the homepage link goes last;
- ``updated``/``lastBuildDate`` default to now: we always set them from the data, so the bytes
  (and the ETag) only change when the data does;
- naive datetimes raise: every datetime is timezone-aware UTC;
- control characters make lxml raise: every text is stripped of them first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from feedgen.feed import FeedGenerator

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: str) -> str:
    return _CONTROL.sub("", text or "")


@dataclass(frozen=True)
class FeedEntry:
    id: str  # stable: a tag: URI, never the title
    title: str
    link: str
    summary: str
    content_html: str
    published: datetime
    updated: datetime
    author: str


@dataclass(frozen=True)
class FeedMeta:
    id: str
    title: str
    subtitle: str
    home_url: str
    self_url: str
    updated: datetime
    language: str = "de"


def build(fmt: str, meta: FeedMeta, entries: list[FeedEntry]) -> bytes:
    fg = FeedGenerator()
    fg.id(meta.id)
    fg.title(clean(meta.title))
    fg.subtitle(clean(meta.subtitle) or clean(meta.title))
    fg.language(meta.language)
    fg.updated(meta.updated)
    fg.link(href=meta.self_url, rel="self",
            type="application/rss+xml" if fmt == "rss" else "application/atom+xml")
    fg.link(href=meta.home_url, rel="alternate", type="text/html")  # last: RSS <link>
    if fmt == "rss":
        fg.lastBuildDate(meta.updated)
    fg.generator("pressdesk")
    # feedgen prepends entries; add oldest first so the document lists newest first.
    for e in reversed(entries):
        fe = fg.add_entry()
        fe.id(e.id)
        fe.guid(e.id, permalink=False)
        fe.title(clean(e.title))
        fe.link(href=e.link, rel="alternate", type="text/html")
        fe.summary(clean(e.summary) or clean(e.title))
        fe.content(clean(e.content_html), type="html")
        fe.published(e.published)
        fe.updated(e.updated)
        fe.author({"name": clean(e.author)})
    if fmt == "rss":
        return fg.rss_str(pretty=False)
    return fg.atom_str(pretty=False)
