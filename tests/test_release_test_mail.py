"""The test mail of a draft: its image and file links open for the members it goes to, and it
goes to the sender and at most a few members of the office, nobody else."""

import io
import re
from urllib.parse import urlsplit

from pressdesk.accounts.services import find_user
from tests.desk_helpers import parsed, write
from tests.formats_support import PDF, jpeg
from tests.helpers import EDITOR, LINGEN_EDITOR, PUBLISHER, logged_in, post


def _html(got) -> str:  # type: ignore[no-untyped-def]
    body = parsed(got).get_body(("html",))
    assert body is not None
    return str(body.get_content())


def _with_files(client) -> int:  # type: ignore[no-untyped-def]
    rid = write(client)
    form = {"alt": "Sperrung", "caption": "Die Kreisstraße", "credit": "Foto: LK Leer",
            "rights": "Abdruck honorarfrei", "file": (io.BytesIO(jpeg()), "strasse.jpg")}
    assert post(client, f"/desk/releases/{rid}/images", form,
                content_type="multipart/form-data").status_code == 302
    assert post(client, f"/desk/releases/{rid}/attachments",
                {"file": (io.BytesIO(PDF), "Umleitung.pdf")},
                content_type="multipart/form-data").status_code == 302
    return rid


def test_the_test_mails_image_and_file_links_open_for_a_draft(app, demo, smtp):
    editor = logged_in(app, EDITOR)
    rid = _with_files(editor)
    assert post(editor, f"/desk/releases/{rid}/test-mail").status_code == 302
    html = _html(smtp.messages[0])
    links = {u for u in re.findall(r'(?:href|src)="(http[^"]+)"', html)
             if "/bilder/" in u or "/images/" in u or "nhaenge" in u or "/attachments/" in u}
    assert len(links) >= 2, html
    for url in links:
        path = urlsplit(url).path
        resp = editor.get(path)
        assert resp.status_code == 200, (url, resp.status_code)
    # members only: logged out, the same links are no way in
    assert app.test_client().get(urlsplit(sorted(links)[0]).path).status_code in (302, 401, 403)


def test_a_test_mail_goes_to_chosen_members_of_the_office(app, demo, smtp):
    editor = logged_in(app, EDITOR)
    rid = write(editor)
    page = editor.get(f"/desk/releases/{rid}/preview/email").get_data(as_text=True)
    assert "Gerd Oltmanns" in page  # a colleague to choose
    resp = post(editor, f"/desk/releases/{rid}/test-mail",
                {"colleagues": [find_user(PUBLISHER).id]})
    assert resp.status_code == 302
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == sorted([EDITOR, PUBLISHER])


def test_a_test_mail_never_goes_outside_the_office(app, demo, smtp):
    editor = logged_in(app, EDITOR)
    rid = write(editor)
    resp = post(editor, f"/desk/releases/{rid}/test-mail",
                {"colleagues": [find_user(LINGEN_EDITOR).id]})
    shown = editor.get(resp.headers["Location"]).get_data(as_text=True)
    assert "höchstens" in shown
    assert smtp.messages == []
