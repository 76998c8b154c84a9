"""The newspaper mail as an editor reads it, checked as received over SMTP from a real worker:
tables with borders and the Markdown alignment in HTML and as aligned columns in plain text,
hosted image thumbnails with caption, credit and a download link to the print original."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pressdesk.releases import services
from pressdesk.releases.diff import summary
from pressdesk.releases.images import add_image
from pressdesk.releases.markup import plain_text, render_markdown
from tests.conftest import wait_for
from tests.desk_helpers import html_part, parsed, text_part
from tests.formats_support import jpeg
from tests.helpers import draft

TABLE = ("Die Zuschüsse im Überblick:\n\n"
         "| Gemeinde | Betrag | Stand |\n"
         "| :--- | ---: | :---: |\n"
         "| Bunde | 1.200 € | bewilligt |\n"
         "| **Weener** | 30.500 € | offen |\n\n"
         "Weitere Anträge folgen.")


def _received(app, smtp, with_image: bool = True, **fields):  # type: ignore[no-untyped-def]
    from pressdesk.extensions import db

    release = draft(**fields)
    if with_image:
        add_image(release, "radweg.jpg", jpeg((1800, 1200)), "V.l. Landrat und Bürgermeisterin",
                  "Foto: Landkreis Leer", "Zwei Menschen vor einem Radweg", "Abdruck honorarfrei")
        db.session.commit()
    services.publish_release(release, None)
    db.session.commit()
    wait_for(lambda: len(smtp.messages) >= 1, timeout=30)
    return release, smtp.messages[0]


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_table_in_html_has_inline_borders_padding_and_alignment(app, demo, smtp, celery_worker):
    _release, received = _received(app, smtp, body=TABLE)
    html = html_part(received)
    assert '<table style="border-collapse:collapse;' in html
    cells = {text: style for style, text in
             re.findall(r'<(?:td|th) style="([^"]*)">(?:<strong>)?([^<]+)<', html)}
    assert "border:1px solid" in cells["Betrag"] and "padding:" in cells["Betrag"]
    assert cells["Betrag"].endswith("text-align:right;")  # the Markdown ---: is kept
    assert cells["1.200 €"].endswith("text-align:right;")
    assert cells["bewilligt"].endswith("text-align:center;")
    assert cells["Bunde"].endswith("text-align:left;")
    assert "class=" not in html.split("<table", 1)[1].split("</table>")[0]  # no classes to lose


def test_table_in_text_part_is_aligned_columns(app, demo, smtp, celery_worker):
    _release, received = _received(app, smtp, body=TABLE, with_image=False)
    text = text_part(received).replace("\r\n", "\n")
    assert "| ---" not in text and "|" not in text and "**" not in text
    lines = text.split("\n")
    start = lines.index(next(ln for ln in lines if ln.startswith("Gemeinde")))
    table = lines[start:start + 4]
    assert table == ["Gemeinde    Betrag    Stand",
                     "--------  --------  ---------",
                     "Bunde      1.200 €  bewilligt",
                     "Weener    30.500 €    offen"]
    assert "Weitere Anträge folgen." in text and "Die Zuschüsse im Überblick:" in text


def test_images_are_hosted_thumbnails_with_caption_credit_and_download(app, demo, smtp,
                                                                      celery_worker):
    _release, received = _received(app, smtp)
    msg = parsed(received)
    # Hosted, not attached: the message is text and HTML only.
    assert [p.get_content_type() for p in msg.walk()] == [
        "multipart/alternative", "text/plain", "text/html"]
    html = html_part(received)
    imgs = re.findall(r"<img ([^>]+)>", html)
    assert len(imgs) == 1
    src = re.search(r'src="([^"]+)"', imgs[0]).group(1)
    assert 'width="160"' in imgs[0] and 'height="107"' in imgs[0]
    assert 'alt="Zwei Menschen vor einem Radweg"' in imgs[0]
    assert "V.l. Landrat und Bürgermeisterin" in html and "Foto: Landkreis Leer" in html
    download = re.search(r'<a href="([^"]+)">Bild 1 in Druckqualität herunterladen '
                         r"\(1800×1200 px, JPG\)</a>", html).group(1)
    client = app.test_client()
    thumb = client.get(_path(src))
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert "attachment" not in thumb.headers.get("Content-Disposition", "")
    original = client.get(_path(download))
    assert original.status_code == 200 and original.mimetype == "image/jpeg"
    assert original.headers["Content-Disposition"].startswith("attachment")
    assert len(original.data) > len(thumb.data) or "original" in download
    text = text_part(received)
    assert "V.l. Landrat und Bürgermeisterin" in text and download in text


def test_embargoed_release_thumbnails_use_the_signed_outlet_links(app, demo, smtp,
                                                                 celery_worker):
    from datetime import UTC, datetime, timedelta

    from pressdesk.extensions import db

    release = draft()
    add_image(release, "radweg.jpg", jpeg((1800, 1200)), "Radweg", "Foto: Landkreis Leer",
              "Radweg", "")
    release.embargo_until = datetime.now(UTC) + timedelta(hours=3)
    db.session.commit()
    services.publish_release(release, None)
    db.session.commit()
    wait_for(lambda: len(smtp.messages) >= 1, timeout=30)
    html = html_part(smtp.messages[0])
    src = re.search(r'<img [^>]*src="([^"]+)"', html).group(1)
    assert "/redaktionen/" in src
    resp = app.test_client().get(_path(src))  # the public image route would answer 404 now
    assert resp.status_code == 200 and resp.mimetype == "image/jpeg"


def test_plain_text_tables_and_rest_of_body():
    out = plain_text("Vorher **fett**.\n\n| A | B |\n| --- | ---: |\n| [x](https://e.example) | 1 |"
                     "\n\nNachher.")
    assert out.split("\n") == ["Vorher fett.", "",
                                "A                      B",
                                "---------------------  -",
                                "x <https://e.example>  1", "",
                                "Nachher."]


def test_portal_body_keeps_alignment_as_a_class():
    html = str(render_markdown("| A | B |\n| --- | ---: |\n| x | 1 |"))
    assert '<td class="align-right">1</td>' in html and "style=" not in html


def test_change_summary_is_before_and_after_paragraphs():
    old = {"headline": "Alt", "body": "Erster **Absatz**.\n\nZweiter Absatz.\n\nDritter."}
    new = {"headline": "Neu", "body": "Erster **Absatz**.\n\nZweiter Absatz, geändert.\n\n"
                                      "Dritter.\n\nVierter, neu."}
    text = summary(old, new)
    assert text == ("Geändert: Überschrift, Text.\n\n"
                    "Überschrift\nvorher: Alt\nnachher: Neu\n\n"
                    "Text, 2. Absatz\nvorher: Zweiter Absatz.\nnachher: Zweiter Absatz, geändert."
                    "\n\nText, 4. Absatz\nneu: Vierter, neu.")
    gone = summary({"body": "A.\n\nB."}, {"body": "A."})
    assert gone == "Geändert: Text.\n\nText, 2. Absatz (alt)\nentfernt: B."
