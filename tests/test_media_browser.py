"""In chromium: an office admin imports a media list from an Excel CSV, builds a list, manages
members and settings, and reads the audit log. Screenshots of each page for people to look at."""

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from pressdesk.extensions import db
from pressdesk.media.models import DistributionList, Outlet
from tests.browser import CHROMIUM, browser_login, browser_page
from tests.helpers import ADMIN, office

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"

EXCEL_CSV = (
    "Name;Art;E-Mail;Weitere Adressen;Region;Bilder;Aktiv\r\n"
    "Emder Zeitung;Tageszeitung;redaktion@emder-zeitung.example;lokal@emder-zeitung.example;"
    "Emden;Anhang;ja\r\n"
    "Ostfriesischer Kurier;Tageszeitung;kurier@@example;;Norden;Link;ja\r\n"
    "Anzeiger für Harlingerland;Wochenblatt;redaktion@harlinger.example;;Wittmund;Link;ja\r\n"
    "Ostfriesen-Zeitung Kopie;Tageszeitung;redaktion@ostfriesen-zeitung.example;;Leer;Link;ja\r\n"
    "Podcast Ems;Podcast;podcast@ems.example;;;Link;ja\r\n"
    "Radio Ostfriesland;Radio;studio@radio-ostfriesland.example;;Aurich;Link;nein\r\n"
).encode("cp1252")


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_admin_manages_media_members_settings_in_chromium(app, demo, live_server, tmp_path):
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: make test installs it"
    SHOTS.mkdir(parents=True, exist_ok=True)
    upload = tmp_path / "Medienliste Ostfriesland (Excel).csv"
    upload.write_bytes(EXCEL_CSV)
    with browser_page() as page:
        browser_login(page, live_server, ADMIN)

        page.click("nav.desk-nav >> text=Medien")
        expect(page.locator("h1")).to_contain_text("Medien")
        _shot(page, "media-outlets")

        # Import: upload -> report -> confirm.
        page.click("text=CSV importieren")
        page.set_input_files("#file", str(upload))
        _shot(page, "media-import")
        page.click("button.primary")
        page.wait_for_url("**/desk/media/import/*")
        expect(page.locator("#valid-count")).to_have_text("3")
        expect(page.locator("#invalid-count")).to_have_text("3")
        assert "Medienliste Ostfriesland (Excel).csv" in page.content()
        assert "Unbekannte Art „Podcast“" in page.content()
        assert "Anzeiger für Harlingerland" in page.content()  # umlaut from Windows-1252
        _shot(page, "media-import-review")
        db.session.remove()
        assert db.session.scalar(select(Outlet).where(Outlet.name == "Emder Zeitung")) is None
        page.select_option("#list_id", label="Regionale Medien")
        page.click("#confirm-import")
        page.wait_for_url(f"{live_server}/desk/media/")
        expect(page.locator(".flash-success")).to_contain_text("3 Medien importiert.")
        assert "Anzeiger für Harlingerland" in page.content()
        _shot(page, "media-outlets-after-import")

        # A new outlet by hand, with a duplicate address first.
        page.click("text=Neues Medium")
        page.fill("#name", "Jeversches Wochenblatt")
        page.select_option("#kind", "weekly")
        page.fill("#email", "redaktion@emder-zeitung.example")
        page.fill("#region", "Friesland")
        page.click("button[type=submit].primary")
        expect(page.locator(".flash-error")).to_contain_text("schon bei „Emder Zeitung“")
        _shot(page, "media-outlet-form-error")
        page.fill("#email", "redaktion@jeversches-wochenblatt.example")
        page.click("button[type=submit].primary")
        page.wait_for_url(f"{live_server}/desk/media/")

        # A new list with the weeklies.
        page.click("nav.desk-nav >> text=Verteiler")
        page.fill("#name", "Wochenblätter")
        page.click("aside button.primary")
        page.wait_for_url("**/desk/media/lists/*")
        page.check("label:has-text('Der Leeraner') >> xpath=../.. >> input[type=checkbox]")
        page.check("label:has-text('Jeversches Wochenblatt') >> xpath=../.. >> input[type=checkbox]")
        _shot(page, "media-list-edit")
        page.click("button[type=submit].primary")
        page.wait_for_url(f"{live_server}/desk/media/lists")
        _shot(page, "media-lists")

        page.click("nav.desk-nav >> text=Mitglieder")
        page.fill("#email", "pressesprecherin@landkreis-leer.example")
        page.fill("#name", "Frauke Schön")
        page.select_option("#role", "publisher")
        page.fill("#password", "ein-sicheres-anfangspasswort")
        page.click("aside button.primary")
        expect(page.locator(".flash-success")).to_contain_text("Frauke Schön")
        _shot(page, "admin-members")

        page.click("nav.desk-nav >> text=Einstellungen")
        page.fill("#contact_name", "Dieter Bäumer")
        page.click("form.form-card button.primary")
        expect(page.locator(".flash-success")).to_contain_text("Einstellungen gespeichert.")
        page.fill("#topics input[name=name][placeholder]", "Wirtschaft")
        page.click("#topics .term-row.add button")
        page.fill("#topics input[name=name][placeholder]", "Straßenbau")
        page.click("#topics .term-row.add button")
        page.fill("#regions input[name=name][placeholder]", "Rheiderland")
        page.click("#regions .term-row.add button")
        expect(page.locator("#regions input[value=\"Rheiderland\"]")).to_have_count(1)
        expect(page.locator("#topics input[value=\"Straßenbau\"]")).to_have_count(1)
        _shot(page, "admin-settings")

        page.click("nav.desk-nav >> text=Protokoll")
        html = page.content()
        for label in ("Medien importiert", "Medium angelegt", "Verteiler angelegt",
                      "Konto angelegt", "Einstellungen geändert", "Region angelegt"):
            assert label in html, label
        _shot(page, "admin-audit")

        page.click("footer >> text=English")
        page.goto(f"{live_server}/desk/media/")
        expect(page.locator("h1")).to_contain_text("Outlets")
        _shot(page, "media-outlets-en")

    db.session.remove()
    leer = office("landkreis-leer")
    weekly = db.session.scalar(select(DistributionList).where(
        DistributionList.office_id == leer.id, DistributionList.name == "Wochenblätter"))
    assert sorted(o.name for o in weekly.outlets) == ["Der Leeraner", "Jeversches Wochenblatt"]
    assert leer.contact_name == "Dieter Bäumer"
