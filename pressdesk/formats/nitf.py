"""NITF 3.6 (News Industry Text Format): one document per published version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lxml import etree

from pressdesk.formats import common
from pressdesk.formats.body import nitf_blocks
from pressdesk.releases.presenter import PublicRelease

NS = "http://iptc.org/std/NITF/2006-10-18/"


def _el(parent: Any, tag: str, text: str | None = None, **attrs: str) -> Any:
    # Keyword names: "__" is NITF's "." and "_" its "-" (tobject__type -> tobject.type).
    el = etree.SubElement(parent, f"{{{NS}}}{tag}", {
        k.rstrip("_").replace("__", ".").replace("_", "-"): v for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def _norm(value: datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%SZ")  # NITF's ISO 8601 basic form


def tree(p: PublicRelease) -> Any:
    root = etree.Element(f"{{{NS}}}nitf", nsmap={None: NS})
    root.set("version", "-//IPTC//DTD NITF 3.6//EN")
    canceled = common.withdrawn(p)

    head = _el(root, "head")
    _el(head, "title", p.headline)
    # The office's own vocabularies (tobject.subject is for IPTC subject codes only).
    for t in () if canceled else p.topics:
        _el(head, "meta", name="pressdesk-topic",
            content=common.subject_uri(p.office.slug, "thema", t.slug))
    for g in () if canceled else p.regions:
        _el(head, "meta", name="pressdesk-region",
            content=common.subject_uri(p.office.slug, "region", g.slug))
    _el(head, "tobject", tobject__type="news")
    docdata = _el(head, "docdata", management_status="canceled" if canceled else "usable")
    _el(docdata, "doc-id", id_string=common.item_uri(p), regsrc=common.host())
    if note := common.ed_note(p):
        _el(docdata, "ed-msg", info=note, msg_type="correction" if p.kind == "correction"
            else "withdrawal" if canceled else "note")
    if p.embargo_until is not None:
        _el(docdata, "date.release", norm=_norm(p.embargo_until))
    _el(docdata, "date.issue", norm=_norm(p.published))
    _el(docdata, "du-key", version=str(p.version), key=p.id)
    _el(docdata, "doc.copyright", year=str(p.published.year), holder=p.office.name)
    _el(docdata, "doc.rights", owner=p.office.name, agent=p.office.name,
        type="text", limitations=common.USAGE_TERMS)
    if not canceled and (p.topics or p.regions):
        keys = _el(docdata, "key-list")
        for named in (*p.topics, *p.regions):
            _el(keys, "keyword", key=named.name)
    _el(head, "pubdata", type="web", position__section=p.office.name,
        ex_ref=p.permalink or common.office_uri(p))
    body = _el(root, "body")
    bhead = _el(body, "body.head")
    hedline = _el(bhead, "hedline")
    _el(hedline, "hl1", p.headline)
    if p.subline:
        _el(hedline, "hl2", p.subline)
    if note:
        _el(_el(bhead, "note", noteclass="editorsnote"), "body.content").append(_p(note))
    if not canceled:
        _el(bhead, "byline", common.byline(p))
    _el(bhead, "distributor", p.office.name)
    dl = _el(bhead, "dateline")
    _el(dl, "location", p.dateline.split(",")[0].strip() if p.dateline else "")
    if not canceled and p.lead:
        _el(bhead, "abstract").append(_p(p.lead))
    content = _el(body, "body.content")
    if not canceled:
        if p.lead:
            para = _el(content, "p", lede="true")
            _el(para, "em", p.dateline, class_="bold").tail = f" – {p.lead}"
        nitf_blocks(content, str(p.body_html), NS)
        for img in p.images:
            media = _el(content, "media", media_type="image")
            _el(media, "media-reference", source=img.original_url, mime_type=img.content_type,
                alternate_text=img.alt, height=str(img.height), width=str(img.width))
            if img.caption:
                _el(media, "media-caption").append(_p(img.caption))
            if img.credit:
                _el(media, "media-producer", img.credit)
        for att in p.attachments:
            para = _el(content, "p")
            _el(para, "a", att.filename, href=att.url)
    end = _el(body, "body.end")
    tagline = _el(end, "tagline")
    tagline.text = ("Pressekontakt: " + common.contact_line(p)) if p.contact else p.office.name
    return root


def _p(text: str) -> Any:
    el = etree.Element(f"{{{NS}}}p")
    el.text = text
    return el


def document(p: PublicRelease) -> bytes:
    return bytes(etree.tostring(tree(p), xml_declaration=True, encoding="UTF-8",
                                pretty_print=True))
