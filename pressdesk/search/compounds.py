"""Compound words: which heads a word is also found by ("Kreisstraße" is a "Straße").

German writes compounds as one word, and the last part says what the thing is: a Kreisstraße is
a Straße, a Grundschule a Schule. A reader who searches "Straße" expects the Kreisstraße. So each
word of a document that ends in a known head form (``heads.txt``, a curated list of nouns common
in press releases, with their plural and genitive forms), with at least three letters before it
(four before a head of three letters, so "Gesamt" is no "Amt"), is also indexed by that ending:
"kreisstrassen" adds "strassen", which stems like the word "Straßen". The first part is not split
off ("Kreis" does not find "Kreisstraße"; *Wortanfang* does). Heads a reader would not expect
are not in the list (see its header). The same parts go into PostgreSQL's vector, SQLite's FTS5
row and the alert matcher, so every backend answers alike.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

from pressdesk.search.text import WORD, fold

_VOWELS = frozenset("aeiouy")
MIN_MODIFIER = 3
# Words that end in a head form without being that thing (adverbs and derivations).
NOT_COMPOUNDS = frozenset({"hinweg", "vorweg", "durchweg", "auswahl", "einbildung",
                           "ausbildung", "manifest", "gesamt"})


def _forms() -> tuple[tuple[str, int], ...]:
    forms: dict[str, int] = {}
    for line in files("pressdesk.search").joinpath("heads.txt").read_text("utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        words = [fold(w) for w in line.split()]
        need = MIN_MODIFIER + (len(words[0]) <= 3)
        for w in words:
            forms[w] = need
    # Longest forms first: "hochschulen" before "schulen", so both are found.
    return tuple(sorted(forms.items(), key=lambda item: -len(item[0])))


HEAD_FORMS = _forms()


@lru_cache(maxsize=65536)
def word_parts(word: str) -> tuple[str, ...]:
    """The head forms one folded word is also indexed by (empty for most words)."""
    if len(word) < 6 or word in NOT_COMPOUNDS:
        return ()
    found = []
    for form, need in HEAD_FORMS:
        if len(word) - len(form) >= need and word.endswith(form):
            modifier = word[:-len(form)]
            if _VOWELS & set(modifier):
                found.append(form)
    return tuple(found)


def parts_of(text: str) -> str:
    """The compound heads of a text: folded, each once, space separated (the ``parts`` column)."""
    seen: dict[str, None] = {}
    for word in WORD.findall(fold(text)):
        for part in word_parts(word):
            seen.setdefault(part, None)
    return " ".join(seen)
