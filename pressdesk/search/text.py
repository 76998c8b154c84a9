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
from collections.abc import Callable
from functools import lru_cache
from importlib.resources import files

import nh3
import snowballstemmer
from markupsafe import Markup, escape

from pressdesk.releases.markup import render_markdown

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss"})
WORD = re.compile(r"[^\W_]+")
MAX_TERMS = 8



def _accented() -> tuple[str, str]:
    """Lower-case Latin letters with accents (Latin-1 and Extended-A) and their base letters,
    as fold() maps them; the umlauts and ß are left to their own replacements."""
    src, dst = [], []
    for code in range(0xE0, 0x180):
        ch = chr(code)
        if ch != ch.lower() or ch in "äöüß":
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch)
                       if not unicodedata.combining(c))
        if len(base) == 1 and base.isascii() and base != ch:
            src.append(ch)
            dst.append(base)
    return "".join(src), "".join(dst)


# The SQL twin of fold() for PostgreSQL's generated column: lower() first, then the umlauts,
# then other accents dropped ("Café" -> "cafe", as SQLite's remove_diacritics and fold() do).
_FROM, _TO = _accented()
FOLD_SQL = ("translate(replace(replace(replace(replace(lower({col}), 'ä', 'ae'), 'ö', 'oe'), "
            "'ü', 'ue'), 'ß', 'ss'), '" + _FROM + "', '" + _TO + "')")

# PostgreSQL's ``german`` configuration drops Snowball's German stop words from documents and
# queries; the same list (a copy of its german.stop) is dropped from queries here, so a query
# means the same on both backends and in the alert matcher. Words are folded before the check,
# as PostgreSQL sees them folded too ("für" -> "fuer" is not a stop word there either).
STOP_WORDS = frozenset(
    files("pressdesk.search").joinpath("german.stop").read_text("utf-8").split())

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
    return str(stemmer.stemWord(word))


@lru_cache(maxsize=65536)
def word_stem(word: str) -> str:
    """The stem of a word as written in a text (folded first); cached, snippets call it a lot."""
    return stem(fold(word))


def query_words(q: str | None) -> list[str]:
    """The folded words of a reader's query, stop words included, each once."""
    words: list[str] = []
    for word in WORD.findall(fold(q or "")):
        if word not in words:
            words.append(word)
    return words


def query_terms(q: str | None) -> list[str]:
    """The folded words of a reader's query that must match (no operators: every word must
    match; stop words are ignored, as PostgreSQL ignores them). A query of stop words only
    has words but no terms, and matches nothing."""
    return [w for w in query_words(q) if w not in STOP_WORDS][:MAX_TERMS]


def stems_of(text: str) -> str:
    """What FTS5 indexes: the stems of every word, space separated."""
    return " ".join(stem(w) for w in WORD.findall(fold(text)))


def plain_text(markdown: str) -> str:
    """A release body as plain text: rendered, sanitised, tags dropped, whitespace collapsed."""
    stripped = nh3.clean(str(render_markdown(markdown)), tags=set())
    return " ".join(html.unescape(stripped).split())


def stem_matches(word_stem: str, term_stem: str, prefix: bool) -> bool:
    """THE word rule of search, snippets and alerts: equal stems, or with ``prefix`` a word
    whose stem begins with the term's stem (FTS5's ``"stem"*``, PostgreSQL's ``term:*``)."""
    return word_stem.startswith(term_stem) if prefix else word_stem == term_stem


def _matcher(terms: list[str], prefix: bool) -> Callable[[str], bool]:
    stems = [stem(t) for t in terms]

    def hit(word: str) -> bool:
        s = word_stem(word)
        return any(stem_matches(s, q, prefix) for q in stems)

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
