"""Previews (web page, email text and HTML) and "send a test to me"."""

import re

from sqlalchemy import func, select

from pressdesk.delivery.models import Delivery
from pressdesk.extensions import db
from tests.desk_helpers import actions_logged, parsed, text_part, write
from tests.helpers import EDITOR, LINGEN_EDITOR, logged_in, post


def test_email_preview_shows_subject_text_and_html_of_the_draft(app, demo):
    editor = logged_in(app, EDITOR)
    rid = write(editor, body="Umleitung über **Boen**.\n\n| Ort | Ab |\n|---|---|\n| Bunde | Montag |")
    page = editor.get(f"/desk/releases/{rid}/preview/email")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Kreisstraße 12 ab Montag gesperrt (Landkreis Leer)" in text  # the subject
    assert "anna.eilers@landkreis-leer.example" in text  # reply-to: the release's contact
    assert "Umleitung über Boen." in text  # the text part, emphasis markers removed
    assert 'id="test-mail-button"' in text

    frame = editor.get(f"/desk/releases/{rid}/preview/email.html")
    html = frame.get_data(as_text=True)
    assert frame.status_code == 200 and "<strong>Boen</strong>" in html
    assert re.search(r'<td style="border:1px solid [^"]*text-align:left;">Bunde</td>', html)
    csp = frame.headers["Content-Security-Policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp and "frame-ancestors 'self'" in csp
    assert frame.headers["X-Frame-Options"] == "SAMEORIGIN"

    web = editor.get(f"/desk/releases/{rid}/preview").get_data(as_text=True)
    assert "Vorschau" in web and "<strong>Boen</strong>" in web and "Anna Eilers" in web


def test_preview_email_of_embargoed_schedule_carries_sperrfrist(app, demo):
    from datetime import timedelta

    from pressdesk.db import utcnow
    from tests.desk_helpers import fresh

    editor = logged_in(app, EDITOR)
    rid = write(editor)
    release = fresh(rid)
    release.embargo_until = utcnow() + timedelta(days=1)
    db.session.commit()
    text = editor.get(f"/desk/releases/{rid}/preview/email").get_data(as_text=True)
    assert "SPERRFRIST:" in text


def test_send_a_test_to_me_mails_only_the_user_and_is_no_delivery(app, demo, smtp):
    editor = logged_in(app, EDITOR)
    rid = write(editor)
    resp = post(editor, f"/desk/releases/{rid}/test-mail")
    assert resp.status_code == 302
    assert len(smtp.messages) == 1
    got = smtp.messages[0]
    assert got.rcpt_tos == [EDITOR]
    msg = parsed(got)
    assert msg["Subject"].startswith("[TEST] Kreisstraße 12 ab Montag gesperrt")
    assert msg["To"].addresses[0].addr_spec == EDITOR
    assert "Eine Umleitung über Boen ist ausgeschildert." in text_part(got)
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 0
    assert "release.test_sent" in actions_logged(rid)
    shown = editor.get(resp.headers["Location"]).get_data(as_text=True)
    assert f"Testmail an {EDITOR} gesendet" in shown


def test_test_mail_refused_by_the_server_is_reported(app, demo, smtp):
    smtp.rcpt_replies[EDITOR] = "550 5.1.1 mailbox unavailable"
    editor = logged_in(app, EDITOR)
    rid = write(editor)
    resp = post(editor, f"/desk/releases/{rid}/test-mail")
    shown = editor.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Die Testmail wurde nicht angenommen" in shown and "550" in shown
    assert smtp.messages == []


def test_other_office_gets_no_preview(app, demo):
    rid = write(logged_in(app, EDITOR))
    other = logged_in(app, LINGEN_EDITOR)
    for url in ("/preview", "/preview/email", "/preview/email.html"):
        assert other.get(f"/desk/releases/{rid}{url}").status_code == 404
