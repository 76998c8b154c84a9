"""The search document: the public text of a release's latest version, one row per release.

The dialect-specific index lives beside it and is made in the initial migration:
- PostgreSQL: tsvector columns written by the application (``index.tsvectors``): ``fts_words``
  (the lexemes, no positions; in the row, GIN-indexed) for matching, ``fts_vector`` (positions;
  headline A, text B, compound heads C) for phrases, and a small ``fts_rank`` (headline and the
  beginning of the text) for ranking a bounded window;
- SQLite: an FTS5 table ``fts_releases`` (rowid = release id) holding stemmed text.
Both are named ``fts_*`` so that Alembic's comparison leaves them alone (see migrations/env.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pressdesk.db import Base, UTCDateTime, utcnow
from pressdesk.releases.models import Release, release_regions, release_topics


class SearchDocument(Base):
    __tablename__ = "search_documents"

    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"),
                                            primary_key=True, autoincrement=False)
    version_id: Mapped[int] = mapped_column(Integer)
    # Plain text (Markdown stripped) of the latest public version; the index folds umlauts
    # (ä -> ae, ß -> ss) so that "Buerger" and "Bürger" meet; snippets are cut from this text.
    headline: Mapped[str] = mapped_column(String(300), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    # The heads of the compound words of headline and text ("Kreisstraße" -> "strasse"), folded,
    # space separated (``search.compounds``): "Straße" finds "Kreisstraße".
    parts: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The release's publication time, copied here: the search takes its newest matches in
    # time slices on this index (see services._window).
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Indexes the portal's listings need (office page, topic and region pages), declared here so
# the shared release models stay untouched; created in migration 0003_portal.
# Listings order by (published_at, id) newest first: with the id in the index, an office page is
# read backwards from it and stops after a page (EXPLAIN in docs/portal.md). The home page needs
# no such index: PostgreSQL reads ix_releases_published_at backwards with an incremental sort.
Index("ix_search_documents_published_at", SearchDocument.published_at)
Index("ix_releases_office_id_published_at", Release.office_id, Release.published_at, Release.id)
Index("ix_release_topics_topic_id", release_topics.c.topic_id)
Index("ix_release_regions_region_id", release_regions.c.region_id)
