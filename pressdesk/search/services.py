"""``search_releases``: full-text search over the public releases of every office.

The signature is stable: the feeds ("subscribe to this search") and the JSON API build on it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from markupsafe import Markup
from sqlalchemy import Select, cast, func, literal, literal_column, select, text
from sqlalchemy.dialects.postgresql import TSQUERY

from pressdesk import paging
from pressdesk.db import utcnow
from pressdesk.extensions import db
from pressdesk.offices.models import Office
from pressdesk.portal.services import LISTING_LOAD, visible
from pressdesk.releases.models import Region, Release, Topic, release_regions, release_topics
from pressdesk.releases.presenter import public_time_column
from pressdesk.search.index import FTS5_TABLE
from pressdesk.search.models import SearchDocument
from pressdesk.search.query import Query, fts5, tsquery
from pressdesk.search.query import parse as parse_query
from pressdesk.search.text import highlight, snippet
from pressdesk.text import BERLIN

# A select of any columns (the search's statements change their columns as they go).
AnySelect = Select[*tuple[Any, ...]]
SORTS = ("relevance", "date")
MAX_PER_PAGE = paging.MAX_PER_PAGE
# Work per query is bounded: relevance ranks the newest MATCH_WINDOW matches, and counting
# stops there ("more than 1,000 hits"). A common word matches tens of thousands of releases;
# ranking or counting all of them costs seconds, while nobody pages past 50 pages of 20.
MATCH_WINDOW = 1000


class SearchError(ValueError):
    """Bad search input; the message is for the reader."""


@dataclass
class SearchHit:
    release: Release
    headline_html: Markup
    snippet: Markup
    rank: float


@dataclass
class SearchResults:
    items: list[SearchHit]
    total: int
    page: int
    per_page: int
    terms: list[str] = field(default_factory=list)
    # True when there are more matches than ``total`` (counting stopped at MATCH_WINDOW).
    more: bool = False

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def paging(self) -> paging.Page[SearchHit]:
        """This page as the shared page value (prev/next never past the last page)."""
        return paging.Page(items=self.items, number=self.page, per_page=self.per_page,
                           total=self.total)

    @property
    def snippets(self) -> dict[int, Markup]:
        return {hit.release.id: hit.snippet for hit in self.items}


def _berlin_midnight(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=BERLIN)


def _filters(stmt: AnySelect, office: str | int | None, topic: str | None, region: str | None,
             date_from: date | None, date_to: date | None) -> AnySelect:
    stmt = stmt.where(visible())
    if office is not None:
        stmt = stmt.where(Release.office_id == (
            office if isinstance(office, int) else
            select(Office.id).where(Office.slug == office).scalar_subquery()))
    if topic:
        stmt = stmt.where(Release.id.in_(
            select(release_topics.c.release_id).join(Topic, Topic.id == release_topics.c.topic_id)
            .where(Topic.slug == topic)))
    if region:
        stmt = stmt.where(Release.id.in_(
            select(release_regions.c.release_id)
            .join(Region, Region.id == release_regions.c.region_id).where(Region.slug == region)))
    # Days are days of the public time (what the reader sees on every listing).
    if date_from is not None:
        stmt = stmt.where(public_time_column() >= _berlin_midnight(date_from))
    if date_to is not None:
        stmt = stmt.where(public_time_column() < _berlin_midnight(date_to + timedelta(days=1)))
    return stmt


# The candidate pass on PostgreSQL looks at the newest documents first, in time slices that
# widen fourfold (days; None: the whole archive), and stops at the first slice that holds more
# than MATCH_WINDOW matches: those are then exactly the newest matches of the whole archive.
# A common word is done within days of documents, a rare one reaches the whole archive, where
# its few matches are cheap: the work follows the matches needed, not the archive's size.
SLICES: tuple[int | None, ...] = (2, 8, 32, 128, 512, None)


def _match(stmt: AnySelect, query: Query, prefix: bool, rank_only: bool = False
           ) -> tuple[AnySelect, Any]:
    """``stmt`` limited to documents matching ``query``, and a rank expression (higher is
    better), for the current dialect. ``rank_only``: the documents are known to match (a
    window of ids); only the rank is needed (PostgreSQL then reads no full vector)."""
    if db.dialect == "postgresql":
        tsq = cast(literal(tsquery(query, prefix)), TSQUERY)
        rank = func.ts_rank(literal_column("search_documents.fts_rank"), tsq)
        if rank_only:
            return stmt, rank
        vector: Any = literal_column("search_documents.fts_vector")
        return stmt.where(vector.op("@@")(tsq)), rank
    fts = (select(literal_column("rowid").label("rid"),
                  literal_column(f"bm25({FTS5_TABLE}, 4.0, 1.0, 0.5)").label("score"))
           .select_from(text(FTS5_TABLE))
           .where(text(f"{FTS5_TABLE} MATCH :fts_expr").bindparams(fts_expr=fts5(query, prefix)))
           .subquery())
    return stmt.join(fts, fts.c.rid == SearchDocument.release_id), -fts.c.score


Candidate = tuple[int, float, Any]  # release id, rank, the document's published_at


def _window(stmt: AnySelect, rank: Any, sliced: bool) -> list[Candidate]:
    """The newest MATCH_WINDOW + 1 documents of ``stmt`` (see SLICES), each with its rank:
    the pass reads these rows anyway, so ranking needs no second visit to the window."""
    ordered = (stmt.with_only_columns(SearchDocument.release_id, rank,
                                      SearchDocument.published_at)
               .order_by(SearchDocument.published_at.desc(), SearchDocument.release_id.desc())
               .limit(MATCH_WINDOW + 1))
    if not sliced:
        return [tuple(r) for r in db.session.execute(ordered)]
    now = utcnow()
    for days in SLICES:
        part = ordered if days is None else ordered.where(
            SearchDocument.published_at >= now - timedelta(days=days))
        found: list[Candidate] = [tuple(r) for r in db.session.execute(part)]
        if len(found) > MATCH_WINDOW:
            break
    return found


def search_releases(q: str | None, *, office: str | int | None = None, topic: str | None = None,
                    region: str | None = None, date_from: date | None = None,
                    date_to: date | None = None, sort: str = "relevance", prefix: bool = False,
                    page: int = 1, per_page: int = 20,
                    since: datetime | None = None) -> SearchResults:
    """Public releases matching ``q`` (all of them when ``q`` is empty); the syntax (every
    word, "phrases", -word, ODER/OR) is ``search.query``'s.

    German stemming ("Zeitung" finds "Zeitungen"); umlauts folded ("Buerger" = "Bürger");
    compound heads ("Straße" finds "Kreisstraße"); ``prefix`` makes every word a word beginning
    ("Bürger" finds "Bürgerzeitung").
    ``office``, ``topic`` and ``region`` are slugs (``office`` may be an id); dates are
    inclusive days in Europe/Berlin; ``since`` (aware datetime) keeps releases that became
    public after it (the public time: after a Sperrfrist, its end). Sorted by ``relevance`` or
    ``date`` (newest first).
    """
    if sort not in SORTS:
        raise SearchError("Unbekannte Sortierung.")
    if date_from and date_to and date_from > date_to:
        raise SearchError("Das Startdatum liegt nach dem Enddatum.")
    page = paging.clamp(page, 1, paging.MAX_PAGE)
    per_page = paging.clamp(per_page, 1, MAX_PER_PAGE)
    query = parse_query(q)
    terms = list(query.words)
    if query.empty_words or query.only_excluded:
        # stop words only, or only words to leave out: nothing to look for
        return SearchResults(items=[], total=0, page=page, per_page=per_page)

    stmt = select(SearchDocument, Release).join(Release, Release.id == SearchDocument.release_id)
    rank: Any = literal_column("0")
    if query.searches:
        stmt, rank = _match(stmt, query, prefix)
    stmt = _filters(stmt, office, topic, region, date_from, date_to)
    if since is not None:
        stmt = stmt.where(public_time_column() > since)

    # One pass finds the newest MATCH_WINDOW + 1 matches (ids, ranks, times): that is the count
    # (capped, with "more") and the set that relevance ranks, here in Python. Without words it
    # is the newest releases (the listing index); with words, the documents' own published_at in
    # widening time slices on PostgreSQL (SLICES). Then only the page's rows are loaded.
    if query.searches:
        window = _window(stmt, rank, sliced=db.dialect == "postgresql")
    else:
        window = [tuple(r) for r in db.session.execute(
            stmt.with_only_columns(SearchDocument.release_id, rank, SearchDocument.published_at)
            .order_by(Release.published_at.desc(), SearchDocument.release_id.desc())
            .limit(MATCH_WINDOW + 1))]
    more = len(window) > MATCH_WINDOW
    window = window[:MATCH_WINDOW]
    total, offset = len(window), (page - 1) * per_page
    if query.searches and sort == "relevance":
        # best first; equal ranks newest first (the window is newest first, the sort stable)
        window = sorted(window, key=lambda c: -float(c[1] or 0))
    page_rows = window[offset:offset + per_page]
    load = select(SearchDocument, Release).join(Release, Release.id == SearchDocument.release_id)
    found = {doc.release_id: (doc, rel) for doc, rel in db.session.execute(
        load.where(SearchDocument.release_id.in_([c[0] for c in page_rows]))
        .options(*LISTING_LOAD)).all()}
    rows: Sequence[Any] = [(*found[c[0]], c[1]) for c in page_rows if c[0] in found]
    items = [SearchHit(release=rel, rank=float(r or 0),
                       headline_html=highlight(doc.headline, terms, prefix),
                       snippet=snippet(doc.content, terms, prefix))
             for doc, rel, r in rows]
    return SearchResults(items=items, total=total, page=page, per_page=per_page, terms=terms,
                         more=more)
