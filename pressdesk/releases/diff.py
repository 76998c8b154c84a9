"""What changed between two texts of a release: a readable summary for the "Korrektur:" email.

Pure functions over plain mappings, so they are easy to test and never touch the database.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

# The fields a correction can change, in reading order, with the names editors know.
FIELDS = (("headline", "Überschrift"), ("subline", "Unterzeile"), ("dateline", "Ortszeile"),
          ("lead", "Vorspann"), ("body", "Text"))
MAX_DIFF_LINES = 120


def changed_fields(old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
    """The keys whose text differs (ignoring trailing whitespace and line-end style)."""
    return [key for key, _label in FIELDS if _norm(old.get(key, "")) != _norm(new.get(key, ""))]


def body_diff(old: str, new: str) -> str:
    """A unified diff of the body, paragraph lines only (no file headers), capped in length."""
    lines = list(difflib.unified_diff(_norm(old).splitlines(), _norm(new).splitlines(),
                                      lineterm="", n=1))
    lines = [ln for ln in lines if not ln.startswith(("---", "+++"))]
    if len(lines) > MAX_DIFF_LINES:
        lines = lines[:MAX_DIFF_LINES] + ["[… weitere Änderungen gekürzt]"]
    return "\n".join(lines)


def summary(old: Mapping[str, str], new: Mapping[str, str]) -> str:
    """German, plain text: which fields changed, short fields as before/after, the body as a diff."""
    keys = changed_fields(old, new)
    if not keys:
        return ""
    labels = dict(FIELDS)
    out = ["Geändert: " + ", ".join(labels[k] for k in keys) + "."]
    for key in keys:
        if key == "body":
            continue
        out.append(f"\n{labels[key]} bisher: {_norm(old.get(key, '')) or '(leer)'}")
        out.append(f"{labels[key]} neu: {_norm(new.get(key, '')) or '(leer)'}")
    if "body" in keys:
        out.append("\nÄnderungen im Text (- entfernt, + neu):")
        out.append(body_diff(old.get("body", ""), new.get("body", "")))
    return "\n".join(out).strip()


def _norm(text: str) -> str:
    return "\n".join(line.rstrip() for line in (text or "").replace("\r\n", "\n").split("\n")).strip()
