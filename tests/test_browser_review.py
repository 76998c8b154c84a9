"""Returning a release for changes, walked in Debian's chromium: the publisher writes why, the
author sees it on the release and in the mail."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from pressdesk.accounts.services import find_user
from pressdesk.extensions import db
from pressdesk.releases import services, workflow
from tests.browser import browser_login, browser_page
from tests.helpers import EDITOR, PUBLISHER, office
from tests.test_browser_desk import _axe_clean

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_wakeups")]


def test_return_with_a_comment_walk(app, demo, live_server):
    editor = find_user(EDITOR)
    release = services.create_release(office("landkreis-leer"), editor, {
        "headline": "Kreishaus am Freitag geschlossen", "lead": "Wegen einer Versammlung.",
        "body": "Ab Montag wieder geöffnet.", "dateline_place": "Leer"})
    workflow.submit(release, editor)
    db.commit()
    with browser_page(390, 844) as page:
        browser_login(page, live_server, PUBLISHER)
        page.goto(f"{live_server}/desk/releases/{release.id}")
        page.click("#reject-open")
        page.click("#reject-button")  # empty: the browser asks for the comment first
        assert page.evaluate("document.querySelector('#return-comment').validity.valueMissing")
        page.fill("#return-comment", "Bitte die Öffnungszeiten am Montag nennen.")
        _axe_clean(page, "return form")
        page.click("#reject-button")
        expect(page.locator(".flash-success")).to_contain_text("Zurück an die Redaktion")
        browser_login(page, live_server, EDITOR)
        page.goto(f"{live_server}/desk/releases/{release.id}")
        banner = page.locator("#return-comment-banner")
        expect(banner).to_contain_text("Bitte die Öffnungszeiten am Montag nennen.")
        expect(banner).to_contain_text("Gerd Oltmanns")
        _axe_clean(page, "returned release")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.click("#submit-button")
        expect(page.locator("#return-comment-banner")).to_have_count(0)
