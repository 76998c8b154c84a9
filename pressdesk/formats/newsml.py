"""IPTC NewsML-G2 2.35: one ``newsItem`` per published version (Power conformance).

The text is XHTML in ``inlineXML``; photos and attachments are ``link``s in ``itemMeta``
(they are resources of their own) and the photos are figures in the XHTML with caption,
credit, rights and alt text, so an ingest that keeps only the body keeps them too.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from pressdesk.formats import common
from pressdesk.formats.body import XHTML, xhtml_body
from pressdesk.releases.presenter import PublicRelease
from pressdesk.text import iso_utc

NAR = "http://iptc.org/std/nar/2006-10-01/"
XML_NS = "http://www.w3.org/XML/1998/namespace"
CATALOG = "http://www.iptc.org/std/catalog/catalog.IPTC-G2-Standards_38.xml"
STANDARD_VERSION = "2.35"


def _el(parent: Any, name: str, text: str | None = None, **attrs: str) -> Any:
    el = etree.SubElement(parent, f"{{{NAR}}}{name}", {k.rstrip("_"): v for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def _name(parent: Any, element: str, label: str, **attrs: str) -> Any:
    el = _el(parent, element, **attrs)
    _el(el, "name", label)
    return el


def item(p: PublicRelease) -> Any:
    """The ``newsItem`` element of one published version."""
    root = etree.Element(f"{{{NAR}}}newsItem", nsmap={None: NAR})
    root.set("guid", common.item_uri(p))
    root.set("version", str(p.version))
    root.set("standard", "NewsML-G2")
    root.set("standardversion", STANDARD_VERSION)
    root.set("conformance", "power")
    root.set(f"{{{XML_NS}}}lang", common.LANGUAGE)
    _el(root, "catalogRef", href=CATALOG)

    rights = _el(root, "rightsInfo")
    _name(rights, "copyrightHolder", common.rights_holder(p), uri=common.office_uri(p))
    _el(rights, "copyrightNotice", common.copyright_notice(p))
    _el(rights, "usageTerms", common.USAGE_TERMS)

    meta = _el(root, "itemMeta")
    _el(meta, "itemClass", qcode="ninat:text")
    _name(meta, "provider", p.office.name, uri=common.office_uri(p))
    _el(meta, "versionCreated", iso_utc(p.updated))
    _el(meta, "firstCreated", iso_utc(p.published))
    if p.embargo_until is not None:
        _el(meta, "embargoed", iso_utc(p.embargo_until))
    _el(meta, "pubStatus", qcode=f"stat:{common.pub_status(p)}")
    _el(meta, "title", p.headline)
    note = common.ed_note(p)
    if note:
        _el(meta, "edNote", note)
    if p.kind == "correction":
        _el(meta, "signal", qcode="sig:correction")
    if p.permalink:
        _el(meta, "link", rel="irel:seeAlso", href=p.permalink, contenttype="text/html")
    canceled = common.withdrawn(p)
    if not canceled:
        for img in p.images:
            for r in img.renditions:
                _el(meta, "link", rel="irel:associatedWith", href=r.url,
                    contenttype=r.content_type, title=f"{img.caption or img.alt} ({r.name})")
        for att in p.attachments:
            _el(meta, "link", rel="irel:associatedWith", href=att.url,
                contenttype=att.content_type, title=att.filename)

    content = _el(root, "contentMeta")
    _el(content, "contentCreated", iso_utc(p.created_at))
    _el(content, "contentModified", iso_utc(p.updated))
    if p.dateline:
        _name(content, "located", p.dateline.split(",")[0].strip())
    _name(content, "infoSource", p.office.name, uri=common.office_uri(p), role="infosrc:originfo")
    if not canceled:
        creator = _name(content, "creator", common.byline(p), role="crol:contact")
        if p.contact.email or p.contact.phone:
            info = _el(creator, "personDetails")
            contact = _el(info, "contactInfo")
            if p.contact.email:
                _el(contact, "email", p.contact.email)
            if p.contact.phone:
                _el(contact, "phone", p.contact.phone)
    if p.reference:
        _el(content, "altId", p.reference, type="idtype:reference")
    _el(content, "language", tag_=common.LANGUAGE)
    if not canceled:
        for t in p.topics:
            _name(content, "subject", t.name, type="cpnat:abstract",
                  uri=common.subject_uri(p.office.slug, "thema", t.slug))
        for g in p.regions:
            _name(content, "subject", g.name, type="cpnat:geoArea",
                  uri=common.subject_uri(p.office.slug, "region", g.slug))
    if p.slug:
        _el(content, "slugline", p.slug)
    _el(content, "headline", p.headline)
    if p.subline:
        _el(content, "headline", p.subline, role="hld:subHeadline")
    if p.dateline:
        _el(content, "dateline", p.dateline)
    if not canceled:
        _el(content, "by", common.byline(p))
        if p.lead:
            _el(content, "description", p.lead, role="drol:summary")

    if not canceled:
        _el(_el(root, "contentSet"), "inlineXML", contenttype="application/xhtml+xml") \
            .append(_xhtml(p))
    return root


def _xhtml(p: PublicRelease) -> Any:
    html = etree.Element(f"{{{XHTML}}}html", nsmap={None: XHTML})
    head = etree.SubElement(html, f"{{{XHTML}}}head")
    etree.SubElement(head, f"{{{XHTML}}}title").text = p.headline
    body = etree.SubElement(html, f"{{{XHTML}}}body")
    etree.SubElement(body, f"{{{XHTML}}}h1").text = p.headline
    if p.subline:
        etree.SubElement(body, f"{{{XHTML}}}h2").text = p.subline
    lead = etree.SubElement(body, f"{{{XHTML}}}p", {"class": "lead"})
    etree.SubElement(lead, f"{{{XHTML}}}strong").text = p.dateline
    if p.lead:
        lead[-1].tail = f" – {p.lead}"
    xhtml_body(body, str(p.body_html))
    for img in p.images:
        fig = etree.SubElement(body, f"{{{XHTML}}}figure")
        etree.SubElement(fig, f"{{{XHTML}}}img", src=img.url, alt=img.alt)
        cap = etree.SubElement(fig, f"{{{XHTML}}}figcaption")
        cap.text = " – ".join(x for x in (img.caption, img.credit, img.rights) if x)
    if p.contact:
        etree.SubElement(body, f"{{{XHTML}}}p", {"class": "contact"}).text = (
            "Pressekontakt: " + common.contact_line(p))
    return html


def document(p: PublicRelease) -> bytes:
    return bytes(etree.tostring(item(p), xml_declaration=True, encoding="UTF-8",
                                pretty_print=True))
