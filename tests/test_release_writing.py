"""Writing: the Markdown preview endpoint, photos with the first save (several at once),
image texts changed after the upload, order and lead image."""

from __future__ import annotations

import io
import re

from pressdesk.extensions import db
from pressdesk.releases.images import placeholder_jpeg
from pressdesk.releases.markup import render_markdown
from tests.desk_helpers import actions_logged, fresh, write
from tests.formats_support import PDF
from tests.helpers import EDITOR, LINGEN_EDITOR, csrf_token, logged_in, post, token_of

BODY = "Eine **Umleitung**\n\n| Ort | km |\n| --- | ---: |\n| Boen | 4 |\n\n<script>x()</script>"


def test_the_preview_is_the_desk_renderer_and_needs_the_token(app, demo):
    editor = logged_in(app, EDITOR)
    resp = editor.post("/desk/markup-preview", data={"body": BODY,
                                                      "csrf_token": token_of(editor, "/desk/")})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert html == str(render_markdown(BODY))
    assert "<strong>Umleitung</strong>" in html and "<table>" in html and "<script" not in html
    assert editor.post("/desk/markup-preview", data={"body": BODY}).status_code == 400
    header = editor.post("/desk/markup-preview", data={"body": "*x*"},
                         headers={"X-CSRFToken": token_of(editor, "/desk/")})
    assert header.status_code == 200 and "<em>x</em>" in header.get_data(as_text=True)
    assert app.test_client().post("/desk/markup-preview", data={"body": "x"}).status_code in (
        302, 400)


def test_the_form_carries_the_editor_hooks(app, demo):
    html = logged_in(app, EDITOR).get("/desk/releases/new").get_data(as_text=True)
    assert 'data-editor="1"' in html and 'data-preview-url="/desk/markup-preview"' in html
    assert 'src="/static/editor.js"' in html and 'type="module"' in html
    labels = re.search(r'data-editor-labels="([^"]+)"', html).group(1)
    assert "&#34;bold&#34;: &#34;Fett&#34;" in labels or "&#34;bold&#34;:&#34;Fett&#34;" in labels


def _new_with_photos(client, photos, alt="Die Brücke bei Boen",  # type: ignore[no-untyped-def]
                     documents=()):
    page = client.get("/desk/releases/new").get_data(as_text=True)
    return client.post("/desk/releases/new", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(page), "headline": "Brücke bei Boen wird saniert",
        "lead": "Ab Montag.", "body": "Text", "dateline_place": "Leer",
        "files": [(io.BytesIO(placeholder_jpeg(p)), f"{p}.jpg") for p in photos]
        + [(io.BytesIO(data), name) for name, data in documents],
        "image_alt": alt, "image_caption": "Die Brücke", "image_credit": "Foto: Landkreis"})


def test_photos_are_saved_with_the_first_save_several_at_once(app, demo):
    editor = logged_in(app, EDITOR)
    resp = _new_with_photos(editor, ["eins", "zwei", "drei"])
    assert resp.status_code == 302, resp.get_data(as_text=True)
    rid = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    release = fresh(rid)
    assert [i.filename for i in release.images] == ["eins.jpg", "zwei.jpg", "drei.jpg"]
    assert {i.alt for i in release.images} == {"Die Brücke bei Boen"}
    assert "3 Bilder gespeichert." in editor.get(f"/desk/releases/{rid}").get_data(as_text=True)


def test_photos_without_alt_text_keep_the_typed_text(app, demo):
    editor = logged_in(app, EDITOR)
    resp = _new_with_photos(editor, ["eins"], alt="")
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "Alternativtext" in html and "Brücke bei Boen wird saniert" in html
    assert "bitte die Dateien erneut auswählen" in html
    from sqlalchemy import func, select

    from pressdesk.releases.models import Release

    assert db.session.scalar(select(func.count()).select_from(Release)) == 0


def test_photos_and_pdfs_are_saved_with_the_first_save_sorted_by_content(app, demo):
    editor = logged_in(app, EDITOR)
    resp = _new_with_photos(editor, ["eins"], documents=[("Umleitungsplan.pdf", PDF),
                                                         ("Zeitplan.pdf", PDF)])
    assert resp.status_code == 302, resp.get_data(as_text=True)
    rid = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    release = fresh(rid)
    assert [i.filename for i in release.images] == ["eins.jpg"]
    assert [(a.filename, a.content_type) for a in release.attachments] == [
        ("Umleitungsplan.pdf", "application/pdf"), ("Zeitplan.pdf", "application/pdf")]
    page = editor.get(f"/desk/releases/{rid}").get_data(as_text=True)
    assert "1 Bild gespeichert." in page and "2 Anhänge gespeichert." in page
    assert page.count('class="att-row"') == 2 and "Umleitungsplan.pdf" in page


def _media_files() -> set[str]:
    from pressdesk.releases.images import media_dir

    return {str(p) for p in media_dir().rglob("*") if p.is_file()}


def test_a_pdf_alone_needs_no_alt_text_and_a_bad_file_saves_nothing(app, demo):
    from sqlalchemy import func, select

    from pressdesk.releases.models import Release

    editor = logged_in(app, EDITOR)
    resp = _new_with_photos(editor, [], alt="", documents=[("plan.pdf", PDF)])
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert [a.filename for a in fresh(int(resp.headers["Location"].split("/")[-1])).attachments] \
        == ["plan.pdf"]
    # a text file named .pdf is judged by its content: refused, with its name, nothing kept
    before = _media_files()
    bad = _new_with_photos(editor, ["eins"], documents=[("plan.pdf", PDF),
                                                        ("notiz.pdf", b"nur Text")])
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert "notiz.pdf: Dieser Dateityp wird nicht angenommen" in html
    assert "Brücke bei Boen wird saniert" in html
    assert db.session.scalar(select(func.count()).select_from(Release)) == 1
    # and the files it stored before the refusal are gone again
    assert _media_files() == before


def test_several_pdfs_at_once_on_the_release_page(app, demo):
    editor = logged_in(app, EDITOR)
    rid = write(editor)
    resp = post(editor, f"/desk/releases/{rid}/attachments", {
        "file": [(io.BytesIO(PDF), "a.pdf"), (io.BytesIO(PDF), "b.pdf")]},
        page=f"/desk/releases/{rid}", content_type="multipart/form-data")
    assert resp.status_code == 302
    assert [a.filename for a in fresh(rid).attachments] == ["a.pdf", "b.pdf"]
    assert "2 Anhänge gespeichert." in editor.get(f"/desk/releases/{rid}").get_data(as_text=True)
    # one bad file among several: named, and none of them kept
    before = _media_files()
    bad = post(editor, f"/desk/releases/{rid}/attachments", {
        "file": [(io.BytesIO(PDF), "c.pdf"), (io.BytesIO(b"nur Text"), "notiz.pdf")]},
        page=f"/desk/releases/{rid}", content_type="multipart/form-data")
    assert bad.status_code == 400
    assert "notiz.pdf: Dieser Dateityp wird nicht angenommen" in bad.get_data(as_text=True)
    assert [a.filename for a in fresh(rid).attachments] == ["a.pdf", "b.pdf"]
    assert _media_files() == before


def test_several_photos_at_once_on_the_release_page(app, demo):
    editor = logged_in(app, EDITOR)
    rid = write(editor)
    resp = post(editor, f"/desk/releases/{rid}/images", {
        "file": [(io.BytesIO(placeholder_jpeg(p)), f"{p}.jpg") for p in ("a", "b")],
        "alt": "Baustelle", "caption": "", "credit": "", "rights": "frei"},
        page=f"/desk/releases/{rid}", content_type="multipart/form-data")
    assert resp.status_code == 302
    assert [i.filename for i in fresh(rid).images] == ["a.jpg", "b.jpg"]


def test_image_texts_order_and_lead_change_after_the_upload(app, demo):
    editor = logged_in(app, EDITOR)
    resp = _new_with_photos(editor, ["eins", "zwei", "drei"])
    rid = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    first, second, third = fresh(rid).images
    page = f"/desk/releases/{rid}"
    resp = post(editor, f"/desk/releases/{rid}/images/{second.id}", {
        "alt": "Der Bagger", "caption": "V.l. Bagger, Kran", "credit": "Foto: Kreis",
        "rights": "frei"}, page=page)
    assert resp.status_code == 302
    assert fresh(rid).images[1].alt == "Der Bagger"
    assert fresh(rid).images[1].caption == "V.l. Bagger, Kran"
    empty = post(editor, f"/desk/releases/{rid}/images/{second.id}", {"alt": ""}, page=page,
                 follow_redirects=True)
    assert "Alternativtext" in empty.get_data(as_text=True)
    assert fresh(rid).images[1].alt == "Der Bagger"
    post(editor, f"/desk/releases/{rid}/images/{third.id}/lead", page=page)
    assert [i.id for i in fresh(rid).images] == [third.id, first.id, second.id]
    post(editor, f"/desk/releases/{rid}/images/{first.id}/down", page=page)
    assert [i.id for i in fresh(rid).images] == [third.id, second.id, first.id]
    post(editor, f"/desk/releases/{rid}/images/{first.id}/up", page=page)
    assert [i.id for i in fresh(rid).images] == [third.id, first.id, second.id]
    html = editor.get(page).get_data(as_text=True)
    assert html.index("Titelbild") < html.index(f'id="bild-{first.id}"')
    # another office cannot touch them
    other = logged_in(app, LINGEN_EDITOR)
    assert post(other, f"/desk/releases/{rid}/images/{first.id}/lead").status_code == 404
    assert "release.created" in actions_logged(rid)
