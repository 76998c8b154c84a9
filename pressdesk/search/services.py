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
from sqlalchemy import Integer, Select, String, bindparam, cast, func, literal_column, select, text
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import lazyload

from pressdesk import paging
from pressdesk.db import utcnow
from pressdesk.extensions import db
from pressdesk.offices.models import Office
from pressdesk.portal.services import LISTING_LOAD, visible
from pressdesk.releases.models import Region, Release, Topic, release_regions, release_topics
from pressdesk.releases.presenter import public_time_column
from pressdesk.search.index import FTS5_TABLE
from pressdesk.search.models import SearchDocument
from pressdesk.search.query import Query, fts5, has_phrase, tsquery, words_tsquery
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


# The candidate pass on PostgreSQL looks at the newest documents first: the newest
# FIRST_DOCUMENTS (their oldest time is one index probe); when they hold more than MATCH_WINDOW
# matches, those are exactly the newest matches of the whole archive (a common word is done
# there). Otherwise the matches they did hold give the word's rate, and one slice sized for
# MATCH_WINDOW matches at that rate (times SLICE_MARGIN) follows; when that still holds too few,
# or the rate says the slice would span most of the archive anyway, the whole archive, where the
# word's few matches are cheap to read through the GIN index. No match at all among the newest:
# the whole archive, newest first, as the planner sees fit. At most four statements (the probe
# and three passes), usually two or three; the work follows the matches needed (about
# MATCH_WINDOW divided by the word's share of documents), not the archive's size.
FIRST_DOCUMENTS = 4000
SLICE_MARGIN = 1.5
WHOLE_ARCHIVE_DAYS = 730  # a slice longer than this: read the whole archive instead


def _plan_literal(value: Any, type_: Any) -> Any:
    """``value`` written into the statement itself rather than sent as a parameter, because the
    plan depends on it. psycopg prepares a statement it has seen five times, and PostgreSQL then
    may run one generic plan for every parameter value. With ``LIMIT $n`` a generic plan assumes
    a tenth of the rows are wanted and, with the tsquery a parameter, a default share of matches:
    it then read the date index backwards through the whole archive, testing every document
    (540 ms at 100,000 releases for "Radweg Ausbau", instead of 4 ms through the GIN index)."""
    return bindparam(None, value, type_=type_, literal_execute=True)


def _window_limit() -> Any:
    """MATCH_WINDOW + 1 as a literal LIMIT (see _plan_literal)."""
    return _plan_literal(MATCH_WINDOW + 1, Integer())


def _match(stmt: AnySelect, query: Query, prefix: bool, rank_only: bool = False
           ) -> tuple[AnySelect, Any]:
    """``stmt`` limited to documents matching ``query``, and a rank expression (higher is
    better), for the current dialect. ``rank_only``: the documents are known to match (a
    window of ids); only the rank is needed (PostgreSQL then reads no full vector)."""
    if db.dialect == "postgresql":
        tsq = cast(_plan_literal(tsquery(query, prefix), String()), TSQUERY)
        rank = func.ts_rank(literal_column("search_documents.fts_rank"), tsq)
        if rank_only:
            return stmt, rank
        # The lexemes (GIN, in the row) answer every query without a phrase; a phrase is then
        # checked on the positions of the documents they found (see index.tsvectors).
        words = words_tsquery(query, prefix)
        if words is not None:
            stmt = stmt.where(literal_column("search_documents.fts_words").op("@@")(
                cast(_plan_literal(words, String()), TSQUERY)))
        if words is None or has_phrase(query):
            stmt = stmt.where(literal_column("search_documents.fts_vector").op("@@")(tsq))
        return stmt, rank
    fts = (select(literal_column("rowid").label("rid"),
                  literal_column(f"bm25({FTS5_TABLE}, 4.0, 1.0, 0.5)").label("score"))
           .select_from(text(FTS5_TABLE))
           .where(text(f"{FTS5_TABLE} MATCH :fts_expr").bindparams(fts_expr=fts5(query, prefix)))
           .subquery())
    return stmt.join(fts, fts.c.rid == SearchDocument.release_id), -fts.c.score


Candidate = tuple[int, float, Any]  # release id, rank, the document's published_at


def _planner(**settings: str) -> dict[str, str]:
    """Planner settings for the rest of this transaction, in one round trip; returns the
    values they had."""
    if db.dialect != "postgresql":
        return {}
    names = list(settings)
    row = db.session.execute(select(
        *(func.current_setting(n) for n in names),
        *(func.set_config(n, settings[n], True) for n in names))).one()
    return dict(zip(names, row[:len(names)], strict=True))


def _window(stmt: AnySelect, rank: Any, sliced: bool) -> list[Candidate]:
    """The newest MATCH_WINDOW + 1 documents of ``stmt`` (see FIRST_DOCUMENTS), each with its
    rank: the pass reads these rows anyway, so ranking needs no second visit to the window."""
    cols = stmt.with_only_columns(SearchDocument.release_id, rank.label("rank"),
                                  SearchDocument.published_at)
    ordered = (cols.order_by(SearchDocument.published_at.desc(),
                             SearchDocument.release_id.desc())
               .limit(_window_limit()))

    def run(part: AnySelect) -> list[Candidate]:
        return [tuple(r) for r in db.session.execute(part)]

    if not sliced:
        return run(ordered)

    def since(when: datetime) -> Any:
        return SearchDocument.published_at >= _plan_literal(when, SearchDocument.published_at.type)

    def every_match_then_newest(part: AnySelect) -> list[Candidate]:
        # Where the matches are expected to be few (about one and a half windows in a slice,
        # or the whole archive of a rare word), every match is taken through the GIN index
        # (with the slice's date range: a BitmapAnd), then the newest. Left to itself, the
        # planner reads the date index (backwards, or over the slice), testing document after
        # document: with the default random_page_cost (4, a disk's) it prices the BitmapAnd's
        # heap visits as four times dearer than they are with the documents in memory, and
        # picks ten times the buffers (108,000 instead of 8,000 for "Radweg" at 100,000
        # releases). For this statement only: random_page_cost 1.1 (memory or SSD), and no
        # parallel workers: starting them costs more than the few thousand rows they share.
        matches = part.cte("matches").prefix_with("MATERIALIZED")
        # (Set for the transaction; put back after the statement. When it fails, the
        # rollback puts them back.)
        before = _planner(random_page_cost="1.1", max_parallel_workers_per_gather="0")
        found = run(select(matches).order_by(matches.c.published_at.desc(),
                                             matches.c.release_id.desc())
                    .limit(_window_limit()))
        _planner(**before)
        return found

    newest = db.session.scalar(
        select(SearchDocument.published_at).where(SearchDocument.published_at.is_not(None))
        .order_by(SearchDocument.published_at.desc())
        .offset(_plan_literal(FIRST_DOCUMENTS - 1, Integer())).limit(1))
    if newest is None:  # a small archive: one pass
        return run(ordered)
    found = run(ordered.where(since(newest)))
    if len(found) > MATCH_WINDOW:
        return found
    if not found:
        # No rate to go by: a rare word (the planner's statistics say so and it takes the few
        # matches through GIN), or one that is common further back, or filters that keep the
        # newest documents out (then reading backwards is right, and the planner's choice).
        return run(ordered)
    now = utcnow()
    days = max((now - newest).total_seconds() / 86400, 1 / 24)
    days = days * (MATCH_WINDOW + 1) / len(found) * SLICE_MARGIN
    if days < WHOLE_ARCHIVE_DAYS:
        found = every_match_then_newest(cols.where(since(now - timedelta(days=days))))
        if len(found) > MATCH_WINDOW:
            return found
    return every_match_then_newest(cols)


# What a list of hits shows (office, headline, time and a snippet from the search document):
# none of the release's collections. The search page loads only this; the API and the feeds,
# which present whole releases, keep LISTING_LOAD.
HITS_LOAD = (lazyload(Release.versions), lazyload(Release.images),
             lazyload(Release.attachments), lazyload(Release.topics), lazyload(Release.regions))


def search_releases(q: str | None, *, office: str | int | None = None, topic: str | None = None,
                    region: str | None = None, date_from: date | None = None,
                    date_to: date | None = None, sort: str = "relevance", prefix: bool = False,
                    page: int = 1, per_page: int = 20,
                    since: datetime | None = None,
                    load: Sequence[Any] = LISTING_LOAD) -> SearchResults:
    """Public releases matching ``q`` (all of them when ``q`` is empty); the syntax (every
    word, "phrases", -word, ODER/OR) is ``search.query``'s.

    German stemming ("Zeitung" finds "Zeitungen"); umlauts folded ("Buerger" = "Bürger");
    compound heads ("Straße" finds "Kreisstraße"); ``prefix`` makes every word a word beginning
    ("Bürger" finds "Bürgerzeitung").
    ``office``, ``topic`` and ``region`` are slugs (``office`` may be an id); dates are
    inclusive days in Europe/Berlin; ``since`` (aware datetime) keeps releases that became
    public after it (the public time: after a Sperrfrist, its end). Sorted by ``relevance`` or
    ``date`` (newest first). ``load``: loader options for the page's releases (``HITS_LOAD``
    for a list of hits).
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
    # is the newest releases (the listing index); with words, on PostgreSQL, the newest
    # documents, then one slice sized by the rate of matches among them, on the documents' own
    # published_at (see FIRST_DOCUMENTS). Then only the page's rows are loaded.
    if query.searches:
        window = _window(stmt, rank, sliced=db.dialect == "postgresql")
    else:
        window = [tuple(r) for r in db.session.execute(
            stmt.with_only_columns(SearchDocument.release_id, rank, SearchDocument.published_at)
            .order_by(Release.published_at.desc(), SearchDocument.release_id.desc())
            .limit(_window_limit()))]
    more = len(window) > MATCH_WINDOW
    window = window[:MATCH_WINDOW]
    total, offset = len(window), (page - 1) * per_page
    if query.searches and sort == "relevance":
        # best first; equal ranks newest first (the window is newest first, the sort stable)
        window = sorted(window, key=lambda c: -float(c[1] or 0))
    page_rows = window[offset:offset + per_page]
    rows_of = select(SearchDocument, Release).join(Release,
                                                    Release.id == SearchDocument.release_id)
    found = {doc.release_id: (doc, rel) for doc, rel in db.session.execute(
        rows_of.where(SearchDocument.release_id.in_([c[0] for c in page_rows]))
        .options(*load)).all()}
    rows: Sequence[Any] = [(*found[c[0]], c[1]) for c in page_rows if c[0] in found]
    items = [SearchHit(release=rel, rank=float(r or 0),
                       headline_html=highlight(doc.headline, terms, prefix),
                       snippet=snippet(doc.content, terms, prefix))
             for doc, rel, r in rows]
    return SearchResults(items=items, total=total, page=page, per_page=per_page, terms=terms,
                         more=more)
