"""EXPLAIN (ANALYZE, BUFFERS) of the portal's per-request queries and of every statement a
search issues, on a database filled by bench/portal_data.py (the plans in docs/portal.md come from this).

    PRESSDESK_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/pressdesk_portal_bench \\
        PYTHONPATH=. python bench/portal_explain.py [--compare] [--search-only]
"""

from __future__ import annotations

import sys
from typing import Any

from sqlalchemy import and_, event, extract, func, select, text
from sqlalchemy.dialects import postgresql

from pressdesk import create_app
from pressdesk.extensions import db
from pressdesk.portal import services as portal
from pressdesk.releases.models import Release, ReleaseVersion, Topic, release_topics
from pressdesk.search import services as search
from pressdesk.search.models import SearchDocument
from pressdesk.search.query import parse as parse_query


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
    """Every statement search_releases issues for each query, replayed in order on one
    connection: the search's own statements under EXPLAIN (ANALYZE, BUFFERS), its planner
    settings (set_config) as they are. ``compare`` adds the plan of one pass over every match,
    newest first, the planner left to itself."""
    issued: list[tuple[str, Any]] = []

    def seen(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        issued.append((statement, parameters))

    for q, prefix in (("Schulen", False), ("Radweg", False), ("Museum", False),
                      ("Radweg Ausbau", False), ("Schul", True), ("Straße", False),
                      ('"Kreistag beschließt"', False), ("Hafen -Fähre", False),
                      ("Hafen ODER Fähre", False)):
        issued.clear()
        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            search.search_releases(q, prefix=prefix)
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        db.session.rollback()
        cur = db.session.connection().connection.dbapi_connection.cursor()
        total = 0.0
        for statement, parameters in issued:
            if "set_config" in statement or "fts_" not in statement:
                cur.execute(statement, parameters)
                continue
            cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, parameters)
            lines = [row[0] for row in cur.fetchall()]
            total += float(lines[-1].split(":")[1].split()[0])
            print(f"### search {q!r} prefix={prefix}: "
                  + ("every match, then the newest" if "MATERIALIZED" in statement
                     else "the newest documents"))
            for line in lines:
                print("    " + line)
            print(flush=True)
        print(f"=== {q!r} prefix={prefix}: {total:.1f} ms in the search's statements\n",
              flush=True)
        if compare:
            query = parse_query(q)
            stmt = select(SearchDocument, Release).join(
                Release, Release.id == SearchDocument.release_id)
            stmt, rank = search._match(stmt, query, prefix)
            stmt = search._filters(stmt, None, None, None, None, None)
            explain(f"BEFORE: one pass over every match {q!r} prefix={prefix}",
                    stmt.with_only_columns(SearchDocument.release_id, rank,
                                           SearchDocument.published_at)
                    .order_by(SearchDocument.published_at.desc(),
                              SearchDocument.release_id.desc())
                    .limit(search.MATCH_WINDOW + 1))
        db.session.rollback()


if __name__ == "__main__":
    with create_app().test_request_context("/"):
        print(f"releases: {db.session.scalar(select(func.count()).select_from(Release))}\n")
        if "--search-only" not in sys.argv:
            portal_queries()
        search_queries(compare="--compare" in sys.argv)
