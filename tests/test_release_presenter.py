"""The one presentation of a release: contact rule, public time, files with their real types."""

import dataclasses
import io
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
from PIL import Image

from pressdesk.db import utcnow
from pressdesk.extensions import db
from pressdesk.releases import attachments, images, services
from pressdesk.releases.presenter import PublicRelease, present, present_draft, public_time
from tests.helpers import draft

PDF = (b"%PDF-1.4\n1 0 obj<< /Type /Catalog /Pages 2 0 R >>endobj\n"
       b"2 0 obj<< /Type /Pages /Kids [] /Count 0 >>endobj\ntrailer<< /Root 1 0 R >>\n%%EOF\n")


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (1300, 900), (40, 90, 130)).save(buf, "PNG")
    return buf.getvalue()


def _plain(value: object) -> None:
    """Only plain values inside: no ORM object, at any depth."""
    if dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            _plain(getattr(value, f.name))
    elif isinstance(value, tuple):
        for item in value:
            _plain(item)
    else:
        assert value is None or isinstance(value, (str, int, bool, datetime)), repr(value)


def test_published_version_is_a_frozen_plain_value_with_files_contact_and_urls(app, demo):
    release = draft(contact_name="Anna Eilers", contact_phone="0491 926-1180",
                    contact_email="anna.eilers@landkreis-leer.example")
    images.add_image(release, "karte.png", _png(), "V.l. Anna Eilers", "Foto: LK Leer",
                     "Karte der Radwege", "honorarfrei")
    attachments.add_attachment(release, "Übersicht.pdf", PDF)
    db.session.commit()
    version = services.publish_release(release, None)
    db.commit()
    p = present(version)

    assert isinstance(p, PublicRelease)
    _plain(p)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.headline = "x"  # type: ignore[misc]
    assert p.reference == release.reference and p.reference.startswith("PM ")
    assert p.office.slug == "landkreis-leer" and p.office.name == "Landkreis Leer"
    assert p.dateline.startswith("Leer, ") and p.version == 1 and p.kind == "publish"
    assert p.contact.name == "Anna Eilers" and p.reply_to == "anna.eilers@landkreis-leer.example"
    assert p.permalink.startswith("http") and f"/{release.year}/{release.number}-" in p.permalink
    assert "<strong>Frühjahr</strong>" in p.body_html

    (img,) = p.images
    assert img.content_type == "image/png" and img.extension == "png"
    assert img.original_url.endswith("/original.png") and img.url.endswith("/web.jpg")
    assert [r.extension for r in img.renditions] == ["jpg", "png"]
    (att,) = p.attachments
    assert att.filename == "Übersicht.pdf" and att.content_type == "application/pdf"
    assert att.size_bytes == len(PDF) and att.url.startswith("http")

    client = app.test_client()
    served = client.get(urlsplit(img.original_url).path)
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert client.get(urlsplit(att.url).path).status_code == 200

    mail = services.mail_for(version)
    # The mail links the print original as a download (saved as a file, not shown inline).
    assert mail.images[0].url == f"{img.original_url}?download=1"
    assert mail.images[0].format_label == "PNG"
    assert mail.attachments[0].url == att.url and mail.contact_name == "Anna Eilers"


def test_contact_falls_back_to_the_office_as_a_whole(app, demo):
    release = draft()
    release.contact_name = release.contact_phone = release.contact_email = ""
    db.session.commit()
    p = present_draft(release)
    office = release.office
    assert (p.contact.name, p.contact.phone, p.contact.email) == (
        office.contact_name, office.contact_phone, office.contact_email)
    assert p.draft and p.version_id is None and p.permalink == ""

    release.contact_name = "Anna Eilers"
    db.session.commit()
    p = present_draft(release)
    # The release names its own person: the office's phone is not put under her name.
    assert p.contact.name == "Anna Eilers" and p.contact.phone == ""
    assert p.reply_to == office.contact_email  # replies still reach the press office


def test_public_time_of_an_embargoed_release_is_when_the_embargo_ends(app, demo):
    release = draft()
    embargo = utcnow() + timedelta(hours=2)
    release.embargo_until = embargo
    db.session.commit()
    version = services.publish_release(release, None)
    db.commit()
    p = present(version)
    assert p.published == embargo == public_time(release)
    assert p.updated >= p.published and p.created_at < p.published
    assert p.embargoed_at(p.created_at)
    mail = services.mail_for(version)
    assert mail.embargo_until == embargo and mail.date == version.created_at

    release.went_public_at = embargo + timedelta(seconds=3)  # the beat marked it a bit later
    db.session.commit()
    p = present(version)
    assert p.published == release.went_public_at and p.updated == p.published


def test_public_time_without_embargo_is_the_publish_time(app, demo):
    release = draft()
    version = services.publish_release(release, None)
    db.commit()
    p = present(version)
    assert p.published == release.published_at == version.created_at == p.updated
