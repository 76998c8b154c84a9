"""Does a text match a published version? Candidates from the search, then a word-by-word
comparison of normalised text.

Normalised: Unicode NFKC, case-folded, words only (letters and digits; punctuation, markdown
marks and line breaks do not count). A text *matches* a version when its words appear in the
version as one unbroken run, at least :data:`MIN_WORDS` long (or the whole version): words
around it (a mail's "Pressemitteilung ..." line, a signature) are ignored, but a changed,
added or missing word inside it is a difference, a changed number included.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

from sqlalchemy import or_, select

from pressdesk.extensions import db
from pressdesk.formats.body import plain_text
from pressdesk.releases.models import Release, ReleaseStatus, ReleaseVersion
from pressdesk.releases.presenter import PublicRelease, present

MIN_WORDS = 20  # shorter pastes match too many texts to mean anything
TOO_SHORT = 8
CLOSE = 0.5  # below this share of common words a version is not shown as "the closest"
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Change:
    """One piece of the difference: ``same`` (shortened), ``removed`` or ``added`` words."""

    op: str
    text: str


@dataclass(frozen=True)
class Finding:
    verdict: str  # match | differs | unknown | too_short
    version: PublicRelease | None = None  # the matching (or closest) version
    current: PublicRelease | None = None  # the release's latest version (corrections, withdrawal)
    changes: tuple[Change, ...] = ()
    score: float = 0.0
    image_caption: str = ""  # for a photo: which of the release's photos it is

    @property
    def corrected_since(self) -> bool:
        """A correction came after the matching version."""
        if self.version is None or self.current is None:
            return False
        return any(h.kind == "correction" and h.version > self.version.version
                   for h in self.current.history)

    @property
    def withdrawn(self) -> bool:
        return self.current is not None and self.current.status == "withdrawn"


def _tokens(text: str) -> list[tuple[str, str]]:
    """(normalised, as written) for every word."""
    text = unicodedata.normalize("NFKC", text)
    return [(m.group().casefold(), m.group()) for m in _WORD.finditer(text)]


def segments(p: PublicRelease) -> list[str]:
    """The parts of a version a text may leave out as a whole: headline, subline, dateline,
    lead, each paragraph."""
    return [x for x in (p.headline, p.subline, p.dateline, p.lead,
                        *plain_text(str(p.body_html)).splitlines()) if x.strip()]


def version_text(p: PublicRelease) -> str:
    return "\n".join(segments(p))


def _version_tokens(p: PublicRelease) -> tuple[list[tuple[str, str]], set[int]]:
    """The version's words and the word positions where a part begins (or the text ends)."""
    words: list[tuple[str, str]] = []
    bounds = {0}
    for part in segments(p):
        words += _tokens(part)
        bounds.add(len(words))
    return words, bounds


def _searchable_words(text: str, n: int = 6) -> list[str]:
    """The longest distinct words (numbers left out: they are what a forger changes)."""
    seen: dict[str, None] = {}
    for norm, _orig in _tokens(text):
        if len(norm) >= 5 and not norm.isdigit():
            seen.setdefault(norm, None)
    return sorted(seen, key=len, reverse=True)[:n]


def candidates(text: str, limit: int = 10) -> list[Release]:
    """Releases that may hold the text: public ones from the search, withdrawn ones that had
    been public (the search no longer lists them). Never one under a running Sperrfrist."""
    from pressdesk.search.services import SearchError, search_releases

    words = _searchable_words(text)
    ids: dict[int, None] = {}
    for word in words:
        try:
            hits = search_releases(word, per_page=limit).items
        except SearchError:
            continue
        for hit in hits:
            ids.setdefault(hit.release.id, None)
    if words:
        withdrawn = db.session.scalars(
            select(Release.id).where(
                Release.status == ReleaseStatus.WITHDRAWN.value,
                Release.went_public_at.is_not(None),
                Release.versions.any(or_(*(ReleaseVersion.body.ilike(f"%{w}%")
                                           for w in words[:3]),
                                         *(ReleaseVersion.headline.ilike(f"%{w}%")
                                           for w in words[:3]))))
            .order_by(Release.id.desc()).limit(limit))
        for rid in withdrawn:
            ids.setdefault(rid, None)
    if not ids:
        return []
    rows = db.session.scalars(select(Release).where(Release.id.in_(list(ids)))).all()
    return list(rows)


def _compare(q: list[tuple[str, str]], v: list[tuple[str, str]], bounds: set[int]
             ) -> tuple[bool, float, list[Change]]:
    """Whether ``q`` is an unbroken run of ``v`` (leaving out whole parts is allowed), the
    share of common words, and the differences."""
    qn, vn = [t[0] for t in q], [t[0] for t in v]
    sm = SequenceMatcher(None, qn, vn, autojunk=False)
    ops = sm.get_opcodes()
    equal = [i for i, op in enumerate(ops) if op[0] == "equal"]
    if not equal:
        return False, 0.0, []
    first, last = equal[0], equal[-1]
    inner = ops[first:last + 1]
    matched = sum(op[2] - op[1] for op in inner if op[0] == "equal")

    def skipped_part(op: tuple[str, int, int, int, int]) -> bool:
        return op[0] == "insert" and op[3] in bounds and op[4] in bounds  # words of v only

    exact = (all(op[0] == "equal" or skipped_part(op) for op in inner)
             and matched >= min(MIN_WORDS, len(vn)))
    score = matched / max(1, min(len(qn), len(vn)))
    changes: list[Change] = []
    for op in inner:
        tag, i1, i2, j1, j2 = op
        if skipped_part(op):
            continue
        if tag == "equal":
            words = [w for _n, w in q[i1:i2]]
            text = " ".join(words if len(words) <= 12 else words[:5] + ["…"] + words[-5:])
            changes.append(Change("same", text))
            continue
        if j2 > j1:
            changes.append(Change("removed", " ".join(w for _n, w in v[j1:j2])))
        if i2 > i1:
            changes.append(Change("added", " ".join(w for _n, w in q[i1:i2])))
    return exact, score, changes


def find(text: str) -> Finding:
    """What the pasted ``text`` is: a published version, close to one, or unknown."""
    q = _tokens(text)
    if len(q) < TOO_SHORT:
        return Finding("too_short")
    best: tuple[float, int, PublicRelease, PublicRelease, list[Change]] | None = None
    exact: list[tuple[PublicRelease, PublicRelease]] = []
    for release in candidates(text):
        current = present(release.versions[-1])
        for version in release.versions:
            if version.kind == "withdrawal":  # the withdrawal repeats the text; not a text
                continue
            p = present(version)
            is_exact, score, changes = _compare(q, *_version_tokens(p))
            if is_exact:
                exact.append((p, current))
            if best is None or (score, p.version) > (best[0], best[1]):
                best = (score, p.version, p, current, changes)
    if exact:
        p, current = max(exact, key=lambda pc: (pc[0].published, pc[0].version))
        return Finding("match", p, current, score=1.0)
    if best is None or best[0] < CLOSE:
        return Finding("unknown")
    return Finding("differs", best[2], best[3], tuple(best[4]), best[0])
