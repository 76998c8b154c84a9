"""Reading a search from a query string (the results page, its Atom feed, the API share this)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pressdesk.search.services import SORTS

MAX_QUERY = 200


@dataclass
class SearchParams:
    """The reader's search as typed, plus what ``search_releases`` needs and any input errors."""

    q: str = ""
    office: str = ""
    topic: str = ""
    region: str = ""
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"
    prefix: bool = False
    page: int = 1
    raw: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``search_releases`` (without the query and paging)."""
        return {"office": self.office or None, "topic": self.topic or None,
                "region": self.region or None, "date_from": self.date_from,
                "date_to": self.date_to, "sort": self.sort, "prefix": self.prefix}


def _date(value: str, label: str, errors: list[str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(f"{label}: „{value[:20]}“ ist kein Datum (JJJJ-MM-TT).")
        return None


def parse(args: Mapping[str, str]) -> SearchParams:
    """German parameter names as they appear in the portal's URLs:
    ``q``, ``stelle``, ``thema``, ``region``, ``von``, ``bis``, ``sortierung`` (relevanz|datum),
    ``wortanfang`` (1), ``seite``."""
    raw = {k: (args.get(k) or "").strip() for k in
           ("q", "stelle", "thema", "region", "von", "bis", "sortierung", "wortanfang", "seite")}
    p = SearchParams(q=raw["q"][:MAX_QUERY], office=raw["stelle"][:80], topic=raw["thema"][:80],
                     region=raw["region"][:80], raw=raw)
    p.date_from = _date(raw["von"], "Von", p.errors)
    p.date_to = _date(raw["bis"], "Bis", p.errors)
    if p.date_from and p.date_to and p.date_from > p.date_to:
        p.errors.append("Das Startdatum liegt nach dem Enddatum.")
        p.date_to = None
    sort = {"": "relevance", "relevanz": "relevance", "datum": "date"}.get(raw["sortierung"])
    if sort is None or sort not in SORTS:
        p.errors.append("Unbekannte Sortierung; sortiert wird nach Relevanz.")
        sort = "relevance"
    p.sort = sort
    p.prefix = raw["wortanfang"] in ("1", "on", "ja", "true")
    try:
        p.page = max(1, min(int(raw["seite"] or 1), 500))
    except ValueError:
        p.errors.append("Ungültige Seitenzahl.")
    return p
