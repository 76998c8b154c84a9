"""Paging: one parameter name, one cap, one page value for every listing (portal, search, API,
feeds, audit log).

``?seite=N`` in every public and desk URL. A page number that cannot be read is page 1; one past
the cap is the cap. :class:`Page` knows its neighbours and never points past the last page: page
999 of 2 links back to page 2, not 998.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, scoped_session

PARAM = "seite"
PER_PAGE_PARAM = "pro_seite"
# Deep pages cost an OFFSET scan each; nobody reads page 10,000 of a press portal.
MAX_PAGE = 10_000
MAX_PER_PAGE = 100

T = TypeVar("T")


def clamp(number: int, low: int, high: int) -> int:
    return max(low, min(number, high))


def page_number(args: Mapping[str, Any], name: str = PARAM) -> int:
    """The requested page from query arguments: 1 when absent or unreadable, at most MAX_PAGE."""
    try:
        return clamp(int(args.get(name) or 1), 1, MAX_PAGE)
    except (TypeError, ValueError):
        return 1


def per_page(args: Mapping[str, Any], default: int, name: str = PER_PAGE_PARAM) -> int:
    """Items per page from query arguments, within 1..MAX_PER_PAGE."""
    try:
        return clamp(int(args.get(name) or default), 1, MAX_PER_PAGE)
    except (TypeError, ValueError):
        return clamp(default, 1, MAX_PER_PAGE)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing.

    ``total`` is None when the listing is not counted (the portal: "is there more" costs one
    extra row instead of a COUNT); then ``more`` says whether a next page exists."""

    items: Sequence[T]
    number: int
    per_page: int
    total: int | None = None
    more: bool = False

    @property
    def pages(self) -> int | None:
        """The number of pages (at least 1), None when not counted."""
        if self.total is None:
            return None
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def last(self) -> int:
        """The last page that has items (the current one when not counted)."""
        pages = self.pages
        if pages is not None:
            return pages
        return self.number + 1 if self.more else self.number

    @property
    def past_end(self) -> bool:
        """Beyond the last page: a view answers 404 (or shows an empty page with a way back)."""
        return self.number > self.last or (not self.items and self.number > 1)

    @property
    def prev(self) -> int | None:
        if self.number <= 1:
            return None
        if self.past_end:
            # Never a link to another empty page: back to the last page with items (the first
            # when the listing is not counted or empty).
            return self.last if self.total else 1
        return self.number - 1

    @property
    def next(self) -> int | None:
        if self.past_end:
            return None
        if self.pages is not None:
            return self.number + 1 if self.number < self.pages else None
        return self.number + 1 if self.more else None

    @property
    def has_prev(self) -> bool:
        return self.prev is not None

    @property
    def has_next(self) -> bool:
        return self.next is not None

    @property
    def offset(self) -> int:
        return offset(self.number, self.per_page)


def page_url(number: int) -> str:
    """The current URL with another page number; every other query argument is kept."""
    from flask import request, url_for

    values: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict()}
    values[PARAM] = str(number)
    return url_for(request.endpoint or "portal.home", **values)


def offset(number: int, size: int) -> int:
    return (clamp(number, 1, MAX_PAGE) - 1) * size


def paginate(session: Session | scoped_session[Session], stmt: Select[T], number: int, size: int,
             count: bool = True) -> Page[T]:
    """Run ``stmt`` for one page. ``count=False`` skips the COUNT and fetches one extra row to
    learn whether a next page exists."""
    number, size = clamp(number, 1, MAX_PAGE), clamp(size, 1, MAX_PER_PAGE)
    if not count:
        rows = list(session.scalars(stmt.limit(size + 1).offset(offset(number, size))))
        return Page(items=rows[:size], number=number, per_page=size, more=len(rows) > size)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = list(session.scalars(stmt.limit(size).offset(offset(number, size)))) if total else []
    return Page(items=rows, number=number, per_page=size, total=total)


def of_list(items: Sequence[T], number: int, size: int) -> Page[T]:
    """A page of an already materialised list (a ranked search window, say)."""
    number, size = clamp(number, 1, MAX_PAGE), clamp(size, 1, MAX_PER_PAGE)
    start = offset(number, size)
    return Page(items=list(items[start:start + size]), number=number, per_page=size,
                total=len(items))
