"""The desk as a press officer uses it, in Debian's chromium: no dead ends, a phone that works."""

from pathlib import Path

import pytest

from tests.browser import CHROMIUM, browser_login, browser_page
from tests.helpers import ADMIN, EDITOR

pytestmark = pytest.mark.browser


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
