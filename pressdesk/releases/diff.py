"""What changed between two texts of a release: a readable summary for the "Korrektur:" email.

The summary is plain German text in paragraphs a newspaper editor reads without knowing diff
notation: the changed fields, then for each changed field (and each changed paragraph of the
body) a "vorher:" and a "nachher:" line. Pure functions over plain mappings, so they are easy to
test and never touch the database.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from pressdesk.releases.markup import plain_text

# The fields a correction can change, in reading order, with the names editors know.
FIELDS = (("headline", "Überschrift"), ("subline", "Unterzeile"), ("dateline", "Ortszeile"),
          ("lead", "Vorspann"), ("body", "Text"))
MAX_BODY_CHANGES = 12
EMPTY = "(leer)"
CUT = "[… weitere Änderungen gekürzt]"
LABELS = ("vorher:", "nachher:", "entfernt:", "neu:")


def changed_fields(old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
    """The keys whose text differs (ignoring trailing whitespace and line-end style)."""
    return [key for key, _label in FIELDS if _norm(old.get(key, "")) != _norm(new.get(key, ""))]


def paragraphs(text: str) -> list[str]:
    """The body's paragraphs (blank-line separated) as plain one-line text."""
    out = []
    for block in _norm(text).split("\n\n"):
        flat = " ".join(plain_text(block).split())
        if flat:
            out.append(flat)
    return out


def body_changes(old: str, new: str) -> list[str]:
    """One block per changed stretch of the body: which paragraph, then vorher/nachher lines
    (or "entfernt:"/"neu:" for a paragraph that went or came). Capped in number."""
    a, b = paragraphs(old), paragraphs(new)
    blocks: list[str] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        gone, came = a[i1:i2], b[j1:j2]
        for k in range(max(len(gone), len(came))):
            before = gone[k] if k < len(gone) else None
            after = came[k] if k < len(came) else None
            where = f"{j1 + k + 1}. Absatz" if after is not None else f"{i1 + k + 1}. Absatz (alt)"
            if before is not None and after is not None:
                blocks.append(f"Text, {where}\nvorher: {before}\nnachher: {after}")
            elif before is not None:
                blocks.append(f"Text, {where}\nentfernt: {before}")
            else:
                blocks.append(f"Text, {where}\nneu: {after}")
    if len(blocks) > MAX_BODY_CHANGES:
        blocks = blocks[:MAX_BODY_CHANGES] + [CUT]
    return blocks


def summary(old: Mapping[str, str], new: Mapping[str, str]) -> str:
    """German, plain text: which fields changed, then each change as vorher/nachher paragraphs."""
    keys = changed_fields(old, new)
    if not keys:
        return ""
    labels = dict(FIELDS)
    out = ["Geändert: " + ", ".join(labels[k] for k in keys) + "."]
    for key in keys:
        if key == "body":
            out.extend(body_changes(old.get("body", ""), new.get("body", "")))
            continue
        before = " ".join(_norm(old.get(key, "")).split()) or EMPTY
        after = " ".join(_norm(new.get(key, "")).split()) or EMPTY
        out.append(f"{labels[key]}\nvorher: {before}\nnachher: {after}")
    return "\n\n".join(out).strip()


def _norm(text: str) -> str:
    return "\n".join(line.rstrip() for line in (text or "").replace("\r\n", "\n").split("\n")).strip()
