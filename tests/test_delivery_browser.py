"""The delivery report in chromium: row states change live (no reload), a 550 shows as failed
with its error, pause and resume work from the buttons; screenshots for people to look at."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import browser_login, browser_page
from tests.conftest import wait_for
from tests.delivery_support import publish_to, recipients, states
from tests.helpers import ADMIN

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"


def test_live_report_pause_resume(app, demo, smtp, celery_worker, live_server, monkeypatch):
    SHOTS.mkdir(parents=True, exist_ok=True)
    s = app.extensions["pressdesk.settings"]
    monkeypatch.setitem(app.extensions, "pressdesk.settings",
                        dataclasses.replace(s, rate_limit_per_second=2.0))
    rcpts = recipients(24)
    smtp.rcpt_replies[rcpts[3].email] = "550 5.1.1 <redaktion00003@zeitung.example>: unknown user"
    version = publish_to(rcpts)
    with browser_page(1280, 1000) as page:
        browser_login(page, live_server, ADMIN)
        page.goto(f"{live_server}/desk/versions/{version.id}/deliveries")
        page.evaluate("window.__noReload = true")
        first = page.locator("tr[data-row] >> nth=0").locator("[data-cell=state]")
        expect(first).to_have_text("Gesendet", timeout=20000)
        failed = page.locator("tr[data-row]", has_text=rcpts[3].email)
        expect(failed.locator("[data-cell=state]")).to_have_text("Fehlgeschlagen", timeout=20000)
        expect(failed.locator("[data-cell=error]")).to_contain_text("550 5.1.1")
        assert page.evaluate("window.__noReload") is True, "updated without a reload"
        page.screenshot(path=str(SHOTS / "delivery-live.png"), full_page=True)

        page.click("#pause-button")
        expect(page.locator("[data-control]")).to_contain_text("Angehalten (Demo-Administration")
        page.screenshot(path=str(SHOTS / "delivery-paused.png"), full_page=True)
        wait_for(lambda: "sending" not in states(version.id), timeout=10)
        held = states(version.id)
        assert held["queued"] > 0, held
        time.sleep(1.5)
        assert states(version.id) == held, "nothing is sent while paused"
        page.click("#resume-button")
        expect(page.locator("[data-state=sent] b")).to_have_text("23", timeout=30000)
        expect(page.locator("[data-state=failed] b")).to_have_text("1")
        page.screenshot(path=str(SHOTS / "delivery-done.png"), full_page=True)
        page.goto(f"{live_server}/desk/suppressions")
        assert rcpts[3].email in page.content()
        page.screenshot(path=str(SHOTS / "suppressions.png"), full_page=True)
    assert states(version.id) == {"sent": 23, "failed": 1}
