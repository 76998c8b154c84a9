"""Keeping the search index in step with the releases.

Every new ``ReleaseVersion`` (publication, correction, withdrawal) replaces its release's search
document in the same flush, so the index can never disagree with a committed version. What the
public may see is decided at query time by ``portal.services.visible()``, so withdrawal and the
end of an embargo need no index work.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, event, insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from pressdesk.db import utcnow
from pressdesk.releases.models import Release, ReleaseVersion
from pressdesk.search.models import SearchDocument
from pressdesk.search.text import plain_text, stems_of

FTS5_TABLE = "fts_releases"


def document_text(lead: str, body: str) -> str:
    return " ".join(part for part in (" ".join((lead or "").split()), plain_text(body)) if part)


def write_document(conn: Connection, release_id: int, version_id: int, headline: str,
                   content: str, published_at: datetime | None = None) -> None:
    """Replace one release's document (and its FTS5 row on SQLite)."""
    conn.execute(delete(SearchDocument).where(SearchDocument.release_id == release_id))
    conn.execute(insert(SearchDocument).values(release_id=release_id, version_id=version_id,
                                               headline=headline, content=content,
                                               published_at=published_at,
                                               updated_at=utcnow()))
    if conn.dialect.name == "sqlite":
        conn.execute(text("DELETE FROM fts_releases WHERE rowid = :id"), {"id": release_id})
        conn.execute(text("INSERT INTO fts_releases (rowid, headline, content) "
                          "VALUES (:id, :h, :c)"),
                     {"id": release_id, "h": stems_of(headline), "c": stems_of(content)})


def rebuild(conn: Connection) -> int:
    """Index the latest version of every release from scratch (migration, repair)."""
    latest = (select(ReleaseVersion.release_id, ReleaseVersion.id, ReleaseVersion.version,
                     ReleaseVersion.headline, ReleaseVersion.lead, ReleaseVersion.body,
                     Release.published_at)
              .join(Release, Release.id == ReleaseVersion.release_id)
              .order_by(ReleaseVersion.release_id, ReleaseVersion.version))
    rows: dict[int, Any] = {}
    for row in conn.execute(latest):
        rows[row.release_id] = row  # ordered by version: the last one wins
    for row in rows.values():
        write_document(conn, row.release_id, row.id, row.headline,
                       document_text(row.lead, row.body), row.published_at)
    return len(rows)


@event.listens_for(Session, "after_flush")
def _index_new_versions(session: Session, _ctx: Any) -> None:
    versions = [o for o in session.new if isinstance(o, ReleaseVersion)]
    if not versions:
        return
    conn = session.connection()
    newest: dict[int, ReleaseVersion] = {}
    for v in versions:
        if v.release_id not in newest or v.version > newest[v.release_id].version:
            newest[v.release_id] = v
    for v in newest.values():
        release: Release | None = v.release  # None when only release_id was set
        published = release.published_at if release is not None else conn.scalar(
            select(Release.published_at).where(Release.id == v.release_id))
        write_document(conn, v.release_id, v.id, v.headline or "", document_text(v.lead, v.body),
                       published)
