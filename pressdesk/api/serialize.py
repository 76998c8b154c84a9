"""Pure functions turning models into the API's JSON shapes (documented in openapi.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pressdesk.offices.models import Office
from pressdesk.releases.markup import render_markdown
from pressdesk.releases.models import Release
from pressdesk.releases.services import image_url, permalink
from pressdesk.text import iso_utc
from pressdesk.urls import external_url


def iso(dt: datetime | None) -> str | None:
    return iso_utc(dt) if dt else None


def office(o: Office) -> dict[str, Any]:
    return {
        "id": o.slug, "name": o.name, "description": o.description,
        "contact": {"name": o.contact_name, "phone": o.contact_phone, "email": o.contact_email},
        "imprint": o.imprint,
        "links": {
            "self": external_url("api.office", slug=o.slug),
            "html": external_url("portal.office", office_slug=o.slug),
            "releases": external_url("api.releases", office=o.slug),
            "rss": external_url("feeds.office_feed", office_slug=o.slug, fmt="rss"),
            "atom": external_url("feeds.office_feed", office_slug=o.slug, fmt="atom"),
            "embed": external_url("portal.embed", office_slug=o.slug),
        },
    }


def release_summary(r: Release) -> dict[str, Any]:
    v = r.versions[-1]
    return {
        "id": r.public_id, "reference": r.reference,
        "office": {"id": r.office.slug, "name": r.office.name},
        "headline": v.headline, "subline": v.subline, "dateline": v.dateline, "lead": v.lead,
        "published_at": iso(r.published_at), "updated_at": iso(v.created_at),
        "version": v.version,
        "topics": [{"id": t.slug, "name": t.name} for t in r.topics],
        "regions": [{"id": g.slug, "name": g.name} for g in r.regions],
        "links": {"self": external_url("api.release", public_id=r.public_id),
                  "html": permalink(r)},
    }


def release(r: Release) -> dict[str, Any]:
    v = r.versions[-1]
    data = release_summary(r)
    data.update({
        "body_markdown": v.body,
        "body_html": str(render_markdown(v.body)),
        "images": [{
            "id": i.public_id, "caption": i.caption, "credit": i.credit, "alt": i.alt,
            "rights": i.rights, "width": i.width, "height": i.height,
            "url": image_url(i.public_id, "web"), "original_url": image_url(i.public_id, "original"),
        } for i in r.images],
        # Filled once the desk branch's attachment model is merged; always a list.
        "attachments": [],
        "contact": {"name": r.office.contact_name, "phone": r.office.contact_phone,
                    "email": r.office.contact_email},
        "versions": [{"version": x.version, "kind": x.kind, "headline": x.headline,
                      "created_at": iso(x.created_at)} for x in r.versions],
    })
    return data
