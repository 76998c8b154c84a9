"""Pure feed builders: data in, bytes out. feedgen 1.0.0 for RSS 2.0 and Atom, ``json`` for
JSON Feed 1.1.

feedgen's known faults, worked around here:
- the RSS channel <link> is whichever link was added last, so the homepage link goes last;
- ``updated``/``lastBuildDate`` default to now: we always set them from the data, so the bytes
  (and the ETag) only change when the data does;
- naive datetimes raise: every datetime is timezone-aware UTC;
- control characters make lxml raise: every text is stripped of them first;
- Atom entry links lose ``rel``/``type``/``length`` (``entry.py`` shadows the link dict with the
  new element): the entry links are rewritten with lxml after serialising;
- RSS only ever gets the ``atom:link rel="self"``: the RFC 5005 paging links are added to the
  channel with lxml; the WebSub hub is never put into RSS (it goes into an HTTP Link header).
- ``content(type='CDATA')`` is invalid in Atom: content is plain escaped ``type="html"``.

Text and HTML: titles, summaries and the feed description are plain text; only ``content_html``
is HTML (sanitised Markdown). RSS ``<description>`` is read as HTML by readers, so plain text
going there is HTML-escaped first (Atom ``summary``/``subtitle`` are ``type="text"``).
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator
from lxml import etree

from pressdesk.text import iso_utc

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
ATOM_NS = "http://www.w3.org/2005/Atom"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
FORMATS = ("rss", "atom", "json")
MIME = {"rss": "application/rss+xml", "atom": "application/atom+xml",
        "json": "application/feed+json"}


def clean(text: str) -> str:
    return _CONTROL.sub("", text or "")


def _as_html(text: str) -> str:
    """Plain text for a field readers treat as HTML (RSS ``<description>``)."""
    return html.escape(text, quote=False)


@dataclass(frozen=True)
class Enclosure:
    url: str
    length: int
    type: str


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
    enclosure: Enclosure | None = None
    tags: tuple[str, ...] = ()
    # (media type, URL) of the same item in newsroom formats (Atom: more rel="alternate")
    alternates: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Paging:
    """RFC 5005 section 3 (paged feeds): absolute URLs, None where there is no such page."""

    first: str
    last: str
    next: str | None = None
    previous: str | None = None

    def links(self) -> list[tuple[str, str]]:
        out = [("first", self.first), ("last", self.last)]
        if self.previous:
            out.append(("previous", self.previous))
        if self.next:
            out.append(("next", self.next))
        return out


@dataclass(frozen=True)
class FeedMeta:
    id: str
    title: str
    subtitle: str
    home_url: str
    self_url: str  # this document (this format, this page)
    updated: datetime
    language: str = "de"
    paging: Paging | None = None
    hubs: tuple[str, ...] = field(default_factory=tuple)  # JSON Feed only; XML gets a header


def _utc(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        raise ValueError("naive datetime in a feed")
    return dt.astimezone(UTC)


def build(fmt: str, meta: FeedMeta, entries: list[FeedEntry]) -> bytes:
    if fmt == "json":
        return build_json(meta, entries)
    if fmt not in ("rss", "atom"):
        raise ValueError(f"unknown feed format {fmt!r}")
    fg = FeedGenerator()
    fg.id(meta.id)
    fg.title(clean(meta.title))
    text = _as_html if fmt == "rss" else str
    fg.subtitle(text(clean(meta.subtitle) or clean(meta.title)))
    fg.language(meta.language)
    fg.updated(_utc(meta.updated))
    fg.link(href=meta.self_url, rel="self", type=MIME[fmt])
    if fmt == "atom" and meta.paging:
        for rel, href in meta.paging.links():
            fg.link(href=href, rel=rel, type=MIME[fmt])
    fg.link(href=meta.home_url, rel="alternate", type="text/html")  # last: RSS <link>
    if fmt == "rss":
        fg.lastBuildDate(_utc(meta.updated))
    fg.generator("pressdesk")
    # feedgen prepends entries; add oldest first so the document lists newest first.
    for e in reversed(entries):
        fe = fg.add_entry()
        fe.id(e.id)
        fe.guid(e.id, permalink=False)
        fe.title(clean(e.title))
        fe.link(href=e.link, rel="alternate", type="text/html")
        fe.summary(text(clean(e.summary) or clean(e.title)))
        fe.content(clean(e.content_html), type="html")
        fe.published(_utc(e.published))
        fe.updated(_utc(e.updated))
        fe.author({"name": clean(e.author)})
        for tag in e.tags:
            fe.category(term=clean(tag))
        if e.enclosure:
            fe.enclosure(e.enclosure.url, str(e.enclosure.length), e.enclosure.type)
    if fmt == "rss":
        return _rss_paging(fg.rss_str(pretty=False), meta.paging)
    return _atom_fix_entry_links(fg.atom_str(pretty=False), entries)


def _rss_paging(data: bytes, paging: Paging | None) -> bytes:
    if paging is None:
        return data
    root = etree.fromstring(data)
    channel = root.find("channel")
    assert channel is not None
    self_link = channel.find(f"{{{ATOM_NS}}}link")
    at = list(channel).index(self_link) + 1 if self_link is not None else 0
    for rel, href in paging.links():
        el = etree.Element(f"{{{ATOM_NS}}}link", href=href, rel=rel, type=MIME["rss"])
        channel.insert(at, el)
        at += 1
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _atom_fix_entry_links(data: bytes, entries: list[FeedEntry]) -> bytes:
    """Replace feedgen's attribute-less entry links with complete ones."""
    by_id = {e.id: e for e in entries}
    root = etree.fromstring(data)
    for entry in root.iter(f"{{{ATOM_NS}}}entry"):
        eid = entry.findtext(f"{{{ATOM_NS}}}id")
        e = by_id[eid]
        old = entry.findall(f"{{{ATOM_NS}}}link")
        at = list(entry).index(old[0]) if old else len(entry)
        for link in old:
            entry.remove(link)
        entry.insert(at, etree.Element(f"{{{ATOM_NS}}}link", href=e.link, rel="alternate",
                                       type="text/html"))
        for mime, href in e.alternates:
            at += 1
            entry.insert(at, etree.Element(f"{{{ATOM_NS}}}link", href=href, rel="alternate",
                                           type=mime))
        if e.enclosure:
            entry.insert(at + 1, etree.Element(
                f"{{{ATOM_NS}}}link", href=e.enclosure.url, rel="enclosure",
                type=e.enclosure.type, length=str(e.enclosure.length)))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _rfc3339(dt: datetime) -> str:
    return iso_utc(_utc(dt))


def build_json(meta: FeedMeta, entries: list[FeedEntry]) -> bytes:
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1), built with ``json``."""
    doc: dict[str, object] = {
        "version": JSON_FEED_VERSION,
        "title": clean(meta.title),
        "home_page_url": meta.home_url,
        # The feed, not this page: a reader subscribing from page 2 gets the newest entries.
        "feed_url": meta.paging.first if meta.paging else meta.self_url,
        "description": clean(meta.subtitle) or clean(meta.title),
        "language": meta.language,
    }
    if meta.paging and meta.paging.next:
        doc["next_url"] = meta.paging.next
    if meta.hubs:
        doc["hubs"] = [{"type": "WebSub", "url": hub} for hub in meta.hubs]
    items = []
    for e in entries:
        item: dict[str, object] = {
            "id": e.id, "url": e.link, "title": clean(e.title),
            "content_html": clean(e.content_html), "summary": clean(e.summary) or clean(e.title),
            "date_published": _rfc3339(e.published), "date_modified": _rfc3339(e.updated),
            "authors": [{"name": clean(e.author)}], "language": meta.language,
        }
        if e.tags:
            item["tags"] = [clean(t) for t in e.tags]
        if e.enclosure:
            item["image"] = e.enclosure.url
            item["attachments"] = [{"url": e.enclosure.url, "mime_type": e.enclosure.type,
                                    "size_in_bytes": e.enclosure.length}]
        items.append(item)
    doc["items"] = items
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
