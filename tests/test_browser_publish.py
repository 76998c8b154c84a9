"""A real browser logs in and publishes through the real form; screenshots for people to see."""

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from pressdesk.delivery.models import Delivery
from pressdesk.extensions import db
from tests.browser import CHROMIUM, browser_page
from tests.conftest import wait_for

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"


def test_login_write_publish_in_chromium(app, demo, smtp, celery_worker, live_server):
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: make test installs it"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with browser_page() as page:
        page.goto(f"{live_server}/desk/")
        assert "/login" in page.url
        page.fill("#email", "leitung.leer@pressdesk.example")  # publisher role
        page.fill("#password", "pressdesk-demo")
        page.screenshot(path=str(SHOTS / "login.png"))
        page.click("button[type=submit].primary")
        page.wait_for_url(f"{live_server}/desk/")
        page.click("text=Neue Mitteilung")
        page.fill("#headline", "Fähre nach Borkum fährt wieder nach Fahrplan")
        page.fill("#subline", "Hafenarbeiten in Emden abgeschlossen")
        page.fill("#lead", "Ab Montag gilt wieder der reguläre Sommerfahrplan.")
        page.fill("#body", "Die AG Ems meldet **keine** Einschränkungen mehr.")
        page.screenshot(path=str(SHOTS / "edit.png"), full_page=True)
        page.click("button[type=submit].primary")
        page.wait_for_selector("#publish-button")
        page.screenshot(path=str(SHOTS / "show.png"), full_page=True)
        page.click("#publish-button")
        expect(page.locator("#confirm-publish")).to_contain_text("9 E-Mail-Adressen")
        page.click("#confirm-publish-button")
        page.wait_for_url("**/deliveries")
        assert "Veröffentlicht" in page.content()
        # the live progress bar fills without a reload
        expect(page.locator("[data-state=sent] b")).to_have_text("9", timeout=30000)
        page.screenshot(path=str(SHOTS / "deliveries.png"), full_page=True)
        page.goto(f"{live_server}/")
        assert "Fähre nach Borkum fährt wieder nach Fahrplan" in page.content()
        page.screenshot(path=str(SHOTS / "portal-home.png"), full_page=True)
        page.click("text=Fähre nach Borkum fährt wieder nach Fahrplan")
        page.screenshot(path=str(SHOTS / "portal-release.png"), full_page=True)
        assert "Hafenarbeiten in Emden abgeschlossen" in page.content()

    db.session.remove()
    sent = db.session.scalars(select(Delivery).where(Delivery.state == "sent")).all()
    wait_for(lambda: len(smtp.messages) == 9)
    assert len(sent) == 9
