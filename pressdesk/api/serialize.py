"""Pure functions turning the presenter's values into the API's JSON shapes (see openapi.py).

Releases are read only through ``releases.presenter.present``: the contact rule, the public
time, the image and attachment lists and their URLs are the same as in mail, portal and feeds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pressdesk.invitations.values import PublicAppointment
from pressdesk.offices.models import Office
from pressdesk.releases.presenter import PublicRelease
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
            "json_feed": external_url("feeds.office_feed", office_slug=o.slug, fmt="json"),
            "embed": external_url("portal.embed", office_slug=o.slug),
        },
    }


def release_summary(p: PublicRelease) -> dict[str, Any]:
    return {
        "id": p.id, "reference": p.reference,
        "office": {"id": p.office.slug, "name": p.office.name},
        "headline": p.headline, "subline": p.subline, "dateline": p.dateline, "lead": p.lead,
        # The public time (after a Sperrfrist: its end), as on the portal and in the feeds.
        "published_at": iso(p.published), "updated_at": iso(p.updated),
        "version": p.version,
        "topics": [{"id": t.slug, "name": t.name} for t in p.topics],
        "regions": [{"id": g.slug, "name": g.name} for g in p.regions],
        "links": {"self": external_url("api.release", public_id=p.id), "html": p.permalink},
    }


def release(p: PublicRelease) -> dict[str, Any]:
    data = release_summary(p)
    data.update({
        "body_markdown": p.body_markdown,
        "body_html": str(p.body_html),
        "images": [{
            "id": i.id, "caption": i.caption, "credit": i.credit, "alt": i.alt,
            "rights": i.rights, "width": i.width, "height": i.height,
            "content_type": i.content_type, "url": i.url, "original_url": i.original_url,
        } for i in p.images],
        "attachments": [{
            "id": a.id, "name": a.filename, "content_type": a.content_type,
            "size": a.size_bytes, "url": a.url,
        } for a in p.attachments],
        "contact": {"name": p.contact.name, "phone": p.contact.phone, "email": p.contact.email},
        "versions": [{"version": x.version, "kind": x.kind, "headline": x.headline,
                      "created_at": iso(x.created_at)} for x in p.history],
        "appointment": appointment(p.appointment),
    })
    return data


def appointment(a: PublicAppointment | None) -> dict[str, Any] | None:
    if a is None:
        return None
    return {
        "id": a.id, "uid": a.uid, "sequence": a.sequence, "title": a.title,
        "office": {"id": a.office_slug, "name": a.office_name},
        "starts_at": iso(a.starts_at), "ends_at": iso(a.ends_at),
        "place": {"name": a.place_name, "address": a.address,
                  "latitude": a.latitude, "longitude": a.longitude},
        "programme": a.programme,
        "accreditation": {"required": a.accreditation_required,
                          "until": iso(a.accreditation_until)},
        "access_notes": a.access_notes,
        "contact_on_the_day": {"name": a.day_contact_name, "phone": a.day_contact_phone},
        "rsvp_until": iso(a.rsvp_until), "cancelled": a.cancelled,
        "links": {"self": external_url("api.appointment", public_id=a.id),
                  "html": a.permalink, "ical": a.calendar_url},
    }
