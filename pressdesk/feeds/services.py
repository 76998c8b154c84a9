"""Feed scopes (all, office, topic, region, search), their state, paging and rendering.

A feed request first asks the database one cheap aggregate question (the *state*); the ETag is
made of it, and the rendered bytes are cached under that ETag. Only a cache miss builds a feed.
"""

from __future__ import annotations

import gzip
import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import url_for
from markupsafe import Markup
from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.orm import selectinload

from pressdesk import pagecache, paging
from pressdesk.config import settings
from pressdesk.db import utcnow
from pressdesk.extensions import db
from pressdesk.feeds.builder import FORMATS, MIME, Enclosure, FeedEntry, FeedMeta, Paging, build
from pressdesk.formats import services as newsroom_formats
from pressdesk.formats.photo import served_size
from pressdesk.offices.models import Office
from pressdesk.pagecache import DocumentCache, MicroCache
from pressdesk.portal import services as portal
from pressdesk.releases.models import Region, Release, ReleaseStatus, ReleaseVersion, Topic
from pressdesk.releases.presenter import present
from pressdesk.search.params import SearchParams
from pressdesk.search.services import search_releases
from pressdesk.search.text import WORD
from pressdesk.urls import external_url

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Scope:
    """What a feed shows. ``condition`` filters releases; a search scope has ``search`` instead,
    and ``search_args``, the search's own query-string pairs (the search page's names)."""

    key: str
    title: str
    subtitle: str
    home_url: str
    endpoint: str
    values: dict[str, Any] = field(default_factory=dict)
    condition: ColumnElement[bool] | None = None
    search: SearchParams | None = None
    search_args: tuple[tuple[str, str], ...] = ()
    office_id: int | None = None

    def url(self, fmt: str, page: int = 1, external: bool = True) -> str:
        """The feed's URL (absolute for feeds, mail and pings; ``external=False`` for a page)."""
        base = (external_url if external else url_for)(self.endpoint, fmt=fmt, **self.values)
        args = list(self.search_args)
        if page > 1:
            args = [*args, (paging.PARAM, str(page))]
        return base + ("?" + urlencode(args) if args else "")


@dataclass(frozen=True)
class FeedState:
    newest: datetime | None
    last_modified: datetime  # the document's own date (EPOCH for a scope that never had data)
    signature: str  # everything the document depends on
    known: bool = True  # False: nothing was ever in the scope; no Last-Modified is claimed


class PageNotFound(LookupError):
    """A page past the last one."""


def _host() -> str:
    return urlsplit(settings().base_url).hostname or "pressdesk.example"


def tag_uri(release: Release) -> str:
    created = release.created_at.strftime("%Y-%m-%d")
    return f"tag:{_host()},{created}:release/{release.public_id}"


# --- scopes ------------------------------------------------------------------------------------


def scope_all() -> Scope:
    return Scope(key="all", title="Pressemitteilungen aller Pressestellen",
                 subtitle="Neue Pressemitteilungen auf pressdesk",
                 home_url=external_url("portal.home"), endpoint="feeds.all_feed")


def scope_office(office: Office) -> Scope:
    return Scope(key=f"office:{office.id}", title=f"Pressemitteilungen: {office.name}",
                 subtitle=office.description[:200] or office.name,
                 home_url=external_url("portal.office", office_slug=office.slug),
                 endpoint="feeds.office_feed", values={"office_slug": office.slug},
                 condition=Release.office_id == office.id, office_id=office.id)


def scope_topic(office: Office, topic: Topic) -> Scope:
    return Scope(key=f"topic:{topic.id}", title=f"{office.name}: {topic.name}",
                 subtitle=f"Pressemitteilungen zum Thema {topic.name}",
                 home_url=external_url("portal.office", office_slug=office.slug),
                 endpoint="feeds.topic_feed",
                 values={"office_slug": office.slug, "topic_slug": topic.slug},
                 condition=Release.topics.any(Topic.id == topic.id), office_id=office.id)


def scope_region(office: Office, region: Region) -> Scope:
    return Scope(key=f"region:{region.id}", title=f"{office.name}: {region.name}",
                 subtitle=f"Pressemitteilungen für {region.name}",
                 home_url=external_url("portal.office", office_slug=office.slug),
                 endpoint="feeds.region_feed",
                 values={"office_slug": office.slug, "region_slug": region.slug},
                 condition=Release.regions.any(Region.id == region.id), office_id=office.id)


def scope_topic_everywhere(slug: str, name: str) -> Scope:
    """A topic across offices (the portal's ``/thema/<slug>`` page)."""
    return Scope(key=f"topics:{slug}", title=f"Thema: {name}",
                 subtitle=f"Pressemitteilungen aller Pressestellen zum Thema {name}",
                 home_url=external_url("portal.topic", slug=slug),
                 endpoint="feeds.topic_everywhere_feed", values={"slug": slug},
                 condition=Release.topics.any(Topic.slug == slug))


def scope_region_everywhere(slug: str, name: str) -> Scope:
    """A region across offices (the portal's ``/region/<slug>`` page)."""
    return Scope(key=f"regions:{slug}", title=f"Region: {name}",
                 subtitle=f"Pressemitteilungen aller Pressestellen für {name}",
                 home_url=external_url("portal.region", slug=slug),
                 endpoint="feeds.region_everywhere_feed", values={"slug": slug},
                 condition=Release.regions.any(Region.slug == slug))


LABELS = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}


def alternate_links(scope: Scope, label: str) -> list[tuple[str, str, str]]:
    """(type, title, href) of a scope's feeds, for ``<link rel="alternate">`` on its page."""
    return [(MIME[fmt], f"{label} ({LABELS[fmt]})", scope.url(fmt)) for fmt in FORMATS]


# What a search is made of; sorting and the result page are the page's own business (a feed is
# always newest first and pages with ``page``).
SEARCH_FILTERS = ("q", "stelle", "thema", "region", "von", "bis", "wortanfang")


def scope_search(params: SearchParams) -> Scope:
    """The feed of a search as the search page parsed it (``pressdesk.search.params``)."""
    # Named by the words it searches for: nothing else of the query is searched, and no markup
    # typed into the query is reflected into the feed.
    label = " ".join(WORD.findall(params.q)) or "alle Mitteilungen"
    args = tuple((k, v) for k, v in params.args(page=1) if k in SEARCH_FILTERS)
    digest = hashlib.sha256(repr(args).encode()).hexdigest()[:16]
    return Scope(key=f"search:{digest}", title=f"Suche: {label}",
                 subtitle=f"Pressemitteilungen zur Suche „{label}“",
                 home_url=external_url("search.search", **dict(args)),
                 endpoint="feeds.search_feed", search=params, search_args=args)


def topic_by_slug(office: Office, slug: str) -> Topic | None:
    return db.session.scalar(select(Topic).where(Topic.office_id == office.id, Topic.slug == slug))


def region_by_slug(office: Office, slug: str) -> Region | None:
    return db.session.scalar(select(Region).where(Region.office_id == office.id,
                                                  Region.slug == slug))


# --- state -------------------------------------------------------------------------------------


def _aware(value: object) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite hands aggregates of CASE back as text
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"not a time: {value!r}")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _micro_cache(name: str) -> MicroCache:
    return pagecache.micro_cache(name)


def state(scope: Scope) -> FeedState:
    """The scope's state, reused for ``PRESSDESK_FEED_STATE_TTL`` seconds in this process.

    Feeds are served with ``max-age=60`` anyway; a one-second micro-cache takes the database off
    the hot path (the state query is cheap, but its round trips cost more than the rest of the
    request). The ``release_changed`` receiver clears it, so this process never lags itself.
    """
    if settings().feed_state_ttl <= 0:
        return compute_state(scope)
    key = scope.key + "|" + repr(scope.search_args)
    states = state_cache()
    hit = states.get(key)
    if isinstance(hit, FeedState):
        return hit
    st = compute_state(scope)
    states.set(key, st)
    return st


def cached_scope(key: str, build: Callable[[], Scope | None]) -> Scope | None:
    """A resolved scope (its office, topic or region looked up), reused like the state."""
    if settings().feed_state_ttl <= 0:
        return build()
    scopes = scope_cache()
    hit = scopes.get(key)
    if isinstance(hit, Scope):
        return hit
    scope = build()
    if scope is not None:
        scopes.set(key, scope)
    return scope


def state_cache() -> MicroCache:
    return _micro_cache("pressdesk.feed_states")


def scope_cache() -> MicroCache:
    return _micro_cache("pressdesk.feed_scopes")


def compute_state(scope: Scope) -> FeedState:
    """Three index lookups in one round trip: the newest visible version, the newest embargo
    end that has passed, and the newest withdrawal, in the scope. Publish, correction, embargo end
    and withdrawal each move one of them. (A count over the scope would also do, but costs a scan
    of every release on each request: ~280 ms at 100,000 releases.)"""
    vis = portal.visible()
    cond = scope.condition if scope.condition is not None else true()
    newest = (select(ReleaseVersion.created_at)
              .join(Release, ReleaseVersion.release_id == Release.id).where(vis, cond)
              .order_by(ReleaseVersion.created_at.desc()).limit(1).scalar_subquery())
    # The newest passed embargo end of a published release: the same as the max over visible()
    # (NULLs never count), written so that the embargo index answers it backwards, one row,
    # instead of a scan of every visible release.
    embargo = (select(func.max(Release.embargo_until))
               .where(Release.status == ReleaseStatus.PUBLISHED.value,
                      Release.embargo_until <= utcnow(), cond).scalar_subquery())
    withdrawn = select(func.max(Release.withdrawn_at)).where(cond).scalar_subquery()
    newest_raw, embargo_raw, withdrawn_raw = db.session.execute(
        select(newest, embargo, withdrawn)).one()
    newest_at, embargo_at, withdrawn_at = (_aware(newest_raw), _aware(embargo_raw),
                                           _aware(withdrawn_raw))
    last_modified = max([d for d in (newest_at, embargo_at, withdrawn_at) if d] or [EPOCH])
    s = settings()
    signature = "|".join(str(x) for x in (
        scope.key, scope.search_args, newest_at, embargo_at,
        withdrawn_at, s.base_url, s.websub_hub, s.feed_page_size))
    return FeedState(newest=newest_at, last_modified=last_modified, signature=signature,
                     known=any((newest_at, embargo_at, withdrawn_at)))


def visible_count(scope: Scope) -> int:
    q = select(func.count()).select_from(Release).where(portal.visible())
    if scope.condition is not None:
        q = q.where(scope.condition)
    return db.session.scalar(q) or 0


def etag_for(st: FeedState, fmt: str, page: int) -> str:
    """The document's ETag; the gzip body gets its own (``gzip_etag``): the bytes differ."""
    return hashlib.sha256(f"{st.signature}|{fmt}|{page}".encode()).hexdigest()[:32]


def gzip_etag(etag: str) -> str:
    return etag + "-gz"


def last_page(count: int) -> int:
    return max(1, math.ceil(count / settings().feed_page_size))


# --- rendering ---------------------------------------------------------------------------------


def cache() -> DocumentCache:
    return pagecache.store()


# What present() reads of a release, loaded for a whole page at once.
PRESENT_LOAD = (selectinload(Release.versions), selectinload(Release.images),
                selectinload(Release.attachments), selectinload(Release.topics),
                selectinload(Release.regions), selectinload(Release.office))


def releases_page(scope: Scope, page: int) -> tuple[list[Release], int]:
    size = settings().feed_page_size
    if scope.search is not None:
        p = scope.search
        found = search_releases(p.q, page=page, per_page=size, **{**p.kwargs(), "sort": "date"})
        return [hit.release for hit in found.items], found.total
    q = portal.public_releases()
    if scope.condition is not None:
        q = q.where(scope.condition)
    rows = db.session.scalars(q.options(*PRESENT_LOAD).limit(size).offset((page - 1) * size)
                              ).all()
    return list(rows), -1


def entry_for(release: Release) -> FeedEntry:
    """A feed entry from the release's one presentation (its latest version)."""
    p = present(release.versions[-1])
    lead = Markup("<p><strong>%s</strong> – %s</p>") % (p.dateline, p.lead) if p.dateline \
        else Markup("<p>%s</p>") % p.lead
    if p.appointment is not None:  # an invitation: its appointment first
        lead = Markup("<p><strong>%s</strong></p>") % p.appointment.line + lead
    image = p.images[0] if p.images else None
    return FeedEntry(
        id=tag_uri(release), title=p.headline, link=p.permalink,
        summary=p.subline or p.lead[:300], content_html=str(lead + p.body_html),  # body_html is Markup
        # the public time (an embargo's end, not the publish click); updated never before it
        published=p.published, updated=p.updated, author=p.office.name,
        # the length of the file as served (with its IPTC metadata)
        enclosure=Enclosure(url=image.original_url, length=served_size(release.images[0]),
                            type=image.content_type) if image else None,
        tags=tuple(t.name for t in p.topics),
        alternates=newsroom_formats.feed_alternates(p),
    )


def render(scope: Scope, fmt: str, page: int, st: FeedState) -> bytes:
    releases, total = releases_page(scope, page)
    last = last_page(visible_count(scope) if total < 0 else total)
    if page > last:
        raise PageNotFound(page)
    paging = Paging(first=scope.url(fmt), last=scope.url(fmt, last),
                    next=scope.url(fmt, page + 1) if page < last else None,
                    previous=scope.url(fmt, page - 1) if page > 1 else None)
    s = settings()
    meta = FeedMeta(id=f"tag:{_host()},2026:feed/{scope.key}" + (f"/page/{page}" if page > 1
                                                                   else ""),
                    title=scope.title + (f" (Seite {page})" if page > 1 else ""),
                    subtitle=scope.subtitle, home_url=scope.home_url,
                    self_url=scope.url(fmt, page), updated=st.last_modified, paging=paging,
                    hubs=(s.websub_hub,) if s.websub_hub else ())
    return build(fmt, meta, [entry_for(r) for r in releases])


def rendered(scope: Scope, fmt: str, page: int, st: FeedState, etag: str) -> tuple[bytes, bytes]:
    """(plain, gzipped) bytes of a feed document, from the cache or built once."""
    c = cache()
    hit = c.get(etag)
    if hit is not None:
        return hit
    raw = render(scope, fmt, page, st)
    gz = gzip.compress(raw, compresslevel=6, mtime=0)
    c.set(etag, raw, gz)
    return raw, gz


# --- what a change touches (for WebSub pings) ---------------------------------------------------


def scopes_for_release(release: Release) -> list[Scope]:
    office = release.office
    return ([scope_all(), scope_office(office)] + [scope_topic(office, t) for t in release.topics]
            + [scope_region(office, r) for r in release.regions]
            + [scope_topic_everywhere(t.slug, t.name) for t in release.topics]
            + [scope_region_everywhere(r.slug, r.name) for r in release.regions])


def shared_scopes() -> list[tuple[str, list[Scope]]]:
    """Topics and regions across offices (those with a public release), for the OPML list."""
    return [("Themen (alle Pressestellen)",
             [scope_topic_everywhere(slug, name) for slug, name in portal.vocabulary(Topic)]),
            ("Regionen (alle Pressestellen)",
             [scope_region_everywhere(slug, name) for slug, name in portal.vocabulary(Region)])]


def all_scopes() -> list[tuple[Office, list[Scope]]]:
    """Every office with its scopes (office, topics, regions), for the OPML list."""
    out = []
    for office in db.session.scalars(select(Office).order_by(Office.name)):
        topics = db.session.scalars(select(Topic).where(Topic.office_id == office.id)
                                    .order_by(Topic.name)).all()
        regions = db.session.scalars(select(Region).where(Region.office_id == office.id)
                                     .order_by(Region.name)).all()
        out.append((office, [scope_office(office)] + [scope_topic(office, t) for t in topics]
                    + [scope_region(office, r) for r in regions]))
    return out
