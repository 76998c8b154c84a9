"""The message on the wire: attachments variant within the cap (umlaut filenames), DKIM,
SMTPUTF8 only when offered, VERP return path, the message as sent equals what arrived."""

from __future__ import annotations

import base64
import re
import subprocess

import dkim
import pytest
from sqlalchemy import select

from pressdesk.delivery import engine, relays
from pressdesk.delivery.models import MessageVariant, Suppression
from pressdesk.delivery.render import Attachment, with_attachments
from pressdesk.extensions import db
from pressdesk.media.models import Outlet
from pressdesk.releases import services
from pressdesk.releases.images import placeholder_jpeg, store
from pressdesk.releases.models import ReleaseImage
from tests.delivery_support import OwnSMTP, drive, parse, publish_to, recipients, rows, states
from tests.helpers import draft

pytestmark = pytest.mark.usefixtures("no_wakeups")


def _outlet(name: str) -> Outlet:
    return db.session.scalar(select(Outlet).where(Outlet.name == name))


def test_outlets_preferring_attachments_get_the_images_within_their_cap(app, demo):
    oz, ga = _outlet("Ostfriesen-Zeitung"), _outlet("General-Anzeiger")
    oz.prefers_attachments, oz.max_attachment_kb = True, 5000
    ga.prefers_attachments, ga.max_attachment_kb = True, 5  # too small: gets the links
    release = draft(headline="Übergabe im Kreishaus")
    img = ReleaseImage(release_id=release.id, position=0, filename="Übergabe Bürgermeisterin Jänßen.jpg",
                       caption="V.l. Anna Jänßen", credit="Foto: Landkreis Leer", alt="Übergabe")
    jpeg = placeholder_jpeg("Übergabe", (1200, 800))
    store(img, jpeg)
    release.images.append(img)
    db.session.commit()
    version = services.publish_release(release, None)
    db.commit()
    by_name = {r.name: r for r in rows(version.id)}
    assert by_name["Ostfriesen-Zeitung"].variant == "attachments"
    assert by_name["General-Anzeiger"].variant == ""
    assert sum(1 for r in by_name.values() if r.variant) == 1
    assert db.session.scalar(select(MessageVariant.name).where(MessageVariant.version_id == version.id))

    with OwnSMTP() as server:
        drive(version.id, server.transport, lambda: states(version.id) == {"sent": 9})
        got = {m.rcpt_tos[0]: parse(m.data) for m in server.handler.messages}
    oz_msg, ga_msg = got[oz.email], got[ga.email]
    assert oz_msg.get_content_type() == "multipart/mixed"
    assert ga_msg.get_content_type() == "multipart/alternative"
    (att,) = list(oz_msg.iter_attachments())
    assert att.get_filename() == "Übergabe Bürgermeisterin Jänßen.jpg"
    assert att.get_content_type() == "image/jpeg" and att.get_content() == jpeg
    # Same headers and the same text as the links variant.
    for h in ("Subject", "From", "Reply-To", "List-Id", "Date"):
        assert oz_msg[h] == ga_msg[h]
    # The same text, but for each outlet's own link token.
    oz_text = oz_msg.get_body(("plain",)).get_content().replace(
        by_name["Ostfriesen-Zeitung"].link_token, "TOKEN")
    assert oz_text == ga_msg.get_body(("plain",)).get_content().replace(
        by_name["General-Anzeiger"].link_token, "TOKEN")
    assert oz_msg["Message-ID"] == by_name["Ostfriesen-Zeitung"].message_id
    # The desk shows exactly what was sent.
    shown = engine.message_as_sent(rows(version.id)[[r.name for r in rows(version.id)].index(
        "Ostfriesen-Zeitung")])
    raw = next(m.data for m in server.handler.messages if m.rcpt_tos == [oz.email])
    assert shown.replace(b"\r\n", b"\n").strip() == raw.replace(b"\r\n", b"\n").strip()


def test_with_attachments_keeps_headers_byte_for_byte_and_uses_crlf():
    shared = (b"Subject: =?utf-8?q?=C3=9Cbergabe?=\r\nFrom: a@b.example\r\nMIME-Version: 1.0\r\n"
              b"Content-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: 7bit\r\n"
              b"\r\nHallo\r\n")
    out = with_attachments(shared, [Attachment("Straße.pdf", "application/pdf", b"%PDF-1.4 x")])
    assert out.startswith(b"Subject: =?utf-8?q?=C3=9Cbergabe?=\r\nFrom: a@b.example\r\n")
    assert b"\n" not in out.replace(b"\r\n", b"")
    msg = parse(out)
    assert msg.get_body(("plain",)).get_content().strip() == "Hallo"
    (att,) = list(msg.iter_attachments())
    assert att.get_filename() == "Straße.pdf" and att.get_content() == b"%PDF-1.4 x"


@pytest.fixture
def dkim_key(tmp_path):
    key = tmp_path / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    pub = subprocess.run(["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return key, b"v=DKIM1; k=rsa; p=" + base64.b64encode(pub)


def test_dkim_signature_verifies_for_every_recipient(app, demo, monkeypatch, dkim_key, settings_override):
    key, record = dkim_key
    settings_override(dkim_key_file=str(key), dkim_selector="pd2026")
    version = publish_to(recipients(3))
    with OwnSMTP() as server:
        drive(version.id, server.transport, lambda: states(version.id) == {"sent": 3})
        messages = list(server.handler.messages)

    def dns(name, timeout=5):
        assert name == b"pd2026._domainkey.pressdesk.example."
        return record

    for m in messages:
        assert m.data.startswith(b"DKIM-Signature:") or b"\r\nDKIM-Signature:" in m.data
        assert dkim.verify(m.data, dnsfunc=dns), "signature must verify"
        tampered = m.data.replace(b"Rheiderland", b"Rheider1and", 1)
        assert not dkim.verify(tampered, dnsfunc=dns)
    # One signature shared by all recipients (signed once per version), stored for the desk.
    sigs = {re.search(rb"\r\nDKIM-Signature:.*?\r\n(?=\S)", m.data, re.S).group(0) for m in messages}
    assert len(sigs) == 1
    row = rows(version.id)[0]
    raw = next(m.data for m in messages if m.rcpt_tos == [row.email])
    assert engine.message_as_sent(row) == raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def test_smtputf8_only_when_the_server_offers_it(app, demo):
    from pressdesk.delivery.queue import Recipient

    uni = [Recipient("müller@zeitung.example", "Redaktion Müller"),
           Recipient("plain@zeitung.example", "Plain")]
    version = publish_to(uni)
    with OwnSMTP(smtputf8=False) as server:
        drive(version.id, server.transport,
              lambda: states(version.id) == {"sent": 1, "failed": 1})
        assert [m.rcpt_tos for m in server.handler.messages] == [["plain@zeitung.example"]]
    failed = next(r for r in rows(version.id) if r.state == "failed")
    assert "SMTPUTF8" in failed.last_error
    assert db.session.query(Suppression).count() == 0  # not the address's fault

    second = publish_to(uni, headline="Zweite")
    with OwnSMTP(smtputf8=True) as server:
        drive(second.id, server.transport, lambda: states(second.id) == {"sent": 2})
        m = next(m for m in server.handler.messages if m.rcpt_tos == ["müller@zeitung.example"])
        assert "\r\nTo: =?utf-8?q?Redaktion_M=C3=BCller?= <müller@zeitung.example>\r\n".encode() in (
            b"\r\n" + m.data)  # RFC 6532: the address itself in UTF-8
        import email
        from email import policy

        msg = email.message_from_string(m.data.decode("utf-8"), policy=policy.default)
        assert msg["To"].addresses[0].addr_spec == "müller@zeitung.example"
        assert msg["To"].addresses[0].display_name == "Redaktion Müller"


def test_verp_return_path_names_the_row_and_cannot_be_forged(app, demo):
    version = publish_to(recipients(2))
    with OwnSMTP() as server:
        drive(version.id, server.transport, lambda: states(version.id) == {"sent": 2})
        senders = {m.rcpt_tos[0]: m.mail_from for m in server.handler.messages}
    for row in rows(version.id):
        assert senders[row.email].startswith("bounce+") and senders[row.email].endswith(
            "@pressdesk.example")
        assert relays.row_for_verp(senders[row.email]) == row.id
    forged = senders[rows(version.id)[0].email].replace("bounce+1-", "bounce+2-")
    assert relays.row_for_verp(forged) is None
    assert relays.row_for_verp("presse@pressdesk.example") is None


def test_outlets_get_the_newsroom_format_they_ingest_attached(app, demo):
    """An outlet whose editorial system ingests agency formats gets the NewsML-G2 item (valid
    against IPTC's schema) or the ninjs document attached to every mail; combined with images
    as attachments where it wants both; everyone else gets the plain message."""
    import json
    from pathlib import Path

    from lxml import etree

    oz, ga, dl = (_outlet("Ostfriesen-Zeitung"), _outlet("General-Anzeiger"),
                  _outlet("Der Leeraner"))
    oz.attach_format = "newsml"
    ga.attach_format, ga.prefers_attachments, ga.max_attachment_kb = "ninjs", True, 5000
    release = draft(headline="Kreistag beschließt Radwegeplan")
    img = ReleaseImage(release_id=release.id, position=0, filename="radweg.jpg",
                       caption="Der neue Radweg", credit="Foto: Landkreis Leer", alt="Radweg")
    store(img, placeholder_jpeg("Radweg", (1200, 800)))
    release.images.append(img)
    db.session.commit()
    version = services.publish_release(release, None)
    db.commit()
    by_name = {r.name: r for r in rows(version.id)}
    assert by_name["Ostfriesen-Zeitung"].variant == "newsml"
    assert by_name["General-Anzeiger"].variant == "attachments+ninjs"
    assert by_name["Der Leeraner"].variant == ""

    with OwnSMTP() as server:
        drive(version.id, server.transport, lambda: states(version.id) == {"sent": 9})
        got = {m.rcpt_tos[0]: parse(m.data) for m in server.handler.messages}
    (item,) = list(got[oz.email].iter_attachments())
    assert item.get_filename() == "newsml.xml"
    assert item.get_content_type() == "application/vnd.iptc.g2.newsitem+xml"
    xsd = Path(__file__).parent / "data" / "iptc" / "NewsML-G2_2.35-spec-All-Power.xsd"
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    doc = etree.fromstring(item.get_content() if isinstance(item.get_content(), bytes)
                           else item.get_content().encode("utf-8"))
    assert schema.validate(doc), schema.error_log
    assert b"Kreistag beschlie" in etree.tostring(doc, encoding="utf-8")
    files = {a.get_filename(): a for a in got[ga.email].iter_attachments()}
    assert set(files) == {"radweg.jpg", "ninjs.json"}
    ninjs = json.loads(files["ninjs.json"].get_content())
    assert [h["value"] for h in ninjs["headlines"]][0] == "Kreistag beschließt Radwegeplan"
    assert got[dl.email].get_content_type() == "multipart/alternative"


def test_a_link_token_fill_decodes_to_the_value_with_short_lines_at_every_length():
    """qp_fill: the literal fast path (tokens) and the encoding path both give the value back
    and keep every line within 76 characters."""
    import quopri

    from pressdesk.delivery.render import qp_fill

    body = b"Content-Transfer-Encoding: quoted-printable\r\n\r\nvorne MARK hinten\r\n"
    for value in ["", "a", "x" * 69, "y" * 70, "z" * 71, "t." * 70, "abc-_.XYZ" * 20 + "1",
                  "mit=gleich", "mit~tilde", "ümlaut"]:
        filled = qp_fill(body, b"MARK", value)
        encoded = filled.split(b"\r\n\r\n", 1)[1]
        assert all(len(line) <= 76 for line in encoded.split(b"\r\n")), value
        assert quopri.decodestring(encoded).decode() == f"vorne {value} hinten\r\n", value
