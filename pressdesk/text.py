"""Small text helpers: slugs, single-line values, German dates in Europe/Berlin, and the one
machine-readable time format (API, feeds, HTML ``<time datetime>``)."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue",
                         "ß": "ss"})


def slugify(text: str, max_len: int = 80) -> str:
    text = unicodedata.normalize("NFKD", text.translate(_GERMAN))
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return slug[:max_len].rstrip("-") or "mitteilung"


# C0 and C1 control characters and DEL; tab, LF and CR are whitespace and handled apart.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def strip_controls(text: str) -> str:
    """Drop control characters (NUL, ESC, ...) that no press text needs and no header may hold."""
    return _CONTROL.sub("", text or "")


def one_line(text: str) -> str:
    """Collapse all whitespace, CR and LF included, and drop control characters, so a value
    can never break a header."""
    return " ".join(strip_controls(text).split())


def has_line_break(text: str) -> bool:
    return any(ch in (text or "") for ch in "\r\n\x0b\x0c\x85\u2028\u2029")


def berlin(dt: datetime) -> datetime:
    return dt.astimezone(BERLIN)


def german_date(dt: datetime) -> str:
    return berlin(dt).strftime("%d.%m.%Y")


def german_datetime(dt: datetime) -> str:
    return berlin(dt).strftime("%d.%m.%Y, %H:%M Uhr")


def iso_utc(dt: datetime | None) -> str:
    """ISO 8601 / RFC 3339 in UTC to the second with ``Z``: ``2026-12-01T09:30:00Z``.

    The one machine-readable form for the API, the feeds and ``<time datetime>`` (a valid HTML
    global date-and-time; six-digit fractions are not). A naive value is taken as UTC."""
    if dt is None:
        return ""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def dateline(place: str, when: datetime) -> str:
    """The dateline a German release starts with: "Leer, 23.11.2026"."""
    place = one_line(place)
    return f"{place}, {german_date(when)}" if place else german_date(when)


def file_size(n_bytes: int, locale: str | None = None) -> str:
    """A file size as a reader of the page's language writes it: "10,0 MB", "312 KB".

    ``locale`` None: the current request's language (Flask-Babel); the mails pass "de".
    """
    from babel.numbers import format_decimal

    if locale is None:
        from flask_babel import get_locale

        locale = str(get_locale() or "de")
    if n_bytes >= 1024 * 1024:
        return f"{format_decimal(n_bytes / (1024 * 1024), format='#,##0.0', locale=locale)} MB"
    return f"{format_decimal(max(1, round(n_bytes / 1024)), format='#,##0', locale=locale)} KB"
