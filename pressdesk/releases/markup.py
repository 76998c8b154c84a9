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
ALLOWED_ATTRS = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


def sanitise_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRS,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
    )


def render_markdown(text: str) -> Markup:
    return Markup(sanitise_html(_md.render(text or "")))  # noqa: S704 - cleaned by nh3 above


_TAG = re.compile(r"<[^>]+>")


def plain_text(text: str) -> str:
    """The body as plain text for the text/plain part: Markdown is readable as it is,
    minus emphasis markers and raw tags."""
    out = _TAG.sub("", text or "")
    out = re.sub(r"(\*\*|__)(.+?)\1", r"\2", out)
    out = re.sub(r"\[([^\]]+)\]\((\S+?)\)", r"\1 <\2>", out)
    out = re.sub(r"^#{1,6}\s*(.+?)\s*#*$", lambda m: m.group(1).upper(), out, flags=re.M)
    out = re.sub(r"\n{3,}", "\n\n", out)
    return out.strip()
