"""THE search parameters: read from a query string, written back to one, run as a search.

One set of fields and one set of rules for every way into the search: the search page, its
feeds, the JSON API and saved-search alerts, all with the same German names in their URLs:
``q, stelle, thema, region, von, bis, sortierung`` (relevanz|datum), ``wortanfang``, ``seite``.
What ``q`` means (phrases, -word, ODER/OR, compound heads) is ``search.query``'s.

    p = params.parse(request.args)
    results = p.search(per_page=20)                   # search_releases with every filter
    url_for("feeds.search_feed", fmt="atom") + p.query_string()   # the same search as a feed
    p.query_string(page=3)                            # paging keeps every filter
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask_babel import gettext as _

from pressdesk import paging
from pressdesk.search.query import parse as parse_query
from pressdesk.search.services import SearchResults, search_releases
from pressdesk.text import one_line

MAX_QUERY = 200
MAX_SLUG = 80
MAX_PAGE = paging.MAX_PAGE

# Field -> name in the URL.
NAMES: Mapping[str, str] = {
    "q": "q", "office": "stelle", "topic": "thema", "region": "region", "date_from": "von",
    "date_to": "bis", "sort": "sortierung", "prefix": "wortanfang", "page": paging.PARAM}
# The values of ``sort`` in URLs.
_SORTS = {"relevanz": "relevance", "datum": "date"}
_TRUE = ("1", "on", "ja", "true")


@dataclass(frozen=True)
class SearchParams:
    """One search: what the reader asked for, normalised, plus any input errors.

    Frozen and hashable, so it can key a cache; ``errors`` are ``(field, message)`` pairs (the
    message is for the reader, German by default)."""

    q: str = ""
    office: str = ""  # slugs
    topic: str = ""
    region: str = ""
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"
    prefix: bool = False
    page: int = 1
    errors: tuple[tuple[str, str], ...] = ()

    @property
    def searched(self) -> bool:
        """Did the reader ask for anything (a word or a filter)?"""
        return bool(self.q or self.office or self.topic or self.region or self.date_from
                    or self.date_to)

    @property
    def messages(self) -> list[str]:
        return [message for _field, message in self.errors]

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``search_releases`` (without the query and paging)."""
        return {"office": self.office or None, "topic": self.topic or None,
                "region": self.region or None, "date_from": self.date_from,
                "date_to": self.date_to, "sort": self.sort, "prefix": self.prefix}

    def search(self, per_page: int = 20, page: int | None = None, **extra: Any) -> SearchResults:
        """Run this search (``extra``: e.g. ``since`` for the API)."""
        return search_releases(self.q, page=page or self.page, per_page=per_page,
                               **self.kwargs(), **extra)

    def with_page(self, page: int) -> SearchParams:
        return replace(self, page=page)

    def args(self, page: int | None = None) -> list[tuple[str, str]]:
        """This search as URL arguments, defaults left out; ``page`` (else this one's page) is
        written only past the first page. ``parse(dict(p.args()))`` gives ``p`` back."""
        sort = {v: k for k, v in _SORTS.items()}[self.sort]
        page = self.page if page is None else page
        pairs = [
            ("q", self.q), ("office", self.office), ("topic", self.topic),
            ("region", self.region),
            ("date_from", self.date_from.isoformat() if self.date_from else ""),
            ("date_to", self.date_to.isoformat() if self.date_to else ""),
            ("sort", sort if self.sort != "relevance" else ""),
            ("prefix", "1" if self.prefix else ""),
            ("page", str(page) if page > 1 else ""),
        ]
        return [(NAMES[k], v) for k, v in pairs if v]

    def query_string(self, page: int | None = None) -> str:
        """``?…`` for this search (empty string when there is nothing to write)."""
        args = self.args(page)
        return "?" + urlencode(args) if args else ""


def _date(value: str, field: str, label: str, errors: list[tuple[str, str]]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append((field, _("%(label)s: „%(value)s“ ist kein Datum (JJJJ-MM-TT).",
                                label=label, value=value[:20])))
        return None


def parse(args: Mapping[str, str], default_sort: str = "relevance") -> SearchParams:
    """Read a search from URL arguments (``request.args`` or a plain dict). Bad input never
    raises: the value falls back to its default and ``errors`` says what was wrong."""
    # Control characters (NUL above all: PostgreSQL refuses it in text) are never part of a
    # word or a slug; whitespace is collapsed.
    raw = {f: one_line(args.get(n) or "") for f, n in NAMES.items()}
    errors: list[tuple[str, str]] = []
    date_from = _date(raw["date_from"], "date_from", _("Von"), errors)
    date_to = _date(raw["date_to"], "date_to", _("Bis"), errors)
    if date_from and date_to and date_from > date_to:
        errors.append(("range", _("Das Startdatum liegt nach dem Enddatum.")))
        date_to = None
    sort = _SORTS.get(raw["sort"]) if raw["sort"] else default_sort
    if sort is None:
        errors.append(("sort", _("Unbekannte Sortierung; sortiert wird nach Relevanz.")))
        sort = "relevance"
    page = 1
    if raw["page"]:
        try:
            page = int(raw["page"])
        except ValueError:
            page = 0
        if page < 1:
            errors.append(("page", _("Ungültige Seitenzahl.")))
            page = 1
        page = min(page, MAX_PAGE)
    q = raw["q"][:MAX_QUERY]
    if parse_query(q).only_excluded:
        errors.append(("q", _("Nur Wörter mit Minus: es fehlt ein Wort, nach dem gesucht wird "
                              "(z. B. „Radweg -Sperrung“).")))
    return SearchParams(q=q, office=raw["office"][:MAX_SLUG],
                        topic=raw["topic"][:MAX_SLUG], region=raw["region"][:MAX_SLUG],
                        date_from=date_from, date_to=date_to, sort=sort,
                        prefix=raw["prefix"].lower() in _TRUE, page=page, errors=tuple(errors))
