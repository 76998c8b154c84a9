"""The desk as a press officer uses it, in Debian's chromium: no dead ends, a phone that works."""

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select, update

from pressdesk.db import utcnow
from pressdesk.delivery import controls
from pressdesk.delivery.models import Delivery
from pressdesk.extensions import db
from tests.browser import CHROMIUM, browser_login, browser_page
from tests.delivery_support import publish_to, recipients
from tests.helpers import ADMIN, EDITOR, PUBLISHER, draft

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_wakeups")]


def _deliveries() -> int:
    db.session.remove()
    return db.session.scalar(select(func.count()).select_from(Delivery)) or 0


def test_an_admin_of_two_offices_switches_office_in_the_header(app, demo, live_server):
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: make test installs it"
    with browser_page() as page:
        browser_login(page, live_server, ADMIN)
        assert page.locator("header select[name=office_id] option:checked").inner_text() \
            == "Landkreis Leer"
        page.goto(f"{live_server}/desk/media/")
        assert "Borkumer Zeitung" in page.content()
        page.select_option("header select[name=office_id]", label="Stadt Lingen (Ems)")
        page.click("header .office-switch button[type=submit]")
        page.wait_for_url(f"{live_server}/desk/")
        assert page.locator("header select[name=office_id] option:checked").inner_text() \
            == "Stadt Lingen (Ems)"
        page.goto(f"{live_server}/desk/media/")
        assert "Lingener Tagespost" in page.content()
        assert "Borkumer Zeitung" not in page.content()
        page.goto(f"{live_server}/desk/members")
        assert "Maria Thien" in page.content()
        assert "Hanna Janssen" not in page.content()


def test_a_member_of_one_office_sees_a_badge_not_a_switcher(app, demo, live_server):
    with browser_page() as page:
        browser_login(page, live_server, EDITOR)
        assert page.locator("header select[name=office_id]").count() == 0
        assert page.locator("header .office-badge").inner_text() == "Landkreis Leer"


def test_publishing_asks_first_naming_the_lists_and_the_recipient_count(app, demo, live_server):
    release = draft()
    db.commit()
    with browser_page() as page:
        browser_login(page, live_server, PUBLISHER)
        page.goto(f"{live_server}/desk/releases/{release.id}")
        page.click("#publish-button")
        box = page.locator("#confirm-publish")
        expect(box).to_contain_text("9 E-Mail-Adressen")
        expect(box).to_contain_text("Regionale Medien")
        assert _deliveries() == 0, "nothing is sent before the second click"
        page.click("#confirm-publish-button")
        page.wait_for_url("**/deliveries")
        assert _deliveries() == 9


def test_cancelling_asks_first_and_a_complete_delivery_has_no_pause_or_cancel(app, demo,
                                                                              live_server):
    version = publish_to(recipients(3))
    db.commit()
    with browser_page() as page:
        browser_login(page, live_server, ADMIN)
        page.goto(f"{live_server}/desk/versions/{version.id}/deliveries")
        expect(page.locator("#cancel-button")).to_be_hidden()
        page.click("#cancel-ask")
        expect(page.locator(".confirm-cancel")).to_contain_text("Wirklich abbrechen?")
        assert controls.control_state(version.id) == "active", "asking changed nothing"
        db.session.execute(update(Delivery).where(Delivery.version_id == version.id)
                           .values(state="sent", sent_at=utcnow()))
        db.commit()
        page.reload()
        assert page.locator("#pause-button").count() == 0
        assert page.locator("#cancel-button, #cancel-ask").count() == 0
