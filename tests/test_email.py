"""The rendered newspaper email: structure, headers, encoding, CRLF, no header injection."""

import email
import re
from email import policy

from pressdesk.delivery.render import encode_header, personalise
from pressdesk.extensions import db
from pressdesk.releases import services
from tests.helpers import draft


def _parse(data: bytes):
    return email.message_from_bytes(data, policy=policy.default)


def _one_message(demo, **fields) -> bytes:
    version = services.publish_release(draft(**fields), None)
    db.commit()
    return personalise(version.mail_bytes, "Ostfriesen-Zeitung", "redaktion@oz.example",
                       "<pm.test.1@pressdesk.example>")


def test_structure_and_headers(app, demo):
    data = _one_message(demo, headline="Kreishaus öffnet länger: Bürgerbüro auch samstags")
    msg = _parse(data)
    assert msg.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in msg.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert msg["Subject"] == "Kreishaus öffnet länger: Bürgerbüro auch samstags (Landkreis Leer)"
    assert msg["To"] == "Ostfriesen-Zeitung <redaktion@oz.example>"
    assert msg["Message-ID"] == "<pm.test.1@pressdesk.example>"
    assert msg["From"].addresses[0].addr_spec == "presse@pressdesk.example"
    assert msg["From"].addresses[0].display_name == "Pressestelle Landkreis Leer"
    assert msg["Reply-To"] == "pressestelle@landkreis-leer.example"
    assert msg["Date"] and msg["List-Id"] == "Landkreis Leer <landkreis-leer.pressdesk.example>"
    text = msg.get_body(("plain",)).get_content()
    assert "Kreishaus öffnet länger" in text and "Leer, " in text
    assert "Pressekontakt" in text and "0491 926-0" in text
    html = msg.get_body(("html",)).get_content()
    assert "<strong>Frühjahr</strong>" in html


def test_crlf_everywhere_and_lines_short(app, demo):
    data = _one_message(demo)
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    assert data.isascii()


def test_only_one_recipient_is_named(app, demo):
    msg = _parse(_one_message(demo))
    assert msg.get_all("To") == ["Ostfriesen-Zeitung <redaktion@oz.example>"]
    assert msg["Cc"] is None and msg["Bcc"] is None


def test_long_umlaut_subject_round_trips(app, demo):
    headline = ("Größere Förderung für Bürgerzeitungen: Landkreis übernimmt Zuschüsse "
                "für Übersetzungen ins Plattdeutsche – Ämter äußern sich")
    msg = _parse(_one_message(demo, headline=headline))
    assert msg["Subject"] == f"{headline} (Landkreis Leer)"


def test_header_values_can_never_break_lines():
    line = encode_header("Subject", "Titel\r\nBcc: victim@example.org")
    assert line.count(b"\r\n") == 1 and b"\r\nBcc" not in line
    to = personalise(b"", "Redaktion\r\nBcc: x@example.org", "a@example.org", "<m@x>")
    headers = to.split(b"\r\n")
    assert not any(h.startswith(b"Bcc") for h in headers)


def test_body_script_is_sanitised_in_html_part(app, demo):
    msg = _parse(_one_message(demo, body="Hallo <script>alert(1)</script> [x](javascript:alert(1))"))
    html = msg.get_body(("html",)).get_content()
    assert "<script" not in html.lower()
    assert not re.search(r"href=[\"']?\s*javascript:", html, re.I)
    assert "Hallo" in html


def test_reader_mail_gets_one_click_unsubscribe_headers():
    data = personalise(b"Subject: x\r\n\r\nbody\r\n", "Leserin", "leserin@example.org",
                       "<m.1@pd.example>", "https://pd.example/abmelden/abc",
                       "mailto:unsubscribe@pd.example?subject=abc")
    msg = _parse(data)
    assert msg["List-Unsubscribe"] == ("<https://pd.example/abmelden/abc>, "
                                       "<mailto:unsubscribe@pd.example?subject=abc>")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    outlet = _parse(personalise(b"Subject: x\r\n\r\nbody\r\n", "OZ", "oz@example.org", "<m.2@x>"))
    assert outlet["List-Unsubscribe"] is None


def test_a_stored_sender_name_with_an_address_is_shown_as_text_only(app, demo):
    from pressdesk.extensions import db
    from tests.helpers import office

    leer = office("landkreis-leer")
    leer.sender_name = "Landrat <landrat@evil.example>"  # stored before names were checked
    db.session.flush()
    msg = _parse(_one_message(demo, headline="Neue Öffnungszeiten"))
    sender = msg["From"].addresses
    assert len(sender) == 1 and sender[0].addr_spec == "presse@pressdesk.example"
    assert sender[0].display_name == "Landrat"
    raw = _one_message(demo, headline="Zweite Mitteilung").split(b"\r\n\r\n", 1)[0]
    assert b"evil.example" not in raw
