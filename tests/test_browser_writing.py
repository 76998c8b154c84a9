"""Writing in Debian's chromium: the Markdown toolbar and its shortcuts, the live preview from
the server's renderer, photos dropped onto the form before the first save, and the whole
"write, attach a photo, publish" path with its clicks counted."""

from __future__ import annotations

import base64

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from pressdesk.extensions import db
from pressdesk.releases.images import placeholder_jpeg
from pressdesk.releases.models import Release
from tests.browser import browser_login, browser_page
from tests.helpers import PUBLISHER
from tests.test_browser_desk import _axe_clean

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_wakeups")]

DROP = """([name, b64, type]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const dt = new DataTransfer();
  dt.items.add(new File([bytes], name, {type: type || 'image/jpeg'}));
  return dt;
}"""


def test_toolbar_shortcuts_and_live_preview(app, demo, live_server):
    with browser_page() as page:
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text)
                if m.type == "error" and "Failed to load resource" not in m.text else None)
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
        browser_login(page, live_server, PUBLISHER)
        page.goto(f"{live_server}/desk/releases/new")
        toolbar = page.locator(".md-toolbar[role=toolbar]")
        expect(toolbar.locator("button")).to_have_count(6)
        body = page.locator("#body")
        body.fill("Umleitung")
        body.press("Control+a")
        page.click("[data-md-action=bold]")
        expect(body).to_have_value("**Umleitung**")
        body.press("End")
        body.press("Enter")
        body.type("Boen")
        body.press("Control+Shift+L")
        expect(body).to_have_value("**Umleitung**\n- Boen")
        body.press("End")
        body.press("Control+i")  # nothing chosen: a sample word, selected
        body.type("sehr")
        expect(body).to_have_value("**Umleitung**\n- Boen*sehr*")
        body.press("Control+End")
        body.press("Control+Alt+t")
        expect(body).to_have_value(
            "**Umleitung**\n- Boen*sehr*\n\n| Spalte 1 | Spalte 2 |\n| --- | --- |\n|  |  |\n")
        preview = page.locator("#body-preview .md-preview")
        expect(preview.locator("strong")).to_have_text("Umleitung")
        expect(preview.locator("table th").first).to_have_text("Spalte 1")
        expect(preview.locator("li em")).to_have_text("sehr")
        page.click("[data-md-action=link]")
        expect(preview.locator("a")).to_have_count(1)
        _axe_clean(page, "editor with preview")
        assert not errors, errors  # the CSP let the module and the fetch through
    with browser_page(390, 844) as page:
        browser_login(page, live_server, PUBLISHER)
        page.goto(f"{live_server}/desk/releases/new")
        expect(page.locator(".md-toolbar")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_write_attach_a_photo_publish_in_five_clicks(app, demo, live_server):
    """Neue Mitteilung · drop the photo · Speichern · Veröffentlichen … · Ja: five clicks/drops,
    the last one a confirmation naming the lists and the recipient count (before: six, the photo
    uploaded on the release page after the first save: open "Bild hinzufügen", choose the file,
    "Bild hochladen"; and "Veröffentlichen und versenden" mailed every newspaper without asking)."""
    photo = base64.b64encode(placeholder_jpeg("Brücke")).decode()
    clicks = 0
    with browser_page() as page:
        browser_login(page, live_server, PUBLISHER)
        page.click("text=Neue Mitteilung")
        clicks += 1
        page.fill("#headline", "Brücke bei Boen wird saniert")
        page.fill("#lead", "Ab Montag gilt eine Umleitung.")
        page.fill("#body", "Die Arbeiten dauern **drei Wochen**.")
        data = page.evaluate_handle(DROP, ["bruecke.jpg", photo])
        page.dispatch_event(".drop-zone[data-drop-for=new-file-input]", "drop",
                            {"dataTransfer": data})
        clicks += 1
        assert page.evaluate("document.querySelector('#new-file-input').files.length") == 1
        page.fill("#image_alt", "Die Brücke über die Ems bei Boen")
        page.click("button[type=submit].primary")
        clicks += 1
        expect(page.locator(".flash-success").last).to_contain_text("1 Bild gespeichert")
        expect(page.locator(".lead-tag")).to_have_text("Titelbild")
        page.click("#publish-button")
        clicks += 1
        page.click("#confirm-publish-button")
        clicks += 1
        page.wait_for_url("**/deliveries")
    assert clicks == 5
    db.session.remove()
    release = db.session.scalar(select(Release))
    assert release.status == "published" and [i.alt for i in release.images] == [
        "Die Brücke über die Ems bei Boen"]


def test_a_photo_and_a_pdf_dropped_before_the_first_save_are_on_the_saved_release(
        app, demo, live_server):
    """Two drops onto the new form (a photo, then a PDF) add up; both are listed before saving
    and are on the release after the first save."""
    from tests.formats_support import PDF

    photo = base64.b64encode(placeholder_jpeg("Brücke")).decode()
    pdf = base64.b64encode(PDF).decode()
    for width in (1280, 390):
        with browser_page(width, 844) as page:
            browser_login(page, live_server, PUBLISHER)
            page.goto(f"{live_server}/desk/releases/new")
            page.fill("#headline", f"Brücke bei Boen wird saniert ({width})")
            zone = ".drop-zone[data-drop-for=new-file-input]"
            page.dispatch_event(zone, "drop", {"dataTransfer": page.evaluate_handle(
                DROP, ["bruecke.jpg", photo, "image/jpeg"])})
            page.dispatch_event(zone, "drop", {"dataTransfer": page.evaluate_handle(
                DROP, ["Umleitungsplan.pdf", pdf, "application/pdf"])})
            # a file the input does not take is left out (the server would refuse it anyway)
            page.dispatch_event(zone, "drop", {"dataTransfer": page.evaluate_handle(
                DROP, ["notiz.txt", pdf, "text/plain"])})
            chosen = page.locator("[data-chosen-for=new-file-input] li")
            expect(chosen).to_have_text(["bruecke.jpg", "Umleitungsplan.pdf"])
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            if width == 390:
                _axe_clean(page, "new release form with chosen files")
            page.fill("#image_alt", "Die Brücke über die Ems bei Boen")
            page.click("button[type=submit].primary")
            expect(page.locator(".flash-success").last).to_contain_text("1 Anhang gespeichert")
            expect(page.locator(".flash-success")).to_contain_text(["Entwurf gespeichert",
                                                                    "1 Bild gespeichert",
                                                                    "1 Anhang gespeichert"])
            expect(page.locator("#anhaenge .att-row a")).to_have_text("Umleitungsplan.pdf")
            expect(page.locator(".lead-tag")).to_have_text("Titelbild")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
    db.session.remove()
    for release in db.session.scalars(select(Release)):
        assert [i.filename for i in release.images] == ["bruecke.jpg"]
        assert [(a.filename, a.size_bytes) for a in release.attachments] == [
            ("Umleitungsplan.pdf", len(PDF))]
        assert [i.alt for i in release.images] == ["Die Brücke über die Ems bei Boen"]
    assert len(db.session.scalars(select(Release)).all()) == 2


def test_photos_are_reordered_and_captioned_after_the_upload(app, demo, live_server):
    from tests.helpers import draft

    release = draft()
    from pressdesk.releases import images

    for name in ("eins", "zwei"):
        images.add_image(release, f"{name}.jpg", placeholder_jpeg(name), "", "", name, "frei")
    db.session.commit()
    second = release.images[1]
    with browser_page(390, 844) as page:
        browser_login(page, live_server, PUBLISHER)
        page.goto(f"{live_server}/desk/releases/{release.id}")
        page.click(f"#lead-{second.id}")
        expect(page.locator(".media-row").first).to_have_attribute("id", f"bild-{second.id}")
        row = page.locator(f"#bild-{second.id}")
        row.locator("summary").click()
        row.locator("textarea[name=caption]").fill("V.l. Anna Eilers, Landrätin")
        row.locator("button[type=submit]:has-text('Angaben speichern')").click()
        expect(page.locator(f"#bild-{second.id}")).to_contain_text("V.l. Anna Eilers, Landrätin")
        _axe_clean(page, "images with edit forms")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
