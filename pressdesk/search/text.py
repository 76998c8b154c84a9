"""Pure text helpers for search: folding, German stemming, query terms, highlighted snippets.

Umlauts are folded to their two-letter forms (ä -> ae, ß -> ss) on both sides, so "Buerger" and
"Bürger" are the same query. Stemming is Snowball's German stemmer (the ``snowballstemmer``
package), done here for every backend: PostgreSQL's tsvector and tsquery are written from these
stems (``index.py``, ``query.py``), as SQLite's FTS5 rows are, so words, stems, stop words and
positions are the same everywhere, and the same as the alert matcher's.
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



# Snowball's German stop words (a copy of PostgreSQL's german.stop) are not looked for: a query
# of stop words only finds nothing. Words are folded before the check ("für" -> "fuer" is not a
# stop word). Documents keep a placeholder (GAP) where a stop word stands, so that a phrase
# with a stop word inside matches the same on every backend.
STOP_WORDS = frozenset(
    files("pressdesk.search").joinpath("german.stop").read_text("utf-8").split())

# What a stop word leaves in a document's word sequence: a token no query word can be (fold()
# turns every "ß" into "ss"). FTS5's unicode61 tokenizer keeps it as a token of its own.
GAP = "ß"

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


def sequence(text: str) -> list[str]:
    """A text's stems in order, stop words as ``GAP`` (what every backend indexes)."""
    return [GAP if w in STOP_WORDS else stem(w) for w in WORD.findall(fold(text))]


def stems_of(text: str) -> str:
    """What FTS5 indexes: ``sequence(text)``, space separated."""
    return " ".join(sequence(text))


def plain_text(markdown: str) -> str:
    """A release body as plain text: rendered, sanitised, tags dropped, whitespace collapsed."""
    stripped = nh3.clean(str(render_markdown(markdown)), tags=set())
    return " ".join(html.unescape(stripped).split())


def stem_matches(word_stem: str, term_stem: str, prefix: bool) -> bool:
    """THE word rule of search, snippets and alerts: equal stems, or with ``prefix`` a word
    whose stem begins with the term's stem (FTS5's ``"stem"*``, PostgreSQL's ``term:*``)."""
    return word_stem.startswith(term_stem) if prefix else word_stem == term_stem


@lru_cache(maxsize=65536)
def _word_stems(word: str) -> tuple[str, ...]:
    """A word as written: its stem and the stems of its compound heads (cached: a page of
    snippets tests a few thousand words, most of them again and again)."""
    from pressdesk.search.compounds import word_parts

    folded = fold(word)
    return (stem(folded), *(stem(p) for p in word_parts(folded)))


def _matcher(terms: list[str], prefix: bool) -> Callable[[str], bool]:
    stems = [stem(t) for t in terms]

    def hit(word: str) -> bool:
        return any(stem_matches(s, q, prefix) for s in _word_stems(word) for q in stems)

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
