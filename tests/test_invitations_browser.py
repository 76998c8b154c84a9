"""The invitation walk in chromium, with the real SMTP sink and a real worker: the office
publishes an invitation -> the outlet's mail has a valid iCalendar REQUEST -> the outlet
answers "with photographer" through the link in its mail -> the office's list shows it -> the
office moves the time -> the outlet's mail carries an update with a higher SEQUENCE -> the office
cancels -> a CANCEL goes out. Pages checked at 390 px too."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from pressdesk.text import BERLIN
from tests.browser import browser_login, browser_page
from tests.conftest import wait_for
from tests.desk_helpers import berlin_input, parsed, text_part
from tests.helpers import PUBLISHER
from tests.invitation_support import HEADLINE, calendar_of, parse_both, start_in

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
OUTLET = "redaktion@ostfriesen-zeitung.example"


def _mails_to(smtp, address: str, subject_start: str = ""):  # type: ignore[no-untyped-def]
    return [m for m in list(smtp.messages) if address in m.rcpt_tos
            and str(parsed(m)["Subject"]).startswith(subject_start)]


def _event(mail):  # type: ignore[no-untyped-def]
    ics, ctype = calendar_of(mail.data)
    cal, vcal = parse_both(ics)
    ev = cal.walk("VEVENT")[0]
    assert vcal.vevent.uid.value == str(ev["UID"])
    assert int(vcal.vevent.sequence.value) == int(ev["SEQUENCE"])
    assert vcal.method.value == str(cal["METHOD"])
    return cal, ev, ctype.replace('"', "")


@contextmanager
def _phone(page):  # type: ignore[no-untyped-def]
    """A second browser context (no login, a phone's width) in the same chromium."""
    context = page.context.browser.new_context(viewport={"width": 390, "height": 844},
                                               locale="de-DE")
    try:
        yield context.new_page()
    finally:
        context.close()


def _fits(page, width: int) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def test_invitation_rsvp_move_and_cancel_in_chromium(app, demo, smtp, celery_worker,
                                                     live_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    start = start_in(8)
    with browser_page(1280, 1000) as page:
        page.on("dialog", lambda d: d.accept())
        browser_login(page, live_server, PUBLISHER)
        page.click("text=Neue Mitteilung")
        page.fill("#headline", HEADLINE)
        page.fill("#lead", "Der Landkreis Leer lädt die Medien ein.")
        page.fill("#body", "Wir laden Sie herzlich ein.")
        page.click("button[type=submit].primary")
        page.wait_for_selector("#appointment-link")
        page.click("#appointment-link")
        page.fill("#starts_at", berlin_input(start))
        page.fill("#ends_at", berlin_input(start + timedelta(hours=1)))
        page.fill("#place_name", "Kreishaus Leer, Sitzungssaal")
        page.fill("#address", "Bergmannstraße 37, 26789 Leer")
        page.fill("#programme", "Landrat Matthias Groote stellt das Kompetenzzentrum vor.")
        page.fill("#rsvp_until", berlin_input(start - timedelta(days=1)))
        page.click("#appointment-save")
        expect(page.locator(".flash")).to_contain_text("Termin gespeichert")
        page.click("text=" + HEADLINE[:30])
        page.click("#publish-button")
        page.click("#confirm-publish-button")
        page.wait_for_url("**/deliveries")

        # 1. the outlet's mail: a valid calendar REQUEST and the reply links
        wait_for(lambda: _mails_to(smtp, OUTLET), timeout=60)
        first = _mails_to(smtp, OUTLET)[0]
        cal, ev, ctype = _event(first)
        assert str(cal["METHOD"]) == "REQUEST" and "method=REQUEST" in ctype
        assert int(ev["SEQUENCE"]) == 0 and ev.decoded("DTSTART") == start.astimezone(BERLIN)
        uid = str(ev["UID"])
        text = text_part(first)
        link = re.search(r"Wir kommen mit Fotograf / Kamerateam: (\S+)", text)
        assert link, text
        assert "PDLINKTOKENMARK0" not in link.group(1), "the token was filled in"
        rsvp_url = link.group(1)

        # 2. the outlet answers "with photographer" (a browser without the office's login)
        with _phone(page) as phone:
            phone.goto(rsvp_url)
            expect(phone.locator("#reply-answer")).to_have_text(
                "Wir kommen mit Fotograf / Kamerateam")
            _fits(phone, 390)
            phone.fill("#name", "Jan Janssen (Foto)")
            phone.click("#reply-confirm")
            expect(phone.locator("#reply-done")).to_contain_text("Ostfriesen-Zeitung")
            _fits(phone, 390)
            phone.screenshot(path=str(SHOTS / "invitation-reply-390.png"), full_page=True)

        # 3. the office's list shows it
        page.goto(f"{live_server}/desk/")
        page.click("text=" + HEADLINE[:30])
        page.click("#appointment-link")
        row = page.locator('tr[data-reply="fotograf"]')
        expect(row).to_contain_text("Ostfriesen-Zeitung")
        expect(row).to_contain_text("Jan Janssen (Foto)")
        page.screenshot(path=str(SHOTS / "invitation-replies.png"), full_page=True)
        appointment_url = page.url

        # 4. the office moves the time: an update with a higher SEQUENCE
        smtp.messages.clear()
        later = start + timedelta(hours=2)
        page.fill("#starts_at", berlin_input(later))
        page.fill("#ends_at", berlin_input(later + timedelta(hours=1)))
        page.click("#appointment-save")
        page.wait_for_url("**/deliveries")
        wait_for(lambda: _mails_to(smtp, OUTLET, "Korrektur:"), timeout=60)
        cal, ev, ctype = _event(_mails_to(smtp, OUTLET, "Korrektur:")[0])
        assert str(cal["METHOD"]) == "REQUEST" and str(ev["UID"]) == uid
        assert int(ev["SEQUENCE"]) == 1 and ev.decoded("DTSTART") == later.astimezone(BERLIN)

        # 5. the office cancels: CANCEL with a higher SEQUENCE still
        smtp.messages.clear()
        page.goto(appointment_url)
        page.click("#appointment-cancel")
        page.wait_for_url("**/deliveries")
        wait_for(lambda: _mails_to(smtp, OUTLET, "Korrektur:"), timeout=60)
        cal, ev, ctype = _event(_mails_to(smtp, OUTLET, "Korrektur:")[0])
        assert str(cal["METHOD"]) == "CANCEL" and "method=CANCEL" in ctype
        assert str(ev["STATUS"]) == "CANCELLED" and str(ev["UID"]) == uid
        assert int(ev["SEQUENCE"]) == 2

        # the cancelled appointment refuses replies; the pages fit a phone
        with _phone(page) as phone:
            phone.goto(rsvp_url)
            assert "Dieser Termin ist abgesagt" in phone.content()
            phone.goto(f"{live_server}/termine")
            expect(phone.locator("[data-appointment]")).to_contain_text("abgesagt")
            _fits(phone, 390)
