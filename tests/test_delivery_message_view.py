"""The message view of the delivery report: what an outlet received, decoded (headers, text
part, HTML part in a sandboxed frame), with the raw source one click away."""

from __future__ import annotations

import re

from sqlalchemy import select

from pressdesk.delivery.models import Delivery, Kind
from pressdesk.extensions import db
from pressdesk.releases import services
from pressdesk.releases.images import add_image
from tests.formats_support import corrected, jpeg
from tests.helpers import EDITOR, draft, logged_in

EMSLAND = "redaktion.emsland@pressdesk.example"
HEADLINE = "Größere Förderung für Bürgerbüros"


def _row(version_id: int) -> Delivery:
    row = db.session.scalars(select(Delivery).where(
        Delivery.version_id == version_id, Delivery.kind == Kind.OUTLET.value
    ).order_by(Delivery.id)).first()
    assert row is not None
    return row


def _correction_row() -> Delivery:
    release = draft(headline=HEADLINE, body="Die Förderung beträgt **12.000 €**.")
    add_image(release, "buero.jpg", jpeg((1200, 800)), "Das Bürgerbüro in Leer",
              "Foto: Landkreis Leer", "Ein Schalter mit Wartebereich", "")
    db.session.commit()
    services.publish_release(release, None)
    db.session.commit()
    corrected(release, body="Die Förderung beträgt **14.000 €**.")
    db.session.commit()
    return _row(release.versions[-1].id)


def test_report_links_to_a_decoded_view_of_the_message(app, demo):
    row = _correction_row()
    client = logged_in(app, EDITOR)
    report = client.get(f"/desk/versions/{row.version_id}/deliveries").get_data(as_text=True)
    assert f'href="/desk/deliveries/{row.id}"' in report
    page = client.get(f"/desk/deliveries/{row.id}").get_data(as_text=True)
    # Headers decoded from their RFC 2047 words.
    assert f"Korrektur: {HEADLINE} (Landkreis Leer)" in page
    assert "=?utf-8?" not in page.lower()
    assert "<dt>In-Reply-To</dt>" not in page and "<dt>Antwort auf</dt>" in page
    assert row.message_id.replace("<", "&lt;").replace(">", "&gt;") in page
    # The text part decoded from quoted-printable: umlauts, no soft line breaks.
    text = re.search(r'<pre [^>]*id="mail-text">(.*?)</pre>', page, re.S).group(1)
    assert "Die Förderung beträgt 14.000 €." in text
    assert "vorher: Die Förderung beträgt 12.000 €." in text
    assert "=C3=" not in text and "=\n" not in text
    # The HTML part in a sandboxed frame of its own, the raw source one click away.
    frame = re.search(r"<iframe [^>]*>", page).group()
    assert " sandbox " in frame and f'src="/desk/deliveries/{row.id}/html"' in frame
    assert f'href="/desk/deliveries/{row.id}.eml"' in page
    html = client.get(f"/desk/deliveries/{row.id}/html")
    assert html.status_code == 200
    csp = html.headers["Content-Security-Policy"]
    assert "sandbox" in csp and "script-src" not in csp and "default-src 'none'" in csp
    body = html.get_data(as_text=True)
    assert "<strong>14.000 €</strong>" in body and "<img " in body
    raw = client.get(f"/desk/deliveries/{row.id}.eml").data
    assert b"Content-Transfer-Encoding: quoted-printable" in raw and b"=C3=B6" in raw


def test_message_view_is_the_offices_own_and_outlets_only(app, demo):
    row = _correction_row()
    other = logged_in(app, EMSLAND)
    for path in (f"/desk/deliveries/{row.id}", f"/desk/deliveries/{row.id}/html"):
        assert other.get(path).status_code == 404
    reader = Delivery(office_id=row.office_id, version_id=row.version_id,
                      kind=Kind.READER.value, email="leser@example.org",
                      message_id="<reader.1@pressdesk.example>")
    db.session.add(reader)
    db.session.commit()
    editor = logged_in(app, EDITOR)
    assert editor.get(f"/desk/deliveries/{reader.id}").status_code == 404
    assert editor.get(f"/desk/deliveries/{reader.id}/html").status_code == 404
