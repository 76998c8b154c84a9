"""Releases for the format and authenticity tests: with a photo, an attachment, a Sperrfrist
that has ended, a correction and a withdrawal, built through the real services."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image

from pressdesk.accounts.services import find_user
from pressdesk.extensions import db
from pressdesk.releases import services, workflow
from pressdesk.releases.attachments import add_attachment
from pressdesk.releases.images import add_image
from pressdesk.releases.models import Region, Release, Topic
from tests.helpers import PUBLISHER, draft, office

DATA = Path(__file__).parent / "data" / "iptc"
PDF = (b"%PDF-1.4\n1 0 obj<< /Type /Catalog /Pages 2 0 R >>endobj\n"
       b"2 0 obj<< /Type /Pages /Kids [] /Count 0 >>endobj\ntrailer<< /Root 1 0 R >>\n%%EOF\n")
BODY = ("Der Kreistag hat am Montag den Ausbau von **12 Kilometern** Radwegen beschlossen.\n\n"
        "Die Kosten liegen bei *1,2 Millionen Euro*.\n\n- Bunde\n- Weener\n\n"
        "> Ein guter Tag für das Rheiderland.\n\nMehr unter [der Website](https://example.org).")


def jpeg(size: tuple[int, int] = (1800, 1200)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (40, 90, 130)).save(buf, "JPEG")
    return buf.getvalue()


def published(headline: str = "Neue Radwege im Rheiderland", embargo: bool = True,
              **fields: Any) -> Release:
    """A release with photo, attachment, topic and region, contact, published under a
    Sperrfrist that has ended since."""
    r = draft(headline=headline, body=fields.pop("body", BODY), **fields)
    r.contact_name, r.contact_phone, r.contact_email = (
        "Anna Eilers", "0491 926-1180", "anna.eilers@landkreis-leer.example")
    leer = office("landkreis-leer")
    topic = Topic(office_id=leer.id, slug="verkehr", name="Verkehr")
    region = Region(office_id=leer.id, slug="rheiderland", name="Rheiderland")
    db.session.add_all([topic, region])
    r.topics.append(topic)
    r.regions.append(region)
    add_image(r, "radweg.jpg", jpeg(), "Der neue Radweg bei Bunde", "Foto: Landkreis Leer",
              "Ein asphaltierter Radweg zwischen Feldern", "Abdruck honorarfrei")
    add_attachment(r, "Lageplan.pdf", PDF)
    if embargo:
        r.embargo_until = datetime.now(UTC) + timedelta(hours=1)
    db.session.commit()
    services.publish_release(r, None)
    db.session.commit()
    if embargo:  # the Sperrfrist ended a minute ago
        now = datetime.now(UTC)
        r.published_at = now - timedelta(hours=2)
        r.embargo_until = now - timedelta(minutes=1)
        workflow.end_embargoes()
        db.session.commit()
    return r


def corrected(r: Release, body: str | None = None) -> Release:
    data = {"headline": r.headline, "subline": r.subline, "dateline_place": r.dateline_place,
            "lead": r.lead, "body": body or r.body.replace("12 Kilometern", "14 Kilometern"),
            "contact_name": r.contact_name, "contact_phone": r.contact_phone,
            "contact_email": r.contact_email}
    workflow.correct(r, find_user(PUBLISHER), data)
    db.session.commit()
    return r


def withdrawn(r: Release) -> Release:
    workflow.withdraw(r, find_user(PUBLISHER), "Falsche Zahlen")
    db.session.commit()
    return r


def permalink_path(r: Release) -> str:
    return f"/presse/{r.office.slug}/{r.year}/{r.number}-{r.slug}"
