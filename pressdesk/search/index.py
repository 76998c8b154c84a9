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
from pressdesk.search.compounds import parts_of
from pressdesk.search.models import SearchDocument
from pressdesk.search.text import GAP, plain_text, sequence, stem, stems_of

FTS5_TABLE = "fts_releases"
# PostgreSQL's limits for a tsvector: positions 1..16383, at most 256 positions per lexeme.
MAX_POS, MAX_POSITIONS, MAX_WORD = 16383, 256, 200
RANK_WORDS = 40  # the ranking vector holds the headline and this many words of the text


# "12A", "12B", ... for every position: a literal is mostly these, looked up, not formatted.
_POS = {w: [f"{p}{w}" for p in range(MAX_POS + 1)] for w in "ABC"}


def _literal(sections: list[tuple[list[str], str, int]]) -> str:
    """A tsvector literal from (stems, weight, step) per field: positions run on across the
    fields, one position left out between two fields (and between stems with ``step`` 2)."""
    at: dict[str, list[str]] = {}
    pos = 1
    for stems, weight, step in sections:
        table = _POS[weight]
        for s in stems:
            entry = table[pos if pos < MAX_POS else MAX_POS]
            entries = at.get(s)
            if entries is None:
                at[s] = [entry]
            elif entries[-1] != entry:  # past MAX_POS every word is at MAX_POS
                entries.append(entry)
            pos += step
        pos += 1
    # Stems are [^\W_]+ (or the gap): nothing to escape inside the quotes.
    return " ".join(f"'{lex}':{','.join(entries[:MAX_POSITIONS])}"
                    for lex, entries in at.items() if len(lex) <= MAX_WORD)


def tsvectors(headline: str, content: str, parts: str) -> tuple[str, str, str]:
    """PostgreSQL's three vectors as literals, from the same stems as FTS5 and the matcher.

    Matching, with positions: headline (weight A), text (B) and compound heads (C). One
    position is left out between the fields and between the heads, so a phrase never runs from
    one into the next (FTS5 keeps them in separate columns); only phrases need this one.
    Words: the same lexemes without positions or weights (``strip()``), GIN-indexed: about
    1 kB, so it stays in the row, where the match vector mostly lives in TOAST; every query
    without a phrase is answered from it alone. Ranking: the headline and the text's first
    ``RANK_WORDS`` words, no stop-word gaps: small enough to stay in the row."""
    return vectors_of(sequence(headline), sequence(content), [stem(p) for p in parts.split()])


def vectors_of(head: list[str], body: list[str], part_stems: list[str]
               ) -> tuple[str, str, str]:
    """``tsvectors`` from the stem sequences (the benchmark's generator has them at hand)."""
    match = _literal([(head, "A", 1), (body, "B", 1), (part_stems, "C", 2)])
    words = " ".join(sorted({f"'{s}'" for s in (*head, *body, *part_stems)
                             if len(s) <= MAX_WORD}))
    rank = _literal([([s for s in head if s != GAP], "A", 1),
                     ([s for s in body[:RANK_WORDS] if s != GAP], "B", 1)])
    return match, words, rank


def document_text(lead: str, body: str) -> str:
    return " ".join(part for part in (" ".join((lead or "").split()), plain_text(body)) if part)


def write_document(conn: Connection, release_id: int, version_id: int, headline: str,
                   content: str, published_at: datetime | None = None) -> None:
    """Replace one release's document (and its FTS5 row on SQLite)."""
    parts = parts_of(f"{headline} {content}")
    conn.execute(delete(SearchDocument).where(SearchDocument.release_id == release_id))
    conn.execute(insert(SearchDocument).values(release_id=release_id, version_id=version_id,
                                               headline=headline, content=content, parts=parts,
                                               published_at=published_at,
                                               updated_at=utcnow()))
    if conn.dialect.name == "postgresql":
        match, words, rank = tsvectors(headline, content, parts)
        conn.execute(text("UPDATE search_documents SET fts_vector = CAST(:m AS tsvector), "
                          "fts_words = CAST(:w AS tsvector), fts_rank = CAST(:r AS tsvector) "
                          "WHERE release_id = :id"),
                     {"m": match, "w": words, "r": rank, "id": release_id})
    elif conn.dialect.name == "sqlite":
        conn.execute(text("DELETE FROM fts_releases WHERE rowid = :id"), {"id": release_id})
        conn.execute(text("INSERT INTO fts_releases (rowid, headline, content, parts) "
                          "VALUES (:id, :h, :c, :p)"),
                     {"id": release_id, "h": stems_of(headline), "c": stems_of(content),
                      "p": stems_of(parts)})


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
