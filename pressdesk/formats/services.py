"""Which versions the formats may show, and the documents themselves."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Response, request
from sqlalchemy import ColumnElement, and_, or_, select

from pressdesk.extensions import db
from pressdesk.formats import jws, keys, newsml, ninjs, nitf
from pressdesk.offices.models import Office
from pressdesk.portal.services import visible
from pressdesk.releases.models import Release, ReleaseStatus, ReleaseVersion
from pressdesk.releases.presenter import PublicRelease, present
from pressdesk.urls import external_url

# name -> (media type, file name beside the permalink)
FORMATS = {
    "ninjs": ("application/json", "ninjs.json"),
    "ninjs-2.2": ("application/json", "ninjs-2.2.json"),
    "newsml": ("application/vnd.iptc.g2.newsitem+xml", "newsml.xml"),
    "nitf": ("application/vnd.iptc.nitf+xml", "nitf.xml"),
    # the detached JWS over the canonical ninjs 3.1 document, and both in one file
    "jws": ("application/jose", "ninjs.jws"),
    "signed": ("application/json", "signed.json"),
}


def servable() -> ColumnElement[bool]:
    """What the formats serve: what the portal shows (published, Sperrfrist over), and a
    withdrawn release that had been public, as the cancellation item (pubStatus canceled)
    an ingest system needs to take it down."""
    return or_(visible(), and_(Release.status == ReleaseStatus.WITHDRAWN.value,
                               Release.went_public_at.is_not(None)))


def find(office_slug: str, year: int, number: int) -> Release | None:
    return db.session.scalar(
        select(Release).join(Office, Release.office_id == Office.id)
        .where(Office.slug == office_slug, Release.year == year, Release.number == number,
               servable()))


def by_public_id(public_id: str) -> Release | None:
    return db.session.scalar(select(Release).where(Release.public_id == public_id,
                                                   servable()))


def version_of(release: Release, number: int | None) -> ReleaseVersion | None:
    if number is None:
        return release.versions[-1]
    return next((v for v in release.versions if v.version == number), None)


def presented(version: ReleaseVersion) -> PublicRelease:
    return present(version)


def render(p: PublicRelease, fmt: str) -> bytes:
    if fmt == "ninjs":
        return json_bytes(ninjs.document(p, "3.1"))
    if fmt == "ninjs-2.2":
        return json_bytes(ninjs.document(p, "2.2"))
    if fmt == "newsml":
        return newsml.document(p)
    if fmt == "nitf":
        return nitf.document(p)
    if fmt == "jws":
        return signature(p).encode("ascii")
    if fmt == "signed":
        doc = ninjs.document(p, "3.1")
        return json_bytes({"ninjs": doc, "signature": signature(p, doc),
                           "keys": external_url("formats.keys")})
    raise KeyError(fmt)


def signature(p: PublicRelease, doc: dict[str, Any] | None = None) -> str:
    """The detached JWS of the version's canonical ninjs 3.1 document, with the office's key.
    Ed25519 is deterministic: the same version signed with the same key gives the same
    signature, so nothing needs storing."""
    key = keys.current(p.office.slug)
    return jws.sign(doc if doc is not None else ninjs.document(p, "3.1"), key.private, key.kid)


def response(p: PublicRelease, fmt: str) -> Response:
    """The document of ``fmt`` as an answer (media type, a minute of caching)."""
    body = render(p, fmt)
    resp = Response(body, mimetype=FORMATS[fmt][0])
    resp.headers["Cache-Control"] = "public, max-age=60"
    resp.set_etag(hashlib.sha256(body).hexdigest()[:32])  # pollers get 304 until it changes
    if fmt == "ninjs":  # the signature travels along; the same is at ninjs.jws
        resp.headers["X-Pressdesk-Signature"] = signature(p)
    resp.make_conditional(request)
    return resp


def links(p: PublicRelease) -> dict[str, str]:
    """The stable URLs of the formats of ``p``'s release (current version), by format."""
    if p.number is None:
        return {}
    return {fmt: external_url(endpoint(fmt), office_slug=p.office.slug, year=p.year,
                              number=p.number, slug=p.slug) for fmt in FORMATS}


def feed_alternates(p: PublicRelease) -> tuple[tuple[str, str], ...]:
    """(media type, URL) of the ninjs and NewsML-G2 items, for an Atom entry's links: an
    ingest service polls the office's Atom feed (ETag/304) and fetches the items."""
    found = links(p)
    return tuple((FORMATS[fmt][0], found[fmt]) for fmt in ("ninjs", "newsml") if fmt in found)


def endpoint(fmt: str, versioned: bool = False) -> str:
    name = fmt.replace(".", "_").replace("-", "_")
    return f"formats.{'version' if versioned else 'item'}_{name}"


def json_bytes(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=2).encode()
