"""Pure text helpers for search: folding, German stemming, query terms, highlighted snippets.

Umlauts are folded to their two-letter forms (ä -> ae, ß -> ss) on both sides, in Python here and
with the same ``replace`` chain inside PostgreSQL's index expression (see ``FOLD_SQL``), so
"Buerger" and "Bürger" are the same query. Stemming is Snowball's German stemmer: PostgreSQL's
``german`` configuration on PostgreSQL, the ``snowballstemmer`` package for SQLite's FTS5 and
for highlighting on both.
"""

from __future__ import annotations

import html
import re
import threading
import unicodedata
from functools import lru_cache

import nh3
import snowballstemmer
from markupsafe import Markup, escape

from pressdesk.releases.markup import render_markdown

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss"})
WORD = re.compile(r"[^\W_]+")
MAX_TERMS = 8

# The SQL twin of fold() for PostgreSQL's generated column; lower() first, then the umlauts.
FOLD_SQL = "replace(replace(replace(replace(lower({col}), 'ä', 'ae'), 'ö', 'oe'), 'ü', 'ue'), 'ß', 'ss')"

# A Snowball stemmer keeps state while it works: one per thread (gthread workers, Celery threads).
_local = threading.local()


def fold(text: str) -> str:
    """Lower case, umlauts to two letters, other accents dropped ("Café" -> "cafe")."""
    text = (text or "").lower().translate(_FOLD)
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The German stem of one already folded word."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("german")
    return stemmer.stemWord(word)


@lru_cache(maxsize=65536)
def word_stem(word: str) -> str:
    """The stem of a word as written in a text (folded first); cached, snippets call it a lot."""
    return stem(fold(word))


def query_terms(q: str | None) -> list[str]:
    """The folded words of a reader's query (no operators: every word must match)."""
    terms: list[str] = []
    for word in WORD.findall(fold(q or "")):
        if word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


def stems_of(text: str) -> str:
    """What FTS5 indexes: the stems of every word, space separated."""
    return " ".join(stem(w) for w in WORD.findall(fold(text)))


def plain_text(markdown: str) -> str:
    """A release body as plain text: rendered, sanitised, tags dropped, whitespace collapsed."""
    stripped = nh3.clean(str(render_markdown(markdown)), tags=set())
    return " ".join(html.unescape(stripped).split())


def _matcher(terms: list[str], prefix: bool):  # type: ignore[no-untyped-def]
    stems = [stem(t) for t in terms]

    def hit(word: str) -> bool:
        s = word_stem(word)
        return any(s.startswith(q) if prefix else s == q for q in stems)

    return hit


def highlight(text: str, terms: list[str], prefix: bool = False) -> Markup:
    """All of ``text`` escaped, with matching words wrapped in ``<mark>``."""
    if not terms:
        return escape(text)
    hit = _matcher(terms, prefix)
    out, pos = [], 0
    for m in WORD.finditer(text):
        if hit(m.group()):
            out.append(escape(text[pos:m.start()]))
            out.append(Markup("<mark>%s</mark>") % m.group())  # noqa: S704 - % escapes the word
            pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def snippet(text: str, terms: list[str], prefix: bool = False, words: int = 36) -> Markup:
    """A window of about ``words`` words around the first match, escaped, matches marked."""
    matches = list(WORD.finditer(text))
    if not matches:
        return Markup("")
    first = 0
    if terms:
        hit = _matcher(terms, prefix)
        first = next((i for i, m in enumerate(matches) if hit(m.group())), 0)
    start_i = max(0, first - words // 3)
    end_i = min(len(matches), start_i + words)
    start, end = matches[start_i].start(), matches[end_i - 1].end()
    if end_i < len(matches):  # keep the punctuation that closes the last word
        end = matches[end_i].start()
    body = highlight(text[start:end].rstrip(), terms, prefix)
    return (Markup("… ") if start_i > 0 else Markup("")) + body + (
        Markup(" …") if end_i < len(matches) else Markup(""))
