"""The pages the office logo touches, with a logo, in Debian's chromium at 390 and 1280 px:
nothing scrolls sideways, axe-core finds nothing; and the Nu checker passes them (the settings
page also as it answers a bad file)."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from pressdesk.extensions import db
from pressdesk.offices import logo
from pressdesk.releases.presenter import present
from tests.browser import browser_login, browser_page
from tests.feeds_support import publish
from tests.helpers import ADMIN, logged_in, office, token_of
from tests.test_a11y import SHOTS, TAGS, _axe_source
from tests.test_admin_settings import FIELDS
from tests.test_html_validity import nu_check
from tests.test_office_logo import SVG

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_wakeups")]


def _wide_logo() -> bytes:
    buf = io.BytesIO()
    Image.new("RGBA", (1600, 300), (20, 80, 140, 255)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def logo_pages(app, demo):  # type: ignore[no-untyped-def]
    version = publish(image=True)
    logo.set_logo(office("landkreis-leer"), None, _wide_logo())
    db.session.commit()
    return {"office": "/presse/landkreis-leer",
            "release": present(version).permalink.split("://", 1)[1].split("/", 1)[1],
            "embed": "/einbetten/landkreis-leer"}


def _axe(page) -> list[str]:  # type: ignore[no-untyped-def]
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
                           TAGS)
    assert result["passes"], "axe ran no checks"
    return [f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]]


def test_logo_pages_fit_phone_and_desktop_and_axe_finds_nothing(app, live_server, logo_pages):
    problems: dict[str, list[str]] = {}
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((390, 844), (1280, 900)):
        with browser_page(width, height) as page:
            page.context.add_init_script(script=_axe_source())

            def check(name: str) -> None:
                scroll = page.evaluate("document.documentElement.scrollWidth")
                if scroll > width:
                    problems.setdefault(f"{width} {name}", []).append(f"scrollWidth {scroll}")
                found = _axe(page)
                if found:
                    problems.setdefault(f"{width} {name}", []).extend(found)
                page.screenshot(path=str(SHOTS / f"logo-{name}-{width}.png"), full_page=True)

            for name, path in logo_pages.items():
                page.goto(f"{live_server}/{path.lstrip('/')}")
                if name != "embed":
                    shown = page.locator("img.office-logo")
                    assert shown.count() == 1, name
                    assert shown.evaluate("i => i.complete && i.naturalWidth") == 600, name
                    box = shown.bounding_box()
                    assert box is not None and box["height"] <= 64 and box["width"] <= width
                check(name)
            browser_login(page, live_server, ADMIN)
            page.goto(f"{live_server}/desk/settings/")
            assert page.locator("#current-logo").count() == 1
            check("settings")
            page.fill("#contact_name", "Im Formular getippt")
            page.set_input_files("#logo", files=[{"name": "logo.svg", "mimeType": "image/svg+xml",
                                                  "buffer": SVG}])
            page.click("form.form-card button[type=submit].primary")
            page.wait_for_selector("#logo-error")
            assert page.input_value("#contact_name") == "Im Formular getippt"
            assert page.get_attribute("#logo", "aria-invalid") == "true"
            check("settings-error")
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)


def test_logo_pages_are_valid_html(app, logo_pages, tmp_path):
    reader = app.test_client()
    pages = {name: reader.get(path).get_data(as_text=True) for name, path in logo_pages.items()}
    assert 'class="office-logo"' in pages["office"] and 'class="office-logo"' in pages["release"]
    admin = logged_in(app)
    pages["settings"] = admin.get("/desk/settings/").get_data(as_text=True)
    bad = admin.post("/desk/settings/", data={
        "csrf_token": token_of(admin, "/desk/settings/"), **FIELDS,
        "logo": (io.BytesIO(SVG), "logo.svg")}, content_type="multipart/form-data")
    assert bad.status_code == 422
    pages["settings_error"] = bad.get_data(as_text=True)
    found = nu_check(pages, tmp_path)
    assert not found, json.dumps(found, indent=1, ensure_ascii=False)[:6000]
