"""What the public may see: published releases of every office."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, Select, and_, extract, func, or_, select
from sqlalchemy.orm import defer, lazyload, selectinload

from pressdesk import pagecache, paging
from pressdesk.db import utcnow
from pressdesk.extensions import db
from pressdesk.offices.models import Office
from pressdesk.releases.models import (
    Region,
    Release,
    ReleaseStatus,
    ReleaseVersion,
    Topic,
    release_regions,
    release_topics,
)
from pressdesk.text import BERLIN


def visible() -> ColumnElement[bool]:
    """The one rule for what the public sees: published, and any embargo over."""
    return and_(Release.status == ReleaseStatus.PUBLISHED.value,
                or_(Release.embargo_until.is_(None), Release.embargo_until <= utcnow()))


def public_releases(office_id: int | None = None) -> Select[Release]:
    q = select(Release).where(visible())
    if office_id is not None:
        q = q.where(Release.office_id == office_id)
    return q.order_by(Release.published_at.desc(), Release.id.desc())


def latest(office_id: int | None = None, limit: int = 30) -> list[Release]:
    return list(db.session.scalars(public_releases(office_id).limit(limit)))


def office_by_slug(slug: str) -> Office | None:
    return db.session.scalar(select(Office).where(Office.slug == slug))


def public_release(office: Office, year: int, number: int) -> Release | None:
    return db.session.scalar(
        public_releases(office.id).where(Release.year == year, Release.number == number)
    )


# --- Listings with paging -----------------------------------------------------------

PER_PAGE = 20


# What a listing shows: versions (the latest headline and lead), topics and regions; not the
# images, and no second join back to the release from each version (it is in the session).
LISTING_LOAD = (selectinload(Release.versions).lazyload(ReleaseVersion.release),
                lazyload(Release.images))

# A portal listing reads the current version of each release separately
# (``current_versions``): every version of every release on the page would grow with history.
PAGE_LOAD = (lazyload(Release.versions), lazyload(Release.images),
             lazyload(Release.attachments))


def page_of(stmt: Select[Release], page: int = 1, per_page: int = PER_PAGE
            ) -> paging.Page[Release]:
    """One page of a listing. No total count: "is there a next page" costs one extra row."""
    return paging.paginate(db.session, stmt.options(*PAGE_LOAD), page, per_page, count=False)


def current_versions(releases: Sequence[Release]) -> dict[int, ReleaseVersion]:
    """release id -> its newest version, for one page: one query on the (release, version)
    unique index, the page's ids only; no body (a listing shows headline, subline and lead)."""
    ids = [r.id for r in releases]
    if not ids:
        return {}
    newest = (select(ReleaseVersion.release_id, func.max(ReleaseVersion.version).label("v"))
              .where(ReleaseVersion.release_id.in_(ids))
              .group_by(ReleaseVersion.release_id).subquery())
    q = (select(ReleaseVersion)
         .join(newest, and_(ReleaseVersion.release_id == newest.c.release_id,
                            ReleaseVersion.version == newest.c.v))
         .options(lazyload(ReleaseVersion.release), defer(ReleaseVersion.body)))
    return {v.release_id: v for v in db.session.scalars(q)}


T = TypeVar("T")


def by_state(name: str, compute: Callable[[], T]) -> T:
    """``compute()`` kept in this process under the data state (``pages.state_signature``):
    aggregates over every release (archive months, vocabularies) run once per change of the
    data, not once per request; a change of state is a new key, so never a stale answer."""
    from pressdesk.portal.pages import state_signature

    key = name + "|" + state_signature()
    memo = pagecache.memo()
    hit = memo.get(key)
    if hit is not None:
        return cast(T, hit)
    value = compute()
    memo.set(key, value)
    return value


def with_topic(slug: str) -> Select[Release]:
    return public_releases().where(Release.id.in_(
        select(release_topics.c.release_id).join(Topic, Topic.id == release_topics.c.topic_id)
        .where(Topic.slug == slug)))


def with_region(slug: str) -> Select[Release]:
    return public_releases().where(Release.id.in_(
        select(release_regions.c.release_id)
        .join(Region, Region.id == release_regions.c.region_id).where(Region.slug == slug)))


def topic_name(slug: str) -> str | None:
    return db.session.scalar(select(Topic.name).where(Topic.slug == slug).limit(1))


def region_name(slug: str) -> str | None:
    return db.session.scalar(select(Region.name).where(Region.slug == slug).limit(1))


def vocabulary(model: type[Topic] | type[Region], office_id: int | None = None
               ) -> list[tuple[str, str]]:
    """``compute_vocabulary``, once per data state."""
    return by_state(f"vocabulary|{model.__tablename__}|{office_id}",
                    lambda: compute_vocabulary(model, office_id))


def compute_vocabulary(model: type[Topic] | type[Region], office_id: int | None = None
                       ) -> list[tuple[str, str]]:
    """(slug, name) of the topics or regions that have at least one public release.

    EXISTS per vocabulary entry (a few hundred rows), not a join over every release: the index
    on the link table's topic/region id makes each probe stop at the first public release."""
    link = release_topics if model is Topic else release_regions
    fk = link.c.topic_id if model is Topic else link.c.region_id
    used = (select(1).select_from(link).join(Release, Release.id == link.c.release_id)
            .where(fk == model.id, visible()).exists())
    q = (select(model.slug, func.min(model.name)).where(used)
         .group_by(model.slug).order_by(func.min(model.name)))
    if office_id is not None:
        q = q.where(model.office_id == office_id)
    return [(slug, name) for slug, name in db.session.execute(q)]


def in_month(year: int, month: int) -> Select[Release]:
    """Releases published in a calendar month, Europe/Berlin."""
    start = datetime(year, month, 1, tzinfo=BERLIN)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=BERLIN)
    return public_releases().where(Release.published_at >= start, Release.published_at < end)


def archive_months() -> list[tuple[int, int, int]]:
    """``compute_archive_months``, once per data state."""
    return by_state("archive_months", compute_archive_months)


def compute_archive_months() -> list[tuple[int, int, int]]:
    """(year, month, count) of public releases, newest first. PostgreSQL counts by the Berlin
    calendar; SQLite has no time zones and counts by UTC month (can differ around midnight)."""
    col: Any = Release.published_at
    if db.dialect == "postgresql":
        col = func.timezone("Europe/Berlin", func.timezone("UTC", Release.published_at))
    year, month = extract("year", col), extract("month", col)
    q = (select(year, month, func.count()).where(visible()).group_by(year, month)
         .order_by(year.desc(), month.desc()))
    return [(int(y), int(m), int(n)) for y, m, n in db.session.execute(q)]
