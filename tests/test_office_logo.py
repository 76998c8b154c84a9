"""The office logo: uploaded in the settings (PNG/JPEG only, re-encoded), served at the office's
address with caching headers, shown on the office page and its release pages, named in the
JSON-LD as the publisher's logo and in the head of the newspaper mail as received."""

from __future__ import annotations

import io
import json
import re
from urllib.parse import urlsplit

from PIL import Image, PngImagePlugin
from sqlalchemy import select

from pressdesk.accounts.models import Role
from pressdesk.extensions import db
from pressdesk.offices import logo
from pressdesk.offices.models import Office
from pressdesk.releases import services
from pressdesk.releases.presenter import present
from tests.conftest import wait_for
from tests.desk_helpers import html_part, text_part
from tests.helpers import EDITOR, draft, logged_in, token_of
from tests.media_support import audit_actions, member
from tests.test_admin_settings import FIELDS

SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert(1)</script></svg>')


def png(size: tuple[int, int] = (1200, 400), text: str = "") -> bytes:
    info = PngImagePlugin.PngInfo()
    if text:
        info.add_text("Comment", text)
    buf = io.BytesIO()
    Image.new("RGBA", size, (20, 80, 140, 200)).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def _office(slug: str = "landkreis-leer") -> Office:
    db.session.remove()
    found = db.session.scalar(select(Office).where(Office.slug == slug))
    assert found is not None
    return found


def _upload(client, data: bytes, filename: str = "logo.png", **fields):  # type: ignore[no-untyped-def]
    token = token_of(client, "/desk/settings/")
    return client.post("/desk/settings/", data={
        "csrf_token": token, **FIELDS, **fields, "logo": (io.BytesIO(data), filename)},
        content_type="multipart/form-data")


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_upload_is_reencoded_bounded_and_served_with_caching_headers(app, demo):
    client = logged_in(app)
    resp = _upload(client, png((1800, 600), text="geheime-metadaten"))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    leer = _office()
    assert leer.logo_id and (leer.logo_width, leer.logo_height) == (600, 200)
    assert audit_actions("landkreis-leer")[-1] == "office.settings"
    url = logo.logo_url(leer)
    assert url.startswith("http://127.0.0.1:") and "/presse/landkreis-leer/logo.png?v=" in url
    anon = app.test_client()
    served = anon.get(_path(url))
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Set-Cookie" not in served.headers
    assert b"geheime-metadaten" not in served.data  # re-encoded: only the pixels are kept
    with Image.open(io.BytesIO(served.data)) as im:
        assert im.size == (600, 200) and im.mode == "RGBA"
    # The address without (or with an old) v: the current logo, kept for an hour only.
    plain = anon.get("/presse/landkreis-leer/logo.png")
    assert plain.status_code == 200 and plain.headers["Cache-Control"] == "public, max-age=3600"
    again = anon.get(_path(url), headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304
    assert anon.get("/presse/stadt-lingen/logo.png").status_code == 404  # none uploaded
    # The settings page shows it; a JPEG replaces it and the old file goes.
    page = client.get("/desk/settings/").get_data(as_text=True)
    assert 'id="current-logo"' in page and _path(url).replace("&", "&amp;") in page
    old_file = logo.logo_path(leer.logo_id)
    buf = io.BytesIO()
    Image.new("RGB", (300, 100), (200, 30, 30)).save(buf, "JPEG")
    assert _upload(client, buf.getvalue(), "logo.jpg").status_code == 302
    assert _office().logo_id != leer.logo_id and not old_file.exists()
    assert anon.get("/presse/landkreis-leer/logo.png").mimetype == "image/png"
    # Removing it.
    assert _upload(client, b"", "", remove_logo="y").status_code == 302
    assert _office().logo_id == ""
    assert anon.get("/presse/landkreis-leer/logo.png").status_code == 404


def test_a_bad_file_is_refused_in_german_and_nothing_of_the_form_is_lost(app, demo):
    client = logged_in(app)
    for data, name in ((SVG, "logo.svg"), (b"kein Bild, nur Text", "logo.png"),
                       (b"%PDF-1.4\n", "logo.pdf")):
        resp = _upload(client, data, name, contact_name="Neuer Name im Formular")
        assert resp.status_code == 422, name
        html = resp.get_data(as_text=True)
        assert "Das Logo muss ein PNG- oder JPEG-Bild sein (kein SVG, kein PDF)." in html
        assert 'aria-invalid="true"' in html and 'id="logo-error"' in html
        assert 'value="Neuer Name im Formular"' in html  # the typed input is still there
        leer = _office()
        assert leer.logo_id == "" and leer.contact_name != "Neuer Name im Formular"
    too_big = png((2000, 2000)) + b"\0" * (logo.MAX_BYTES + 1)
    resp = _upload(client, too_big)
    assert resp.status_code == 422
    assert "Das Logo ist zu groß (höchstens 2 MB)." in resp.get_data(as_text=True)
    assert _office().logo_id == ""


def test_other_offices_settings_are_unreachable(app, demo):
    editor = logged_in(app, EDITOR)  # an editor of Leer: no settings at all
    assert editor.get("/desk/settings/").status_code == 403
    resp = editor.post("/desk/settings/", data={
        "csrf_token": token_of(editor, "/desk/"), **FIELDS,
        "logo": (io.BytesIO(png()), "logo.png")}, content_type="multipart/form-data")
    assert resp.status_code == 403
    assert _office("landkreis-leer").logo_id == ""
    # An admin of Lingen only: their settings are Lingen's, Leer's cannot be switched to.
    email = member("stadt-lingen", Role.ADMIN, email="admin.lingen@pressdesk.example")
    lingen = logged_in(app, email)
    assert lingen.post("/desk/office", data={
        "office_id": _office("landkreis-leer").id,
        "csrf_token": token_of(lingen, "/desk/")}).status_code == 403
    assert _upload(lingen, png(), sender_name="Stadt Lingen").status_code == 302
    assert _office("stadt-lingen").logo_id and _office("landkreis-leer").logo_id == ""
    assert "office-logo" not in app.test_client().get("/presse/landkreis-leer").get_data(
        as_text=True)
    assert "office-logo" in app.test_client().get("/presse/stadt-lingen").get_data(
        as_text=True)


def test_shown_on_pages_in_json_ld_and_page_caches_follow_a_change(app, demo, settings_override):
    settings_override(feed_state_ttl=60.0)  # the offices' digest would be kept for a minute
    release = draft()
    db.session.commit()
    services.publish_release(release, None)
    db.session.commit()
    anon = app.test_client()
    release_path = _path(present(release.versions[-1]).permalink)
    office_page = anon.get("/presse/landkreis-leer")
    release_page = anon.get(release_path)
    assert "office-logo" not in office_page.get_data(as_text=True)
    assert '"logo"' not in release_page.get_data(as_text=True)
    assert _upload(logged_in(app), png()).status_code == 302
    url = logo.logo_url(_office())
    after = anon.get("/presse/landkreis-leer",
                     headers={"If-None-Match": office_page.headers["ETag"]})
    assert after.status_code == 200
    assert re.search(r'<img class="office-logo" id="office-logo" src="[^"]*'
                     + re.escape(url.split("?")[1]), after.get_data(as_text=True))
    page = anon.get(release_path).get_data(as_text=True)
    assert 'class="office-logo"' in page and url.split("?")[1] in page
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page,
                              re.S).group(1))
    assert ld["publisher"]["logo"] == {"@type": "ImageObject", "url": url, "width": 600,
                                       "height": 200}
    assert anon.get(_path(ld["publisher"]["logo"]["url"])).status_code == 200


def test_the_newspaper_mail_as_received_shows_the_logo_in_its_head(app, demo, smtp,
                                                                   celery_worker):
    client = logged_in(app)
    assert _upload(client, png()).status_code == 302
    release = draft()
    db.session.commit()
    services.publish_release(release, None)
    db.session.commit()
    wait_for(lambda: len(smtp.messages) >= 1, timeout=30)
    html = html_part(smtp.messages[0])
    url = logo.logo_url(_office())
    head = html.split("<h1", 1)[0]
    img = re.search(r'<img src="([^"]+)" alt="([^"]+)" width="(\d+)" height="48"', head)
    assert img is not None, head
    assert img.group(1).replace("&amp;", "&") == url and img.group(2) == "Landkreis Leer"
    assert img.group(3) == str(round(48 * 600 / 200))
    assert app.test_client().get(_path(url)).status_code == 200
    assert "logo.png" not in text_part(smtp.messages[0])
