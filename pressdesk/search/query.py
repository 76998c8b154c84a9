"""The search syntax: what a reader's query means, and the same meaning on every backend.

    Radweg Ausbau            both words (every word must match)
    "Tag der offenen Tür"    the words in this order, next to each other
    -Sperrung                 no release with this word
    Radweg ODER Fahrrad       either word (also ``OR``); binds tighter than the implicit AND:
                              ``Radweg ODER Fahrrad Ausbau`` = (Radweg or Fahrrad) and Ausbau

Words are folded (umlauts, accents) and stemmed (German Snowball) as the documents are, and a
word also finds the compounds it is the head of ("Straße" finds "Kreisstraße",
``search.compounds``). German stop words are ignored as single words; inside a phrase a stop
word stands for any stop word ("Tag der offenen Tür" also finds "Tag des offenen ..."), because
documents keep a placeholder in their place. With ``prefix`` every word is a word beginning.

``parse()`` gives a ``Query``; ``tsquery()`` writes it for PostgreSQL (over the stems that
``index.py`` writes into the tsvector), ``fts5()`` for SQLite, and ``Query.matches()`` answers in
Python for the alert matcher, all three from the same structure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pressdesk.search.compounds import word_parts
from pressdesk.search.text import GAP, STOP_WORDS, WORD, fold, sequence, stem, stem_matches

MAX_TERMS = 8
OR_WORDS = frozenset({"ODER", "OR"})
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


@dataclass(frozen=True)
class Term:
    """One word, or a phrase: stems in order, ``None`` where a stop word stands."""

    stems: tuple[str | None, ...]

    @property
    def words(self) -> list[str]:
        return [s for s in self.stems if s is not None]

    @property
    def phrase(self) -> bool:
        return len(self.stems) > 1


@dataclass(frozen=True)
class Query:
    """Every group must match (a group: any of its terms); no excluded term may match."""

    groups: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()
    # The folded words of the positive terms, for highlighting.
    words: tuple[str, ...] = ()
    # The reader typed words, but none that can be looked for (stop words only).
    empty_words: bool = False

    @property
    def searches(self) -> bool:
        return bool(self.groups)

    @property
    def only_excluded(self) -> bool:
        return bool(self.excluded) and not self.groups

    def matches(self, sections: list[list[str]], parts: frozenset[str],
                prefix: bool = False) -> bool:
        """Does a document match? ``sections``: its stems in order per field (headline,
        text), stop words as ``GAP``; ``parts``: the stems of its compound heads."""
        if not self.groups:
            return not self.excluded and not self.empty_words
        every = frozenset(s for section in sections for s in section) | parts
        return (all(any(_has(t, sections, every, prefix) for t in g) for g in self.groups)
                and not any(_has(t, sections, every, prefix) for t in self.excluded))


def _has(term: Term, sections: list[list[str]], every: frozenset[str], prefix: bool) -> bool:
    if not term.phrase:
        word = term.stems[0]
        assert word is not None
        return any(stem_matches(s, word, prefix) for s in every)
    want = term.stems
    for seq in sections:
        for i in range(len(seq) - len(want) + 1):
            if all(seq[i + k] == GAP if w is None else
                   seq[i + k] != GAP and stem_matches(seq[i + k], w, prefix)
                   for k, w in enumerate(want)):
                return True
    return False


def _term(words: list[str]) -> Term | None:
    """A term from folded words: stop words dropped at the ends, gaps inside."""
    stems: list[str | None] = [None if w in STOP_WORDS else stem(w) for w in words]
    while stems and stems[0] is None:
        stems.pop(0)
    while stems and stems[-1] is None:
        stems.pop()
    return Term(tuple(stems)) if stems else None


@lru_cache(maxsize=4096)
def parse(q: str | None) -> Query:
    """The reader's query as a ``Query`` (never raises; unknown syntax is read as words)."""
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    words: list[str] = []
    typed = False
    join_next = False
    count = 0
    for m in _TOKEN.finditer(q or ""):
        negated, quoted, bare = m.group(1) == "-", m.group(2), m.group(3)
        if bare is not None and bare in OR_WORDS:
            join_next = bool(groups)
            continue
        if bare is not None and bare.startswith("-") and len(bare) > 1:
            negated, bare = True, bare[1:]
        found = WORD.findall(fold(quoted if quoted is not None else bare))
        typed = typed or bool(found)
        if quoted is not None:
            terms = [t for t in [_term(found)] if t is not None]
        else:  # "Rad-Weg" outside quotes: two words, each must match
            terms = [t for t in (_term([w]) for w in found) if t is not None]
        for i, term in enumerate(terms):
            if count >= MAX_TERMS:
                break
            count += 1
            if negated:
                excluded.append(term)
                continue
            for w in found:
                if w not in STOP_WORDS and w not in words:
                    words.append(w)
            if join_next and i == 0 and groups:
                if term not in groups[-1]:
                    groups[-1].append(term)
            elif [term] not in groups:
                groups.append([term])
        join_next = False
    return Query(groups=tuple(tuple(g) for g in groups), excluded=tuple(excluded),
                 words=tuple(words), empty_words=typed and not groups and not excluded)


# --- PostgreSQL ---------------------------------------------------------------------------

def _ts_term(term: Term, prefix: bool) -> str:
    # Lexemes are stems of [^\W_]+ words (or the gap), so they need no escaping inside quotes.
    if not term.phrase:
        return f"'{term.stems[0]}'" + (":*" if prefix else "")
    # A phrase stays within the headline and the text (weights A, B), never the parts (C).
    return "( " + " <-> ".join(f"'{GAP}':AB" if s is None else f"'{s}':{'*' if prefix else ''}AB"
                               for s in term.stems) + " )"


def tsquery(query: Query, prefix: bool = False) -> str:
    """The query as a tsquery literal (cast it: ``CAST(:q AS tsquery)``)."""
    parts = []
    for group in query.groups:
        alts = [_ts_term(t, prefix) for t in group]
        parts.append(alts[0] if len(alts) == 1 else "( " + " | ".join(alts) + " )")
    parts += [f"!( {_ts_term(t, prefix)} )" for t in query.excluded]
    return " & ".join(parts)


def words_tsquery(query: Query, prefix: bool = False) -> str | None:
    """A tsquery for the lexemes alone (no positions; ``index.tsvectors``' words vector) that
    every document matching ``query`` matches too: a phrase becomes all of its words, a
    phrase left out sets no condition (a document may hold its words elsewhere). Without
    phrases it is exactly ``tsquery()`` (``has_phrase``). None: no condition at all."""
    def term(t: Term) -> str | None:
        words = [f"'{w}'" + (":*" if prefix else "") for w in dict.fromkeys(t.words)]
        if not words:
            return None
        return words[0] if len(words) == 1 else "( " + " & ".join(words) + " )"

    parts = []
    for group in query.groups:
        alts = [a for a in (term(t) for t in group) if a is not None]
        if len(alts) < len(group):
            continue  # one alternative sets no condition: the group sets none
        parts.append(alts[0] if len(alts) == 1 else "( " + " | ".join(alts) + " )")
    parts += [f"!{_ts_term(t, prefix)}" for t in query.excluded if not t.phrase]
    return " & ".join(parts) or None


def has_phrase(query: Query) -> bool:
    return any(t.phrase for g in query.groups for t in g) or any(t.phrase for t in query.excluded)


# --- SQLite FTS5 --------------------------------------------------------------------------

def _fts_term(term: Term, prefix: bool) -> str:
    star = "*" if prefix else ""
    if not term.phrase:
        return f'"{term.stems[0]}"{star}'
    words = " + ".join(f'"{GAP}"' if s is None else f'"{s}"{star}' for s in term.stems)
    return "{headline content} : (" + words + ")"


def fts5(query: Query, prefix: bool = False) -> str:
    """The query as an FTS5 MATCH expression over the stemmed columns."""
    groups = []
    for group in query.groups:
        alts = [_fts_term(t, prefix) for t in group]
        groups.append("(" + " OR ".join(alts) + ")")
    expr = " AND ".join(groups)
    for t in query.excluded:
        expr = f"({expr}) NOT {_fts_term(t, prefix)}"
    return expr


# --- Documents ----------------------------------------------------------------------------

__all__ = ["GAP", "Query", "Term", "fts5", "parse", "part_stems", "sequence", "tsquery"]


def part_stems(text: str) -> frozenset[str]:
    """The stems of a text's compound heads."""
    return frozenset(stem(p) for w in WORD.findall(fold(text)) for p in word_parts(w))
