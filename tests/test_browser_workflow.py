"""The whole release workflow in Debian's chromium: an editor writes with an image and submits,
a second person approves and publishes under embargo, the outlets get SPERRFRIST mail while the
portal shows nothing, the embargo ends, and portal and feed show the release. Screenshots of
every desk page go to test-artifacts/screenshots/."""

import io
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
from PIL import Image
from playwright.sync_api import expect

from pressdesk.db import utcnow
from pressdesk.extensions import db
from pressdesk.releases import workflow
from pressdesk.releases.models import Release
from pressdesk.text import german_datetime
from tests.browser import CHROMIUM, browser_login, browser_page
from tests.conftest import wait_for
from tests.desk_helpers import berlin_input, four_eyes, parsed, text_part
from tests.helpers import ADMIN, EDITOR, PUBLISHER

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
HEADLINE = "Neue Fährverbindung nach Borkum ab Ostern"


def _photo(path: Path) -> Path:
    buf = io.BytesIO()
    Image.new("RGB", (1800, 1200), (30, 90, 140)).save(buf, "JPEG", quality=85)
    path.write_bytes(buf.getvalue())
    return path


def _release() -> Release:
    db.session.remove()
    release = db.session.query(Release).filter_by(headline=HEADLINE).one()
    return release


def test_write_submit_approve_embargo_and_release_in_chromium(app, demo, smtp, celery_worker,
                                                               live_server, tmp_path):
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: make test installs it"
    SHOTS.mkdir(parents=True, exist_ok=True)
    four_eyes(True)
    photo = _photo(tmp_path / "Fähranleger Borkum.jpg")
    base = live_server

    def shot(name: str) -> None:
        page.screenshot(path=str(SHOTS / f"workflow-{name}.png"), full_page=True)

    with browser_page() as page:
        # 1. the editor writes, adds a photo, looks at the previews and submits
        browser_login(page, base, EDITOR)
        page.click("text=Neue Mitteilung")
        page.fill("#headline", HEADLINE)
        page.fill("#subline", "AG Ems fährt ab April zusätzlich ab Emden-Außenhafen")
        page.fill("#lead", "Der Landkreis Leer und die AG Ems richten eine zusätzliche Verbindung ein.")
        page.fill("#body", "Die Fähre fährt **täglich** um 9 und 15 Uhr.\n\n"
                           "| Abfahrt | Ankunft |\n|---|---|\n| 09:00 Emden | 11:00 Borkum |\n\n"
                           "### Fahrkarten\n\nFahrkarten gibt es im Reisebüro und online.")
        shot("01-edit")
        page.click("button[type=submit].primary")
        page.wait_for_selector("#submit-button")
        page.click("text=Bild hinzufügen")
        page.set_input_files("#image-file", str(photo))
        page.fill("#alt", "Die Fähre am Anleger in Borkum bei Sonnenschein")
        page.fill("#caption", "V.l. Kapitän Jan de Vries, Landrat Matthias Groote")
        page.fill("#credit", "Foto: Landkreis Leer")
        page.click("#upload-image")
        expect(page.locator(".flash-success")).to_contain_text("Bild gespeichert")
        expect(page.locator("#bilder img.thumb")).to_be_visible()
        assert page.evaluate("document.querySelector('#bilder img.thumb').naturalWidth") > 0
        shot("02-show-draft")
        page.click("text=Als E-Mail")
        expect(page.locator("#mail-subject")).to_contain_text(HEADLINE)
        shot("03-preview-email")
        page.go_back()
        assert page.locator("#approve-button").count() == 0  # an editor sees no approve button
        assert page.locator("#publish-button").count() == 0
        page.click("#submit-button")
        expect(page.locator(".state.big")).to_have_text("In Prüfung")
        page.goto(f"{base}/desk/")
        shot("04-index")

        # 2. a second person (the publisher) approves and publishes under embargo
        browser_login(page, base, PUBLISHER)
        page.click(f"text={HEADLINE}")
        page.click("#approve-button")
        expect(page.locator(".state.big")).to_have_text("Freigegeben")
        embargo = (utcnow() + timedelta(hours=2)).replace(second=0, microsecond=0)
        page.fill("#embargo_until", berlin_input(embargo))
        shot("05-show-approved")
        page.click("#publish-button")
        expect(page.locator("#confirm-publish")).to_contain_text("9 E-Mail-Adressen")
        shot("05b-confirm-publish")
        page.click("#confirm-publish-button")
        page.wait_for_url("**/deliveries")
        expect(page.locator(".flash-success")).to_contain_text("SPERRFRIST")
        expect(page.locator("[data-state=sent] b")).to_have_text("9", timeout=30000)
        shot("06-deliveries")

        # 3. the outlets have it, with SPERRFRIST first; the public sees nothing yet
        def outlets():  # type: ignore[no-untyped-def]
            return [m for m in smtp.messages if not m.rcpt_tos[0].endswith("@pressdesk.example")]

        # ... and the desk's own people were told: whoever may approve of the submission, the
        # author of the approval and of the publication (service mail, the same worker)
        wait_for(lambda: len(outlets()) == 9 and len(smtp.messages) == 13, timeout=30)
        told = sorted((m.rcpt_tos[0], str(parsed(m)["Subject"]).split(":")[0])
                      for m in smtp.messages if m not in outlets())
        assert told == [("admin@pressdesk.example", "Zur Freigabe"),
                        ("leitung.leer@pressdesk.example", "Zur Freigabe"),
                        ("redaktion.leer@pressdesk.example", "Freigegeben"),
                        ("redaktion.leer@pressdesk.example", "Veröffentlicht")], told
        stamp = german_datetime(embargo)
        for m in outlets():
            assert parsed(m)["Subject"].startswith(f"SPERRFRIST: {stamp} – {HEADLINE}")
            assert text_part(m).startswith(f"SPERRFRIST: {stamp}")
            assert "Bild 1:" in text_part(m) and "V.l. Kapitän Jan de Vries" in text_part(m)
        release = _release()
        permalink = f"{base}/presse/landkreis-leer/{release.year}/{release.number}-{release.slug}"
        page.goto(f"{base}/desk/releases/{release.id}")
        expect(page.locator(".banner-warn")).to_contain_text("SPERRFRIST")
        shot("07-show-embargoed")
        page.context.clear_cookies()
        assert page.goto(permalink).status == 404
        page.goto(f"{base}/")
        assert HEADLINE not in page.content()
        # feeds are fetched past the browser's cache (they are served with max-age=60)
        assert HEADLINE not in page.request.get(f"{base}/feed.atom").text()

        # 4. the embargo ends (set it in the past, run beat's task function)
        release = _release()
        release.embargo_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
        assert workflow.end_embargoes() == [release.id]
        db.commit()
        response = page.goto(permalink)
        assert response.status == 200
        expect(page.locator("h1")).to_have_text(HEADLINE)
        assert page.evaluate("document.querySelector('article img').naturalWidth") > 0
        shot("08-portal-release")
        page.goto(f"{base}/")
        assert HEADLINE in page.content()
        feed = feedparser.parse(page.request.get(f"{base}/feed.atom").body())
        assert any(e.title == HEADLINE for e in feed.entries)

        # 5. a correction, then the withdrawal, through the same desk
        smtp.messages.clear()
        browser_login(page, base, PUBLISHER)
        page.goto(f"{base}/desk/releases/{release.id}")
        page.click("#correct-button")
        expect(page.locator(".flash-info")).to_contain_text("neue Version")
        page.fill("#body", page.input_value("#body").replace("9 und 15 Uhr", "9, 12 und 15 Uhr"))
        shot("09-correction")
        page.click("button[type=submit].primary")
        # under 4-eyes the correction waits for a second person; the portal keeps version 1
        expect(page.locator("#correction-pending")).to_be_visible()
        assert page.locator("#approve-correction-button").count() == 0  # not its own author
        assert smtp.messages == []
        browser_login(page, base, ADMIN)
        page.goto(f"{base}/desk/releases/{release.id}")
        page.click("#approve-correction-button")
        page.wait_for_url("**/deliveries")
        wait_for(lambda: len(smtp.messages) == 9, timeout=30)
        assert all(parsed(m)["Subject"].startswith("Korrektur: ") for m in smtp.messages)
        text = text_part(smtp.messages[0]).replace("\r\n", "\n")
        assert "\nvorher: Die Fähre fährt täglich um 9 und 15 Uhr." in text
        assert "\nnachher: Die Fähre fährt täglich um 9, 12 und 15 Uhr." in text
        page.goto(f"{base}/desk/releases/{release.id}/preview")
        expect(page.locator(".release .body")).to_contain_text("9, 12 und 15 Uhr")
        shot("10-preview-web")
        page.goto(f"{base}/desk/releases/{release.id}")
        expect(page.locator(".versions li")).to_have_count(2)
        page.click("text=Zurückziehen …")
        page.fill("#reason", "Die Verbindung wird erst im Sommer eingerichtet.")
        page.on("dialog", lambda dialog: dialog.accept())  # the "really withdraw?" question
        page.click("#withdraw-button")
        page.wait_for_url("**/deliveries")
        page.goto(f"{base}/desk/releases/{release.id}")
        expect(page.locator(".banner-bad")).to_contain_text("Zurückgezogen")
        shot("11-show-withdrawn")
        page.context.clear_cookies()
        assert page.goto(permalink).status == 410
        shot("12-portal-gone")


def test_desk_list_and_too_large_upload_in_chromium(app, demo, live_server, tmp_path, monkeypatch):
    """The release list with several states, and an upload beyond the request limit."""
    from pressdesk.releases import services
    from tests.helpers import draft

    SHOTS.mkdir(parents=True, exist_ok=True)
    for headline in ("Kreistag tagt am Donnerstag im Kreishaus",
                     "Impfaktion im Gesundheitsamt verlängert"):
        draft(headline=headline)
    services.publish_release(draft(headline="Neue Radwege im Rheiderland freigegeben"), None)
    db.commit()
    withdrawn = draft(headline="Sperrung der Jann-Berghaus-Brücke (zurückgezogen)")
    services.publish_release(withdrawn, None)
    db.commit()
    from pressdesk.accounts.services import find_user

    workflow.withdraw(db.session.get(Release, withdrawn.id), find_user(PUBLISHER), "Irrtum")
    db.commit()
    target = draft(headline="Haushalt 2027: Entwurf liegt aus")
    big = tmp_path / "Haushaltsplan 2027.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (300 * 1024))
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 200 * 1024)
    with browser_page() as page:
        browser_login(page, live_server, EDITOR)
        expect(page.locator("table.releases tbody tr")).to_have_count(5)
        page.screenshot(path=str(SHOTS / "workflow-00-index-states.png"), full_page=True)
        page.goto(f"{live_server}/desk/releases/{target.id}")
        page.set_input_files("#attachment-file", str(big))
        page.click("#upload-attachment")
        expect(page.locator("h1")).to_have_text("Datei zu groß")
        assert "Alles, was vorher gespeichert war, ist erhalten" in page.content()
        assert "höchstens 200 KB hochgeladen" in page.content()
        page.screenshot(path=str(SHOTS / "workflow-13-too-large.png"), full_page=True)
        page.click("text=Zurück zur Mitteilung")
        expect(page.locator("h1")).to_have_text("Haushalt 2027: Entwurf liegt aus")
