"""IPTC ninjs (News in JSON) 3.1, the current version, and 2.2, which Superdesk reads.

One builder writes the 3.x property names (camelCase); 2.x differs in spelling only for what
we use (lower case; ``embargoedUntil`` is ``embargoed``), so 2.2 is a renaming of the 3.1
document. The canonical 3.1 document is what :mod:`pressdesk.formats.signing` signs.
"""

from __future__ import annotations

from typing import Any

from pressdesk.formats import common
from pressdesk.formats.body import plain_text
from pressdesk.releases.presenter import PublicRelease
from pressdesk.text import iso_utc

VERSIONS = ("3.1", "2.2")
SCHEMAS = {"3.1": "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json",
           "2.2": "http://www.iptc.org/std/ninjs/ninjs-schema_2.2.json"}
# 3.x names that are spelled differently in 2.x (everything else is lower-cased).
_RENAMED_2X = {"embargoedUntil": "embargoed"}


def document(p: PublicRelease, version: str = "3.1") -> dict[str, Any]:
    """The ninjs document of one published version."""
    doc = _v3(p)
    if version.startswith("3"):
        return doc
    old: dict[str, Any] = _to_2x(doc, version)
    for assoc in old.get("associations", []):
        assoc.pop("rel", None)  # 2.x associations have a name only
    return old


def _v3(p: PublicRelease) -> dict[str, Any]:
    canceled = common.withdrawn(p)
    doc: dict[str, Any] = {
        "uri": common.item_uri(p),
        "type": "text",
        "representationType": "full",
        "version": str(p.version),
        "firstCreated": iso_utc(p.published),
        "versionCreated": iso_utc(p.updated),
        "pubStatus": common.pub_status(p),
        "language": common.LANGUAGE,
        "copyrightHolder": common.rights_holder(p),
        "copyrightNotice": common.copyright_notice(p),
        "usageTerms": common.USAGE_TERMS,
        "headlines": [{"role": "main", "value": p.headline}],
        "infoSources": [{"name": p.office.name, "role": "originator",
                         "uri": common.office_uri(p), "literal": p.office.slug}],
        "altIds": [{"role": "reference", "value": p.reference},
                   {"role": "permalink", "value": p.permalink}],
        "title": p.slug,
        "standard": {"name": "ninjs", "version": "3.1", "schema": SCHEMAS["3.1"]},
    }
    if p.embargo_until is not None:
        doc["embargoedUntil"] = iso_utc(p.embargo_until)
    note = common.ed_note(p)
    if note:
        doc["edNote"] = note
    if p.subline:
        doc["headlines"].append({"role": "subheadline", "value": p.subline})
    if p.dateline:  # the place of the dateline ("Leer, 23.11.2026")
        doc["located"] = p.dateline.split(",")[0].strip()
    if canceled:  # what stays of a withdrawn item: who, what, that it must not be used
        return doc
    doc["by"] = common.byline(p)
    if p.lead:
        doc["descriptions"] = [{"role": "summary", "contentType": "text/plain",
                                "value": p.lead}]
    text = plain_text(str(p.body_html))
    doc["bodies"] = [
        {"role": "main", "contentType": "text/html", "value": str(p.body_html),
         "charCount": len(text), "wordCount": len(text.split())},
        {"role": "main", "contentType": "text/plain", "value": text},
    ]
    if p.contact:
        info = [{"type": t, "value": v}
                for t, v in (("phone", p.contact.phone), ("email", p.contact.email)) if v]
        person: dict[str, Any] = {"name": p.contact.name or p.office.name, "rel": "contact"}
        if info:
            person["contactInfo"] = info
        doc["people"] = [person]
    subjects = ([{"name": t.name, "rel": "topic", "literal": t.slug,
                  "uri": common.subject_uri(p.office.slug, "thema", t.slug)} for t in p.topics]
                + [{"name": g.name, "rel": "region", "literal": g.slug,
                    "uri": common.subject_uri(p.office.slug, "region", g.slug)}
                   for g in p.regions])
    if subjects:
        doc["subjects"] = subjects
    if p.permalink:
        doc["renditions"] = [{"name": "html", "href": p.permalink, "contentType": "text/html"}]
    assoc = [_picture(p, i) for i in p.images] + [_attachment(p, a) for a in p.attachments]
    if assoc:
        doc["associations"] = assoc
    return doc


def _picture(p: PublicRelease, img: Any) -> dict[str, Any]:
    pic: dict[str, Any] = {
        "name": f"picture{img.position + 1}", "rel": "picture",
        "uri": common.image_uri(p, img.id), "type": "picture",
        "headlines": [{"role": "main", "value": img.caption or img.alt}],
        "descriptions": [{"role": "caption", "contentType": "text/plain",
                          "value": img.caption},
                         {"role": "alt", "contentType": "text/plain", "value": img.alt}],
        "by": img.credit, "copyrightHolder": img.credit or p.office.name,
        "copyrightNotice": img.credit or common.copyright_notice(p),
        "usageTerms": img.rights or common.USAGE_TERMS,
        "renditions": [
            {"name": r.name, "href": r.url, "contentType": r.content_type,
             **({"width": img.width, "height": img.height, "sizeInBytes": img.size_bytes}
                if r.name == "original" else {})}
            for r in img.renditions],
    }
    pic["descriptions"] = [d for d in pic["descriptions"] if d["value"]]
    if not pic["by"]:
        del pic["by"]
    return pic


def _attachment(p: PublicRelease, att: Any) -> dict[str, Any]:
    return {"name": f"attachment-{att.id}", "rel": "attachment",
            "uri": common.attachment_uri(p, att.id), "type": "component",
            "title": att.filename,
            "renditions": [{"name": "original", "href": att.url, "title": att.filename,
                            "contentType": att.content_type, "sizeInBytes": att.size_bytes}]}


def _to_2x(value: Any, version: str) -> Any:
    if isinstance(value, list):
        return [_to_2x(v, version) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for k, v in value.items():
        key = _RENAMED_2X.get(k, k.lower())
        if k == "standard":
            v = {"name": "ninjs", "version": version, "schema": SCHEMAS[version]}
        out[key] = _to_2x(v, version) if k != "standard" else v
    return out
