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


def _axe_clean(page, name: str) -> None:  # type: ignore[no-untyped-def]
    from tests.test_a11y import TAGS, _axe_source

    page.evaluate(_axe_source())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    found = [f"{v['id']}: {v['help']}" for v in result["violations"]]
    assert not found, (name, found)


def _deliveries() -> int:
    """Rows for the outlets (the author's "Veröffentlicht" notice is service mail)."""
    db.session.remove()
    return db.session.scalar(select(func.count()).select_from(Delivery)
                             .where(Delivery.kind == "outlet")) or 0


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
        _axe_clean(page, "confirm publish")
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


SHOTS_DIR = Path("/tmp/shots")


def _desk_pages(demo) -> dict[str, str]:
    """Every desk page once, for a release with an image and a PDF that was sent."""
    from pressdesk.releases.models import Release, ReleaseVersion
    from tests.formats_support import PDF

    demo.load_demo()
    db.session.remove()
    leer = db.session.scalar(select(Release).where(Release.office.has(slug="landkreis-leer"),
                                                   Release.status == "published"))
    assert leer is not None and leer.images
    if not leer.attachments:
        from pressdesk.releases import attachments

        attachments.add_attachment(leer, "Lageplan.pdf", PDF)
        db.commit()
    version_id = db.session.scalar(select(ReleaseVersion.id).where(
        ReleaseVersion.release_id == leer.id).order_by(ReleaseVersion.id.desc()).limit(1))
    rid = leer.id
    from pressdesk.releases import services
    from tests.invitation_support import add_appointment

    invitation = services.create_release(leer.office, None, {"headline": "Pressetermin: Kreistag"})
    add_appointment(invitation)
    db.commit()
    from pressdesk.delivery.models import Delivery

    delivery_id = db.session.scalar(select(Delivery.id).where(
        Delivery.version_id == version_id, Delivery.kind == "outlet").limit(1))
    from tests.helpers import draft

    unsent = draft()
    from pressdesk.releases.models import ReleaseTemplate

    template = ReleaseTemplate(office_id=leer.office_id, name="Sprechstunde der Landrätin im "
                               "Kreishaus Leer, jeden ersten Dienstag im Monat",
                               headline="Sprechstunde", body="| Tag | Ort |\n| --- | --- |")
    db.session.add(template)
    db.session.commit()
    return {
        "templates": "/desk/vorlagen/", "new-from-template": "/desk/releases/new?vorlage=b-verkehr",
        "template-edit": f"/desk/vorlagen/{template.id}/edit",
        "confirm-delete": f"/desk/releases/{unsent.id}/delete",
        "draft": f"/desk/releases/{unsent.id}",
        "list": "/desk/", "new": "/desk/releases/new", "edit": f"/desk/releases/{rid}/edit",
        "show": f"/desk/releases/{rid}", "preview": f"/desk/releases/{rid}/preview",
        "preview-email": f"/desk/releases/{rid}/preview/email",
        "delivery-report": f"/desk/versions/{version_id}/deliveries",
        "delivery-message": f"/desk/deliveries/{delivery_id}",
        "suppressions": "/desk/suppressions", "media": "/desk/media/",
        "media-lists": "/desk/media/lists", "media-new-outlet": "/desk/media/outlets/new",
        "media-import": "/desk/media/import", "media-signups": "/desk/media/signups",
        "media-review": "/desk/media/review", "media-self-service": "/desk/media/self-service",
        "members": "/desk/members/",
        "settings": "/desk/settings/", "audit": "/desk/audit/",
        "password": "/desk/account/password", "account": "/desk/account/",
        "two-factor": "/desk/account/zweiter-faktor",
        "appointment": f"/desk/releases/{invitation.id}/termin",
        "appointment-none": f"/desk/releases/{rid}/termin",
    }


def test_no_desk_page_scrolls_sideways_on_a_phone(app, demo, live_server):
    """Every desk page at 390 and 1280 px: no sideways scrolling, axe-core clean (a table
    that scrolls in its own region must be reachable by keyboard), screenshots for people."""
    from tests.test_a11y import TAGS, _axe_source

    pages = _desk_pages(demo)
    SHOTS_DIR.mkdir(parents=True, exist_ok=True)
    wide: dict[str, int] = {}
    problems: dict[str, list[str]] = {}
    for width in (390, 1280):
        with browser_page(width, 844 if width == 390 else 900) as page:
            page.context.add_init_script(script=_axe_source())
            browser_login(page, live_server, ADMIN)
            for name, path in pages.items():
                resp = page.goto(live_server + path)
                assert resp is not None and resp.status == 200, (path, resp and resp.status)
                page.wait_for_load_state("load")
                page.screenshot(path=str(SHOTS_DIR / f"{name}-{width}.png"), full_page=True)
                scroll = page.evaluate("document.documentElement.scrollWidth")
                if scroll > width:
                    wide[f"{name}@{width}"] = scroll
                result = page.evaluate(
                    "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
                for v in result["violations"]:
                    targets = [", ".join(n["target"]) for n in v["nodes"]][:3]
                    problems.setdefault(f"{name}@{width}", []).append(
                        f"{v['id']}: {v['help']} at {targets}")
    assert not wide, f"pages wider than the screen: {wide}"
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_the_email_previews_frame_shows_the_whole_mail(app, demo, live_server):
    pages = _desk_pages(demo)
    for width in (1280, 390):
        with browser_page(width, 900) as page:
            browser_login(page, live_server, ADMIN)
            page.goto(live_server + pages["preview-email"])
            page.wait_for_load_state("load")
            frame = page.locator("iframe.mail-frame")
            box = frame.evaluate("f => f.getBoundingClientRect().toJSON()")
            assert box["height"] >= 400 and box["width"] >= 300, (width, box)


def test_four_eyes_dead_end_an_admin_of_the_office_approves(app, demo, live_server):
    from pressdesk.accounts.services import find_user
    from pressdesk.releases import services
    from tests.desk_helpers import four_eyes
    from tests.helpers import office

    four_eyes(True)
    release = services.create_release(office("landkreis-leer"), find_user(PUBLISHER), {
        "headline": "Kreishaus am Freitag geschlossen", "lead": "Wegen einer Versammlung.",
        "body": "Ab Montag wieder geöffnet.", "dateline_place": "Leer"})
    db.commit()
    with browser_page() as page:
        browser_login(page, live_server, PUBLISHER)  # the office's only publisher wrote it
        page.goto(f"{live_server}/desk/releases/{release.id}")
        page.click("#submit-button")
        expect(page.locator("#approvers")).to_have_text("Freigeben können: Demo-Administration")
        assert page.locator("#approve-button").count() == 0
        _axe_clean(page, "release in review")
        browser_login(page, live_server, ADMIN)
        page.goto(f"{live_server}/desk/releases/{release.id}")
        page.click("#approve-button")
        expect(page.locator(".state.big")).to_have_text("Freigegeben")
