"""The release body (the presenter's sanitised HTML) as XML elements: XHTML for NewsML-G2's
``inlineXML`` and NITF's block elements. Built with lxml, element by element, so whatever the
text holds ends up as text, never as markup."""

from __future__ import annotations

from typing import Any

from lxml import etree, html

XHTML = "http://www.w3.org/1999/xhtml"

# The sanitiser's tags (releases.markup.ALLOWED_TAGS) in NITF 3.6: (element, attributes).
# Tags missing here (u, code, sup, sub, thead, tbody, ...) keep their text and lose the tag.
_NITF_BLOCK = {"p": "p", "h2": "hl2", "h3": "hl2", "h4": "hl2", "ul": "ul", "ol": "ol",
               "blockquote": "bq", "pre": "pre", "hr": "hr", "table": "table"}
_NITF_INLINE = {"strong": ("em", {"class": "bold"}), "b": ("em", {"class": "bold"}),
                "em": ("em", {"class": "italic"}), "i": ("em", {"class": "italic"}),
                "a": ("a", {}), "br": ("br", {})}


def fragments(body_html: str) -> list[Any]:
    """The body's top-level nodes (elements; bare text wrapped in a paragraph)."""
    if not body_html.strip():
        return []
    nodes = html.fragments_fromstring(body_html)
    out: list[Any] = []
    for node in nodes:
        if isinstance(node, str):
            if node.strip():
                p = html.Element("p")
                p.text = node
                out.append(p)
        else:
            out.append(node)
    return out


def _copy_xhtml(src: Any, parent: Any) -> None:
    el = etree.SubElement(parent, f"{{{XHTML}}}{src.tag}")
    for k, v in src.attrib.items():
        if k in ("href", "title", "align"):
            el.set(k, v)
    el.text = src.text
    for child in src:
        if isinstance(child.tag, str):
            _copy_xhtml(child, el)
            el[-1].tail = child.tail
        elif child.tail:  # a comment: keep the text after it
            _append_text(el, child.tail)


def _append_text(el: Any, text: str | None) -> None:
    if not text:
        return
    if len(el):
        el[-1].tail = (el[-1].tail or "") + text
    else:
        el.text = (el.text or "") + text


def xhtml_body(parent: Any, body_html: str) -> None:
    """Append the body as XHTML elements to ``parent`` (an XHTML ``body``)."""
    for node in fragments(body_html):
        _copy_xhtml(node, parent)


def _nitf_inline(src: Any, parent: Any, ns: str) -> None:
    """Copy ``src``'s content into ``parent`` as NITF enriched text."""
    _append_text(parent, src.text)
    for child in src:
        if not isinstance(child.tag, str):
            _append_text(parent, child.tail)
            continue
        mapped = _NITF_INLINE.get(child.tag)
        if mapped is None:
            _nitf_inline(child, parent, ns)  # unwrap: keep the text
        else:
            el = etree.SubElement(parent, f"{{{ns}}}{mapped[0]}", mapped[1])
            if child.tag == "a" and child.get("href"):
                el.set("href", child.get("href"))
            if child.tag != "br":
                _nitf_inline(child, el, ns)
        _append_text(parent, child.tail)


def _text_of(src: Any) -> str:
    return " ".join("".join(src.itertext()).split())


def nitf_blocks(parent: Any, body_html: str, ns: str) -> None:
    """Append the body as NITF block content (``p``, ``hl2``, ``ul``/``ol``, ``bq``, ...)."""
    for node in fragments(body_html):
        _nitf_block(node, parent, ns)


def _nitf_block(node: Any, parent: Any, ns: str) -> None:
    tag = _NITF_BLOCK.get(node.tag)
    if tag in ("ul", "ol"):
        lst = etree.SubElement(parent, f"{{{ns}}}{tag}")
        for li in node.iter("li"):
            _nitf_inline(li, etree.SubElement(lst, f"{{{ns}}}li"), ns)
        if not len(lst):
            parent.remove(lst)
    elif tag == "hr":
        etree.SubElement(parent, f"{{{ns}}}hr")
    elif tag == "bq":
        bq = etree.SubElement(parent, f"{{{ns}}}bq")
        block = etree.SubElement(bq, f"{{{ns}}}block")
        inner = [c for c in node if isinstance(c.tag, str)]
        if inner and all(c.tag in _NITF_BLOCK for c in inner):
            for c in inner:
                _nitf_block(c, block, ns)
        else:
            _nitf_inline(node, etree.SubElement(block, f"{{{ns}}}p"), ns)
    elif tag == "table":  # one paragraph per row: tables are rare in releases
        for tr in node.iter("tr"):
            cells = [_text_of(c) for c in tr if isinstance(c.tag, str)]
            etree.SubElement(parent, f"{{{ns}}}p").text = " | ".join(cells)
    elif tag == "pre":
        etree.SubElement(parent, f"{{{ns}}}pre").text = "".join(node.itertext())
    elif tag in ("p", "hl2"):
        _nitf_inline(node, etree.SubElement(parent, f"{{{ns}}}{tag}"), ns)
    else:
        _nitf_inline(node, etree.SubElement(parent, f"{{{ns}}}p"), ns)


def plain_text(body_html: str) -> str:
    """The body as plain text, one paragraph a line."""
    return "\n".join(_text_of(n) for n in fragments(body_html))
