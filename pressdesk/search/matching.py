"""THE alert matcher: would this search show this release?

A saved search alerts exactly when the same search on the search page would list the release:
the same text (headline and plain text of the version, as ``search/index.py`` indexes it), the
same folding, German stems and compound heads, the same syntax (``search.query``: every word,
phrases, -word, ODER), word beginnings only with ``prefix``, and the same filters. It answers
for one release in Python, without a query, so a worker can test every saved search against a
newly public release cheaply.

Visibility is not checked here: alerts are only sent for releases that are public.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from pressdesk.releases.models import Release, ReleaseVersion
from pressdesk.releases.presenter import public_time
from pressdesk.search.index import document_text
from pressdesk.search.params import SearchParams
from pressdesk.search.query import parse as parse_query
from pressdesk.search.query import part_stems
from pressdesk.search.text import sequence
from pressdesk.text import BERLIN


@dataclass(frozen=True)
class Document:
    """What a search document is found by (what FTS5 and the tsvector hold): the stems of
    headline and text in order (stop words as gaps), and the stems of its compound heads."""

    sections: tuple[tuple[str, ...], ...]
    parts: frozenset[str]


def document(headline: str, content: str) -> Document:
    return Document(sections=(tuple(sequence(headline)), tuple(sequence(content))),
                    parts=part_stems(f"{headline} {content}"))


def document_matches(q: str, doc: Document, prefix: bool = False) -> bool:
    """Does a document match the query ``q`` (``search.query`` syntax)?"""
    return parse_query(q).matches([list(s) for s in doc.sections], doc.parts, prefix)


def text_matches(q: str, headline: str, content: str, prefix: bool = False) -> bool:
    """Does a document with this headline and plain text match ``q``?"""
    return document_matches(q, document(headline, content), prefix)


@lru_cache(maxsize=64)
def _version_document(headline: str, lead: str, body: str) -> Document:
    # Every saved search is tested against the same new version: render and stem it once.
    return document(headline, document_text(lead, body))


def _day(dt: datetime | None) -> datetime | None:
    return dt.astimezone(BERLIN) if dt is not None else None


def matches(params: SearchParams, release: Release,
            version: ReleaseVersion | None = None) -> bool:
    """Would ``params`` find ``release`` (as of ``version``, by default its latest)?"""
    if params.office and release.office.slug != params.office:
        return False
    if params.topic and params.topic not in {t.slug for t in release.topics}:
        return False
    if params.region and params.region not in {g.slug for g in release.regions}:
        return False
    if params.date_from or params.date_to:
        day = _day(public_time(release))
        if day is None:
            return False
        if params.date_from and day.date() < params.date_from:
            return False
        if params.date_to and day.date() > params.date_to:
            return False
    v = version or release.versions[-1]
    return document_matches(params.q, _version_document(v.headline or "", v.lead or "",
                                                        v.body or ""), params.prefix)


def query_matches(q: str, release: Release, version: ReleaseVersion | None = None) -> bool:
    """A saved search that is only words (what the alert signup stores)."""
    return matches(SearchParams(q=q), release, version)
