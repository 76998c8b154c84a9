"""The ways back into an account, walked in Debian's chromium with the real worker and SMTP:
"Passwort vergessen", an invitation of a new member, the second factor."""

from __future__ import annotations

import email
import re
import time
from email import policy

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser import browser_login, browser_page
from tests.conftest import wait_for
from tests.helpers import ADMIN, EDITOR
from tests.test_browser_desk import _axe_clean

pytestmark = pytest.mark.browser
NEW_PASSWORD = "Krokus-Deich-Lotsenboot-7"


def _mail_to(smtp, address: str) -> str:  # type: ignore[no-untyped-def]
    received = wait_for(lambda: [m for m in smtp.messages if address in m.rcpt_tos])
    msg = email.message_from_bytes(received[-1].data, policy=policy.default)
    return str(msg.get_body(("plain",)).get_content())


def _url(text: str) -> str:
    match = re.search(r"http://\S+", text)
    assert match, text
    return match.group(0)


def test_forgotten_password_walk(app, demo, smtp, celery_worker, live_server):
    with browser_page(390, 844) as page:
        page.goto(f"{live_server}/login")
        page.click("#forgot-link")
        _axe_clean(page, "forgot password")
        page.fill("#email", EDITOR)
        page.click("button[type=submit].primary")
        expect(page.locator(".flash-success")).to_contain_text("Link zum Festlegen")
        link = _url(_mail_to(smtp, EDITOR))
        assert "/passwort/neu/" in link
        page.goto(link)
        _axe_clean(page, "set password")
        page.fill("#new", NEW_PASSWORD)
        page.fill("#repeat", NEW_PASSWORD)
        page.click("button[type=submit].primary")
        expect(page.locator(".flash-success")).to_contain_text("Passwort ist gespeichert")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        browser_login(page, live_server, EDITOR, NEW_PASSWORD)
        page.goto(link)  # the same link a second time
        expect(page.locator("h1")).to_have_text("Dieser Link gilt nicht mehr")
        expect(page.locator("a.button")).to_have_text("Neuen Link anfordern")


def test_invitation_walk(app, demo, smtp, celery_worker, live_server):
    address = "neu.person@landkreis-leer.example"
    with browser_page() as page:
        browser_login(page, live_server, ADMIN)
        page.goto(f"{live_server}/desk/members/")
        page.fill("#email", address)
        page.fill("#name", "Jörg Müller")
        page.click("aside button[type=submit].primary")
        expect(page.locator(".flash-info")).to_contain_text("Einladung")
        expect(page.locator("#members")).to_contain_text("eingeladen")
        link = _url(_mail_to(smtp, address))
        page.context.clear_cookies()
        page.goto(link)
        expect(page.locator("h1")).to_have_text("Willkommen, Jörg Müller")
        page.fill("#new", NEW_PASSWORD)
        page.fill("#repeat", NEW_PASSWORD)
        page.click("button[type=submit].primary")
        browser_login(page, live_server, address, NEW_PASSWORD)
        expect(page.locator(".office-badge")).to_have_text("Landkreis Leer")


def test_second_factor_walk(app, demo, live_server):
    with browser_page(390, 844) as page:
        browser_login(page, live_server, EDITOR)
        page.click("text=Mein Konto")
        _axe_clean(page, "account")
        page.click("#two-factor-setup")
        expect(page.locator("figure.qr svg")).to_be_visible()
        _axe_clean(page, "two factor setup")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        secret = page.locator("#totp-secret").inner_text().strip()
        totp = pyotp.TOTP(secret)
        page.fill("#code", totp.now())
        page.click("button[type=submit].primary")
        expect(page.locator("#two-factor-state")).to_contain_text("eingerichtet")
        page.click("button.link-button:has-text('Abmelden')")
        page.goto(f"{live_server}/login")
        page.fill("#email", EDITOR)
        page.fill("#password", "pressdesk-demo")
        page.click("button[type=submit].primary")
        page.wait_for_url(f"{live_server}/login/code")
        _axe_clean(page, "login code")
        page.fill("#code", "000000" if totp.now() != "000000" else "111111")
        page.click("button[type=submit].primary")
        expect(page.locator("#code-error")).to_contain_text("Code stimmt nicht")
        # the next step's code (the one of setup is used up; the server allows one step of drift)
        page.fill("#code", totp.at(time.time() + 30))
        page.click("button[type=submit].primary")
        page.wait_for_url(f"{live_server}/desk/")
