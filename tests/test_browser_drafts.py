"""Copy, template, delete and the Sperrfrist after sending, walked in Debian's chromium."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from pressdesk.db import utcnow
from pressdesk.extensions import db
from pressdesk.releases.models import Release
from pressdesk.text import BERLIN
from tests.browser import browser_login, browser_page
from tests.delivery_support import publish_to, recipients
from tests.helpers import PUBLISHER
from tests.test_browser_desk import _axe_clean

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_wakeups")]


def test_template_copy_and_delete_walk(app, demo, live_server):
    with browser_page(390, 844) as page:
        browser_login(page, live_server, PUBLISHER)
        page.click("text=Neue Mitteilung")
        page.click("#template-choice >> text=Verkehrsmeldung")
        expect(page.locator("#headline")).to_have_value("Straße … ab … gesperrt")
        _axe_clean(page, "new from template")
        page.fill("#headline", "Kreisstraße 7 ab Montag gesperrt")
        page.click("button[type=submit].primary")
        page.wait_for_selector("#duplicate-button")
        page.click("#template-open")
        page.fill("#template-name", "Sperrung Kreisstraße")
        page.click("#template-save")
        expect(page.locator(".flash-success")).to_contain_text("Vorlage „Sperrung Kreisstraße“")
        show_url = page.url
        page.goto(f"{live_server}/desk/vorlagen/")
        page.click("#office-templates >> text=Bearbeiten")
        expect(page.locator("#name")).to_have_value("Sperrung Kreisstraße")
        page.fill("#lead", "Die Umleitung führt über Boen.")
        _axe_clean(page, "edit an office template")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.click("button[type=submit].primary")
        expect(page.locator(".flash-success")).to_contain_text("Vorlage „Sperrung Kreisstraße“ "
                                                               "gespeichert")
        page.goto(show_url)
        page.click("#duplicate-button")
        expect(page.locator(".flash-success")).to_contain_text("Kopie als neuer Entwurf")
        expect(page.locator("#headline")).to_have_value("Kreisstraße 7 ab Montag gesperrt")
        copy_url = page.url.rsplit("/edit", 1)[0]
        page.goto(copy_url)
        page.click("#delete-link")
        expect(page.locator("#confirm-delete")).to_contain_text("Kreisstraße 7 ab Montag gesperrt")
        _axe_clean(page, "confirm delete")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.click("#confirm-delete-button")
        expect(page.locator(".flash-success")).to_contain_text("gelöscht")
        page.goto(f"{live_server}/desk/releases/new")
        page.click("#template-choice >> text=Sperrung Kreisstraße")
        expect(page.locator("#headline")).to_have_value("Kreisstraße 7 ab Montag gesperrt")
        expect(page.locator("#lead")).to_have_value("Die Umleitung führt über Boen.")
    db.session.remove()
    assert len(db.session.scalars(select(Release)).all()) == 1  # the original; the copy is gone


def test_moving_the_sperrfrist_after_sending_walk(app, demo, live_server):
    embargo = (utcnow() + timedelta(hours=2)).replace(second=0, microsecond=0)
    version = publish_to(recipients(3))
    release = db.session.get(Release, version.release_id)
    release.embargo_until, release.went_public_at = embargo, None  # sent under embargo
    db.session.commit()
    later = (embargo + timedelta(days=1)).astimezone(BERLIN)
    with browser_page() as page:
        browser_login(page, live_server, PUBLISHER)
        page.goto(f"{live_server}/desk/releases/{release.id}")
        expect(page.locator("#new-embargo")).to_have_attribute("placeholder", "TT.MM.JJJJ HH:MM")
        page.fill("#new-embargo", "morgen früh")
        page.click("#embargo-move")  # the German pattern stops it in the browser
        assert page.evaluate("document.querySelector('#new-embargo').validity.patternMismatch")
        page.fill("#new-embargo", later.strftime("%d.%m.%Y %H:%M"))
        _axe_clean(page, "embargo form")
        page.click("#embargo-move")
        expect(page.locator(".flash-success")).to_contain_text("3 Redaktionen erhalten einen Hinweis")
        expect(page.locator(".banner-warn")).to_contain_text(later.strftime("%d.%m.%Y"))
        page.once("dialog", lambda d: d.accept())
        page.click("#embargo-lift")
        expect(page.locator(".flash-success")).to_contain_text("Sperrfrist aufgehoben")
        expect(page.locator("#embargo-form")).to_have_count(0)


def test_the_calendar_button_fills_the_german_field(app, demo, live_server):
    """The German text field stays what is sent; "Kalender" opens the browser's own picker at
    the field's time, and what is picked lands in the field in German form (and picks
    "Geplant am"). Headless chromium shows no picker window, so the test sets the picker's
    value as a person's choice would."""
    from datetime import datetime

    from tests.helpers import draft

    release = draft()
    rid = release.id
    for width in (390, 1280):
        with browser_page(width, 844) as page:
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            browser_login(page, live_server, PUBLISHER)
            page.goto(f"{live_server}/desk/releases/{rid}")
            field = page.locator("#scheduled_at")
            button = page.locator("button[data-picker-for=scheduled_at]")
            expect(button).to_be_visible()
            expect(page.locator("button[data-picker-for=embargo_until]")).to_be_visible()
            field.fill("01.12.2027 10:15")
            button.click()
            picker = page.locator("input[data-picker-of=scheduled_at]")
            expect(picker).to_have_value("2027-12-01T10:15")  # opened at the typed time
            page.keyboard.press("Escape")
            picker.fill("2027-03-05T07:45", force=True)
            expect(field).to_have_value("05.03.2027 07:45")
            expect(page.locator("#when-later")).to_be_checked()
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            if width == 390:
                _axe_clean(page, "publish form with calendar buttons")
                from tests.test_browser_desk import SHOTS_DIR

                SHOTS_DIR.mkdir(parents=True, exist_ok=True)
                page.locator("#publish-button").scroll_into_view_if_needed()
                page.locator("form:has(#publish-button)").screenshot(
                    path=str(SHOTS_DIR / "publish-form-calendar-390.png"))
                continue
            page.click("#publish-button")
            expect(page.locator("main")).to_contain_text("05.03.2027")
            page.click("#confirm-publish-button")
            expect(page.locator(".flash-success").first).to_be_visible()
            assert not errors, errors
    db.session.remove()
    saved = db.session.get(Release, rid)
    assert saved.status == "scheduled"
    assert saved.scheduled_at == datetime(2027, 3, 5, 7, 45, tzinfo=BERLIN)
