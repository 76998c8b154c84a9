"""Images and attachments: content checked (not names), sizes, umlaut names, who may fetch them."""

import dataclasses
import io
import zipfile

from PIL import Image
from sqlalchemy import select

from pressdesk.extensions import db
from pressdesk.releases import services
from pressdesk.releases.models import ReleaseAttachment, ReleaseImage
from tests.desk_helpers import fresh, write
from tests.helpers import EDITOR, LINGEN_EDITOR, logged_in, post

PDF = (b"%PDF-1.4\n1 0 obj<< /Type /Catalog /Pages 2 0 R >>endobj\n"
       b"2 0 obj<< /Type /Pages /Kids [] /Count 0 >>endobj\ntrailer<< /Root 1 0 R >>\n%%EOF\n")


def jpeg(size=(1600, 1000), fmt="JPEG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (40, 90, 130)).save(buf, fmt)
    return buf.getvalue()


def docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("_rels/.rels", "<Relationships/>")
        zf.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def upload_image(client, rid, data, name="foto.jpg", **fields):  # type: ignore[no-untyped-def]
    form = {"alt": "Landrat übergibt den Förderbescheid", "caption": "V.l. Anna Eilers, Landrat",
            "credit": "Foto: Landkreis Leer", "rights": "Abdruck honorarfrei"}
    form.update(fields)
    form["file"] = (io.BytesIO(data), name)
    return post(client, f"/desk/releases/{rid}/images", form, content_type="multipart/form-data")


def upload_file(client, rid, data, name):  # type: ignore[no-untyped-def]
    return post(client, f"/desk/releases/{rid}/attachments", {"file": (io.BytesIO(data), name)},
                content_type="multipart/form-data")


def test_print_size_jpeg_and_png_are_kept_with_web_rendition(app, demo):
    editor = logged_in(app, EDITOR)
    rid = write(editor)
    assert upload_image(editor, rid, jpeg((2400, 1600))).status_code == 302
    page = editor.get(f"/desk/releases/{rid}").get_data(as_text=True)
    assert "Bild gespeichert." in page and "zu klein" not in page
    resp = upload_image(editor, rid, jpeg((1300, 900), "PNG"), name="karte.png")
    assert resp.status_code == 302
    imgs = fresh(rid).images
    assert [(i.content_type, i.width, i.height) for i in imgs] == [
        ("image/jpeg", 2400, 1600), ("image/png", 1300, 900)]
    assert imgs[0].caption == "V.l. Anna Eilers, Landrat" and imgs[0].alt.startswith("Landrat")
    web = editor.get(f"/desk/images/{imgs[0].public_id}/web.jpg")
    assert web.status_code == 200 and web.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(web.data)).size == (1200, 800)
    original = editor.get(f"/desk/images/{imgs[0].public_id}/original.jpg")
    assert Image.open(io.BytesIO(original.data)).size == (2400, 1600)


def test_small_image_is_accepted_with_a_warning(app, demo):
    editor = logged_in(app, EDITOR)
    rid = write(editor)
    assert upload_image(editor, rid, jpeg((800, 600))).status_code == 302
    page = editor.get(f"/desk/releases/{rid}").get_data(as_text=True)
    assert "nur 800×600 Pixel" in page and "1200×800" in page
    assert len(fresh(rid).images) == 1


def test_renamed_pdf_is_rejected_and_typed_texts_are_kept(app, demo):
    editor = logged_in(app, EDITOR)
    rid = write(editor)
    resp = upload_image(editor, rid, PDF, name="foto.jpg", caption="V.l. Bürgermeisterin Özdemir")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "kein lesbares JPEG- oder PNG-Bild" in page
    assert "V.l. Bürgermeisterin Özdemir" in page  # nothing typed is lost
    assert fresh(rid).images == []


def test_alt_text_is_required(app, demo):
    editor = logged_in(app, EDITOR)
    rid = write(editor)
    resp = upload_image(editor, rid, jpeg(), alt="  ")
    assert resp.status_code == 400 and "Alternativtext" in resp.get_data(as_text=True)
    assert fresh(rid).images == []


def test_draft_images_only_for_members_of_the_office_public_after_publication(app, demo):
    editor = logged_in(app, EDITOR)
    rid = write(editor)
    upload_image(editor, rid, jpeg())
    pid = fresh(rid).images[0].public_id
    public = app.test_client()
    assert public.get(f"/bilder/{pid}/web.jpg").status_code == 404
    assert public.get(f"/desk/images/{pid}/web.jpg").status_code == 302  # to the login
    assert logged_in(app, LINGEN_EDITOR).get(f"/desk/images/{pid}/web.jpg").status_code == 404
    services.publish_release(fresh(rid), None)
    db.commit()
    assert public.get(f"/bilder/{pid}/web.jpg").status_code == 200


def test_image_can_be_removed(app, demo):
    editor = logged_in(app, EDITOR)
    rid = write(editor)
    upload_image(editor, rid, jpeg())
    img = fresh(rid).images[0]
    assert post(editor, f"/desk/releases/{rid}/images/{img.id}/delete").status_code == 302
    assert fresh(rid).images == []
    assert db.session.scalar(select(ReleaseImage.id)) is None


def test_pdf_and_docx_attachments_keep_umlaut_names(app, demo):
    editor = logged_in(app, EDITOR)
    rid = write(editor)
    assert upload_file(editor, rid, PDF, "Übersichtskarte Straßensperrung.pdf").status_code == 302
    assert upload_file(editor, rid, docx(), "Hintergrund für Redaktionen.docx").status_code == 302
    atts = fresh(rid).attachments
    assert [(a.filename, a.content_type) for a in atts] == [
        ("Übersichtskarte Straßensperrung.pdf", "application/pdf"),
        ("Hintergrund für Redaktionen.docx",
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document")]
    got = editor.get(f"/desk/attachments/{atts[0].public_id}")
    assert got.status_code == 200 and got.data == PDF
    disposition = got.headers["Content-Disposition"]
    assert "attachment" in disposition
    assert "filename*=UTF-8''%C3%9Cbersichtskarte%20Stra%C3%9Fensperrung.pdf" in disposition


def test_attachment_checked_by_content_not_name(app, demo):
    editor = logged_in(app, EDITOR)
    rid = write(editor)
    for data, name in ((b"MZ\x90\x00" + b"\0" * 200, "bericht.pdf"),
                       (b"Nur Text, kein PDF", "bericht.pdf"),
                       (jpeg(), "tabelle.xlsx")):
        resp = upload_file(editor, rid, data, name)
        page = resp.get_data(as_text=True)
        assert resp.status_code == 400 and "Dieser Dateityp wird nicht angenommen" in page, name
    assert fresh(rid).attachments == []


def test_attachment_above_the_configured_size_gets_a_clear_error(app, demo, monkeypatch):
    settings = app.extensions["pressdesk.settings"]
    monkeypatch.setitem(app.extensions, "pressdesk.settings",
                        dataclasses.replace(settings, max_attachment_mb=1))
    editor = logged_in(app, EDITOR)
    rid = write(editor)
    big = PDF + b"%" + b"x" * (1024 * 1024 + 10)
    resp = upload_file(editor, rid, big, "Haushaltsplan.pdf")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "zu groß" in page and "höchstens 1 MB" in page
    assert db.session.scalar(select(ReleaseAttachment.id)) is None


def test_upload_beyond_the_request_limit_gets_a_german_page_and_loses_nothing(app, demo,
                                                                              monkeypatch):
    editor = logged_in(app, EDITOR)
    rid = write(editor)
    upload_file(editor, rid, PDF, "Anlage.pdf")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    resp = upload_file(editor, rid, PDF + b"x" * (1300 * 1024), "Riesig.pdf")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 413
    assert "Datei zu groß" in page and "höchstens 1 MB hochgeladen" in page
    assert "Alles, was vorher gespeichert war, ist erhalten" in page
    assert f"/desk/releases/{rid}" in page
    release = fresh(rid)
    assert [a.filename for a in release.attachments] == ["Anlage.pdf"]
    assert release.headline == "Kreisstraße 12 ab Montag gesperrt"


def test_attachments_public_only_with_the_release_and_not_for_other_offices(app, demo):
    editor = logged_in(app, EDITOR)
    rid = write(editor)
    upload_file(editor, rid, PDF, "Karte.pdf")
    pid = fresh(rid).attachments[0].public_id  # a plain value: requests end their session
    public = app.test_client()
    url = f"/anhaenge/{pid}/Karte.pdf"
    assert public.get(url).status_code == 404
    assert logged_in(app, LINGEN_EDITOR).get(f"/desk/attachments/{pid}").status_code == 404
    assert upload_file(logged_in(app, LINGEN_EDITOR), rid, PDF, "x.pdf").status_code == 404
    services.publish_release(fresh(rid), None)
    db.commit()
    assert public.get(url).status_code == 200
    release = fresh(rid)
    portal = public.get(f"/presse/landkreis-leer/{release.year}/{release.number}-{release.slug}")
    assert url in portal.get_data(as_text=True)
