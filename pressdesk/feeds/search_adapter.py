"""Search for feeds and alerts, through the portal's search when it exists.

The portal branch provides ``pressdesk.search.services.search_releases(q, *, office=None,
topic=None, region=None, date_from=None, date_to=None, sort="relevance", prefix=False, page=1,
per_page=20)``. Until it is merged, a simple fallback query stands in: every word of the query must
occur (case-insensitively) in the headline, subline, lead or body of the release.
"""

from __future__ import annotations

import importlib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from pressdesk.extensions import db
from pressdesk.offices.models import Office
from pressdesk.portal import services as portal
from pressdesk.releases.models import Region, Release, Topic

MAX_QUERY = 200


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    office: str = ""  # slugs
    topic: str = ""
    region: str = ""

    def args(self) -> list[tuple[str, str]]:
        return [(k, v) for k, v in (("q", self.q), ("office", self.office), ("topic", self.topic),
                                    ("region", self.region)) if v]


def _portal_search() -> Callable[..., Any] | None:
    try:
        module = importlib.import_module("pressdesk.search.services")
    except ImportError:
        return None
    return getattr(module, "search_releases", None)


def search(params: SearchParams, page: int, per_page: int) -> tuple[list[Release], int]:
    """Releases matching the search, newest first, and the total count."""
    portal_search = _portal_search()
    if portal_search is not None:
        result = portal_search(params.q, office=params.office or None,
                               topic=params.topic or None, region=params.region or None,
                               sort="date", page=page, per_page=per_page)
        return _unpack(result)
    return _fallback(params, page, per_page)


def _unpack(result: Any) -> tuple[list[Release], int]:
    """Accept the shapes a search result may take: (items, total) or an object with them."""
    if isinstance(result, tuple):
        items, total = result[0], result[1]
    else:
        items = next(getattr(result, a) for a in ("items", "results", "releases", "hits")
                     if hasattr(result, a))
        total = next((getattr(result, a) for a in ("total", "count") if hasattr(result, a)),
                     len(items))
    releases = [getattr(i, "release", i) for i in items]
    return releases, int(total)


def _words(q: str) -> list[str]:
    return [w for w in q.split() if w][:10]


def _fallback(params: SearchParams, page: int, per_page: int) -> tuple[list[Release], int]:
    q = select(Release).where(portal.visible())
    if params.office:
        q = q.where(Release.office.has(Office.slug == params.office))
    if params.topic:
        q = q.where(Release.topics.any(Topic.slug == params.topic))
    if params.region:
        q = q.where(Release.regions.any(Region.slug == params.region))
    for word in _words(params.q):
        pattern = f"%{word.lower()}%"
        q = q.where(or_(*(func.lower(col).like(pattern) for col in (
            Release.headline, Release.subline, Release.lead, Release.body))))
    total = db.session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = db.session.scalars(
        q.options(selectinload(Release.versions))
        .order_by(Release.published_at.desc(), Release.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return list(rows), total


def _fold(text: str) -> str:
    """Case- and umlaut-insensitive form: "Bürger" and "Buerger" compare equal."""
    text = text.casefold().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    text = text.replace("ß", "ss")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def matches(text: str, q: str) -> bool:
    """Does one release's text match a saved search? Every word must occur (prefix allowed)."""
    folded = _fold(text)
    return all(_fold(word) in folded for word in _words(q))
