"""Accessibility (WCAG 2.1 AA / BITV 2.0): axe-core inside Debian's chromium on every portal page,
keyboard use and visible focus; phone and desktop screenshots of each page.

axe-core comes from npm (tests/js, `make setup` runs `npm ci` there). The page's CSP
(`script-src 'self'`) stays as in production: axe is added with Playwright's init script, which
the browser runs through the DevTools protocol, not as a page script.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pressdesk.releases.models import Release
from tests.browser import browser_login, browser_page
from tests.helpers import EDITOR
from tests.invitation_support import published_invitation

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@pytest.fixture
def portal_paths(app, demo, live_server):
    """The demo data (two releases with topics, regions, an image) and one path per page kind."""
    from sqlalchemy import select

    from pressdesk.extensions import db
    from pressdesk.media.links import outlet_link_token
    from pressdesk.media.models import Outlet

    demo.load_demo()
    published_invitation()  # the appointment pages with an entry
    leer = db.session.scalar(select(Release).where(Release.office.has(slug="landkreis-leer")))
    # Corrected once: the release page carries the correction notice at its top.
    from tests.formats_support import corrected

    corrected(leer, body=leer.body + "\n\nErgänzung: Der Termin ist öffentlich.")
    when = leer.published_at
    return {
        "home": "/",
        "office": "/presse/landkreis-leer",
        "topic": "/thema/digitalisierung",
        "region": "/region/ostfriesland",
        "release": f"/presse/landkreis-leer/{leer.year}/{leer.number}-{leer.slug}",
        "search": "/suche?q=Netzwerk&wortanfang=1",
        "archive": "/archiv",
        "month": f"/archiv/{when.year}/{when.month}",
        "embed": "/einbetten/it-achse",
        "outlet-signup": "/verteiler/anmelden/landkreis-leer",
        "outlet-preferences": "/verteiler/" + outlet_link_token(
            db.session.scalar(select(Outlet).order_by(Outlet.id))),
        "api-docs": "/api/v1/docs",
        "appointments": "/termine",
    }


def _axe_source() -> str:
    assert AXE.exists(), "axe-core missing: run `make setup` (npm ci in tests/js)"
    return AXE.read_text("utf-8")


def test_axe_finds_no_violations_on_any_portal_page(live_server, portal_paths):
    source = _axe_source()
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: dict[str, list[str]] = {}
    for width, height, label in ((1280, 900, "desktop"), (390, 844, "phone")):
        with browser_page(width, height) as page:
            page.context.add_init_script(script=source)
            for name, path in portal_paths.items():
                resp = page.goto(live_server + path)
                assert resp is not None and resp.status == 200, (path, resp and resp.status)
                # the production CSP is in force on the page under test
                assert "script-src 'self'" in resp.headers["content-security-policy"]
                result = page.evaluate(
                    "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
                for v in result["violations"]:
                    targets = [", ".join(n["target"]) for n in v["nodes"]][:3]
                    problems.setdefault(f"{label} {name}", []).append(
                        f"{v['id']} ({v['impact']}): {v['help']} at {targets}")
                assert result["passes"], "axe ran no checks"
                page.screenshot(path=str(SHOTS / f"portal-{name}-{label}.png"), full_page=True)
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_keyboard_reaches_skip_link_search_and_filters_with_visible_focus(live_server,
                                                                          portal_paths):
    with browser_page() as page:
        page.goto(live_server + portal_paths["home"])
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.className")
        assert focused == "skip-link"
        outline = page.evaluate(
            "() => getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid"  # visible focus ring
        page.keyboard.press("Enter")
        assert page.evaluate("() => location.hash") == "#main"
        # type a search with the keyboard only, tick "Wortanfang" with the space bar
        page.goto(live_server + "/suche")
        page.focus("#q")
        page.keyboard.type("Kompetenz")
        page.keyboard.press("Tab")  # to the search button
        page.keyboard.press("Tab")  # to the checkbox "Wortanfang"
        assert page.evaluate("() => document.activeElement.name") == "wortanfang"
        page.keyboard.press("Space")
        page.focus("#q")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "wortanfang=1" in page.url
        assert page.locator("mark").count() >= 1


def test_images_have_alt_text_and_pages_say_their_language(live_server, portal_paths):
    with browser_page() as page:
        for name in ("home", "release", "embed"):
            page.goto(live_server + portal_paths[name])
            assert page.evaluate("() => document.documentElement.lang") == "de"
        page.goto(live_server + portal_paths["release"])
        alts = page.evaluate("() => [...document.images].map(i => i.getAttribute('alt'))")
        assert alts and all(a and a.strip() for a in alts)


def test_axe_finds_no_violations_on_desk_preview_and_form_errors(live_server, portal_paths):
    """The desk's mail preview (a scrolling text part) and a release form showing errors."""
    from sqlalchemy import select

    from pressdesk.extensions import db

    release_id = db.session.scalar(select(Release.id).where(
        Release.office.has(slug="landkreis-leer")))
    problems: dict[str, list[str]] = {}
    with browser_page() as page:
        page.context.add_init_script(script=_axe_source())
        browser_login(page, live_server, EDITOR)

        def check(name: str) -> None:
            result = page.evaluate(
                "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
            for v in result["violations"]:
                targets = [", ".join(n["target"]) for n in v["nodes"]][:3]
                problems.setdefault(name, []).append(f"{v['id']}: {v['help']} at {targets}")
            assert result["passes"], "axe ran no checks"

        page.goto(f"{live_server}/desk/releases/{release_id}/preview/email")
        check("mail preview")
        page.goto(f"{live_server}/desk/releases/new")
        page.click("form.release-form button[type=submit]")
        page.wait_for_selector(".field-error")
        assert page.get_attribute("#headline", "aria-invalid") == "true"
        check("release form with errors")
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())
