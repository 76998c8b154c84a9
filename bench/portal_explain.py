"""EXPLAIN (ANALYZE, BUFFERS) of the portal's per-request queries and of search's two passes,
on a database filled by bench/portal_data.py (the plans in docs/portal.md come from this).

    PRESSDESK_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/pressdesk_portal_bench \\
        PYTHONPATH=. python bench/portal_explain.py [--compare] [--search-only]
"""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, cast, extract, func, literal, literal_column, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import TSQUERY

from pressdesk import create_app
from pressdesk.db import utcnow
from pressdesk.extensions import db
from pressdesk.portal import services as portal
from pressdesk.releases.models import Release, ReleaseVersion, Topic, release_topics
from pressdesk.search import services as search
from pressdesk.search.models import SearchDocument
from pressdesk.search.query import parse as parse_query
from pressdesk.search.query import tsquery


def explain(label: str, stmt: Any) -> None:
    sql = str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    rows = db.session.execute(text("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)).scalars()
    print(f"### {label}")
    for row in rows:
        print("    " + row)
    print(flush=True)


def portal_queries() -> None:
    vis = portal.visible()
    col = func.timezone("Europe/Berlin", func.timezone("UTC", Release.published_at))
    y, m = extract("year", col), extract("month", col)
    explain("archive months (computed once per data state)",
            select(y, m, func.count()).where(vis).group_by(y, m).order_by(y.desc(), m.desc()))
    used = (select(1).select_from(release_topics)
            .join(Release, Release.id == release_topics.c.release_id)
            .where(release_topics.c.topic_id == Topic.id, vis).exists())
    explain("topic vocabulary (computed once per data state)",
            select(Topic.slug, func.min(Topic.name)).where(used).group_by(Topic.slug))
    newest = (select(ReleaseVersion.created_at)
              .join(Release, ReleaseVersion.release_id == Release.id).where(vis)
              .order_by(ReleaseVersion.created_at.desc()).limit(1).scalar_subquery())
    embargo = (select(func.max(Release.embargo_until))
               .where(Release.status == "published", Release.embargo_until <= func.now())
               .scalar_subquery())
    withdrawn = select(func.max(Release.withdrawn_at)).scalar_subquery()
    explain("data state (per request, micro-cached)", select(newest, embargo, withdrawn))
    explain("home listing", portal.public_releases().limit(21))
    office = db.session.scalar(select(Release.office_id).limit(1))
    explain("office listing", portal.public_releases(office).limit(21))
    explain("topic listing", portal.with_topic("verkehr").limit(21))
    ids = list(db.session.scalars(select(Release.id).where(vis)
                                  .order_by(Release.published_at.desc()).limit(21)))
    current = (select(ReleaseVersion.release_id, func.max(ReleaseVersion.version).label("v"))
               .where(ReleaseVersion.release_id.in_(ids))
               .group_by(ReleaseVersion.release_id).subquery())
    explain("current versions of a listing page",
            select(ReleaseVersion.id, ReleaseVersion.headline).join(current, and_(
                ReleaseVersion.release_id == current.c.release_id,
                ReleaseVersion.version == current.c.v)))


def search_queries(compare: bool = False) -> None:
    """The candidate pass as search_releases runs it (each time slice until one holds more than
    the window), then the ranking of that window; ``compare`` adds the plans of one pass over
    every match and of ranking the full vector (what the search did before)."""
    for q, prefix in (("Schulen", False), ("Radweg Ausbau", False), ("Schul", True),
                      ("Straße", False), ('"Kreistag beschließt"', False),
                      ("Hafen -Fähre", False), ("Hafen ODER Fähre", False)):
        query = parse_query(q)
        stmt = select(SearchDocument, Release).join(Release,
                                                     Release.id == SearchDocument.release_id)
        stmt, rank = search._match(stmt, query, prefix)
        stmt = search._filters(stmt, None, None, None, None, None)
        ordered = (stmt.with_only_columns(SearchDocument.release_id, rank,
                                          SearchDocument.published_at)
                   .order_by(SearchDocument.published_at.desc(),
                             SearchDocument.release_id.desc()).limit(search.MATCH_WINDOW + 1))
        if compare:
            explain(f"BEFORE: one pass over every match {q!r} prefix={prefix}", ordered)
        now = utcnow()
        for days in search.SLICES:
            part = ordered if days is None else ordered.where(
                SearchDocument.published_at >= now - timedelta(days=days))
            explain(f"search candidates {q!r} prefix={prefix}, slice {days} days", part)
            ids = [r[0] for r in db.session.execute(part)]
            if len(ids) > search.MATCH_WINDOW:
                break
        ids = ids[:search.MATCH_WINDOW]
        load = select(SearchDocument, Release).join(Release,
                                                    Release.id == SearchDocument.release_id)
        if compare:
            full = func.ts_rank(literal_column("search_documents.fts_vector"),
                                cast(literal(tsquery(query, prefix)), TSQUERY))
            explain(f"BEFORE: ranking the window on the full vector {q!r}",
                    load.add_columns(full.label("rank"))
                    .where(SearchDocument.release_id.in_(ids))
                    .order_by(full.desc(), Release.published_at.desc(), Release.id.desc())
                    .limit(20))
        explain(f"page of 20 after ranking in Python {q!r}",
                load.where(SearchDocument.release_id.in_(ids[:20])))


if __name__ == "__main__":
    with create_app().test_request_context("/"):
        print(f"releases: {db.session.scalar(select(func.count()).select_from(Release))}\n")
        if "--search-only" not in sys.argv:
            portal_queries()
        search_queries(compare="--compare" in sys.argv)
