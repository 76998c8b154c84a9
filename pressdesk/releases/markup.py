"""Release bodies: Markdown (tables allowed) rendered to HTML and cleaned by nh3.

Nothing from a body reaches a page or an email without passing :func:`render_markdown`.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    "table"
)

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "u", "a", "ul", "ol", "li", "blockquote", "h2", "h3",
    "h4", "table", "thead", "tbody", "tr", "th", "td", "hr", "code", "pre", "sup", "sub",
}
ALLOWED_ATTRS = {"a": {"href", "title"}}
# A table column's Markdown alignment (``| ---: |``) as a class: pages allow no inline style
# (CSP), the stylesheet aligns ``.align-*``; the newspaper mail turns it into an inline style.
ALIGNMENTS = ("left", "right", "center")
ALLOWED_CLASSES = {tag: {f"align-{a}" for a in ALIGNMENTS} for tag in ("th", "td")}
_ALIGNED_CELL = re.compile(r'<(th|td) style="text-align:(left|right|center)">')


def sanitise_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRS,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
    )


def render_markdown(text: str) -> Markup:
    html = _ALIGNED_CELL.sub(r'<\1 class="align-\2">', _md.render(text or ""))
    return Markup(sanitise_html(html))  # noqa: S704 - cleaned by nh3 above


_TAG = re.compile(r"<[^>]+>")


def plain_text(text: str) -> str:
    """The body as plain text for the text/plain part: Markdown is readable as it is,
    minus emphasis markers and raw tags; tables become aligned columns."""
    lines = (text or "").replace("\r\n", "\n").split("\n")
    parts: list[str] = []
    at = 0
    for start, end, table in _tables(lines):
        parts.append(_plain("\n".join(lines[at:start])))
        parts.append(table)
        at = end
    parts.append(_plain("\n".join(lines[at:])))
    return "\n\n".join(p for p in parts if p)


def _plain(text: str) -> str:
    out = _TAG.sub("", text or "")
    out = re.sub(r"(\*\*|__)(.+?)\1", r"\2", out)
    out = re.sub(r"\[([^\]]+)\]\((\S+?)\)", r"\1 <\2>", out)
    out = re.sub(r"^#{1,6}\s*(.+?)\s*#*$", lambda m: m.group(1).upper(), out, flags=re.M)
    out = re.sub(r"\n{3,}", "\n\n", out)
    return out.strip()


def _tables(lines: list[str]) -> list[tuple[int, int, str]]:
    """Each Markdown table of the body: its line range and its rendering as aligned text."""
    tokens = _md.parse("\n".join(lines))
    found: list[tuple[int, int, str]] = []
    for i, tok in enumerate(tokens):
        if tok.type != "table_open" or tok.map is None or tok.level != 0:
            continue
        rows: list[list[str]] = []
        aligns: list[str] = []
        for t in tokens[i + 1:]:
            if t.type == "table_close":
                break
            if t.type == "tr_open":
                rows.append([])
            elif t.type in ("th_open", "td_open"):
                style = str(t.attrGet("style") or "")
                if not rows[1:]:
                    aligns.append(style.removeprefix("text-align:") or "left")
            elif t.type == "inline" and rows:
                rows[-1].append(" ".join(_plain(t.content).split()))
        found.append((tok.map[0], tok.map[1], _text_table(rows, aligns)))
    return found


def _text_table(rows: list[list[str]], aligns: list[str]) -> str:
    """Rows as columns padded to width, the header underlined; Markdown alignment kept."""
    n = max((len(r) for r in rows), default=0)
    rows = [r + [""] * (n - len(r)) for r in rows]
    widths = [max(len(r[c]) for r in rows) for c in range(n)]

    def line(cells: list[str]) -> str:
        out = []
        for c, cell in enumerate(cells):
            how = aligns[c] if c < len(aligns) else "left"
            out.append(cell.rjust(widths[c]) if how == "right"
                       else cell.center(widths[c]) if how == "center" else cell.ljust(widths[c]))
        return "  ".join(out).rstrip()

    lines = [line(r) for r in rows]
    if lines:
        lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
