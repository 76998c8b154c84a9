"""Valid HTML on every page type: the Nu Html Checker (vnu.jar, the W3C validator's engine) over
the portal, the desk, the admin pages, forms showing errors and the error pages.

vnu.jar comes from npm (tests/js, `make setup` runs `npm ci` there) and runs on the machine's
Java. All pages are written to files and checked by ONE java process, so the test costs about
as much as one validator start.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from pressdesk.delivery.models import Delivery
from pressdesk.extensions import db
from pressdesk.releases.models import Release, ReleaseVersion
from tests.desk_helpers import default_lists
from tests.helpers import ADMIN, EDITOR, draft, logged_in, post
from tests.invitation_support import published_invitation

VNU = Path(__file__).parent / "js" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def nu_check(pages: dict[str, str], tmp_path: Path) -> dict[str, list[str]]:
    """Errors (and warnings marked as errors by the checker) per page name; one java run."""
    assert VNU.exists(), "vnu.jar missing: run `make setup` (npm ci in tests/js)"
    java = shutil.which("java")
    assert java, "Java is needed for the Nu Html Checker (apt-get install default-jre-headless)"
    for name, html in pages.items():
        (tmp_path / f"{name}.html").write_text(html, "utf-8")
    done = subprocess.run([java, "-jar", str(VNU), "--format", "json", "--errors-only",
                           "--exit-zero-always", "--stdout", *[str(tmp_path / f"{n}.html")
                                                               for n in pages]],
                          capture_output=True, text=True, timeout=300, check=True)
    found: dict[str, list[str]] = {}
    for msg in json.loads(done.stdout)["messages"]:
        name = Path(msg.get("url", "?")).stem  # file:/tmp/.../<name>.html
        found.setdefault(name, []).append(
            f"line {msg.get('lastLine')}: {msg['message']} [{msg.get('extract', '').strip()}]")
    return found


def test_checker_finds_the_errors_it_is_here_for(tmp_path):
    """The check below can fail: the errors the outside review reported are found."""
    head = "<!doctype html><html lang=de><head><title>x</title></head><body>"
    found = nu_check({
        "fraction": head + '<time datetime="2026-12-01T09:30:15.123456+00:00">x</time>',
        "dup_id": head + '<form><input type=hidden id=csrf_token name=a></form>'
                         '<form><input type=hidden id=csrf_token name=a></form>',
        "required_none": head + '<label for=s>S</label><input id=s required="None">',
        "fine": head + '<time datetime="2026-12-01T09:30:15Z">x</time>',
    }, tmp_path)
    assert set(found) == {"fraction", "dup_id", "required_none"}, found


@pytest.fixture
def page_set(app, demo):
    """Every page type once, rendered as a reader, an editor and an admin see it."""
    demo.load_demo()
    invitation = published_invitation()  # the appointment pages with an entry
    leer = db.session.scalar(select(Release).where(Release.office.has(slug="landkreis-leer"),
                                                   Release.status == "published"))
    assert leer is not None
    version_id = db.session.scalar(select(ReleaseVersion.id).where(
        ReleaseVersion.release_id == leer.id).order_by(ReleaseVersion.id.desc()).limit(1))
    permalink = f"/presse/landkreis-leer/{leer.year}/{leer.number}-{leer.slug}"
    delivery_id = db.session.scalar(select(Delivery.id).where(
        Delivery.version_id == version_id, Delivery.kind == "outlet").limit(1))
    release_id, year, month = leer.id, leer.year, leer.published_at.month

    reader = app.test_client()
    pages: dict[str, str] = {}
    from pressdesk.media.links import outlet_link_token
    from pressdesk.media.models import Outlet

    outlet_token = outlet_link_token(db.session.scalar(select(Outlet).order_by(Outlet.id)))

    def grab(client, name: str, path: str, status: int = 200) -> None:
        resp = client.get(path)
        assert resp.status_code == status, (path, resp.status_code)
        pages[name] = resp.get_data(as_text=True)

    for name, path in {
        "home": "/", "office": "/presse/landkreis-leer", "topic": "/thema/digitalisierung",
        "region": "/region/ostfriesland", "release": permalink, "search_form": "/suche",
        "search": "/suche?q=Netzwerk&wortanfang=1&sortierung=datum",
        "search_error": "/suche?q=x&von=kaputt", "archive": "/archiv",
        "month": f"/archiv/{year}/{month}", "embed": "/einbetten/landkreis-leer",
        "login": "/login", "subscribe": "/benachrichtigungen", "forgot": "/passwort-vergessen",
        "outlet_signup": "/verteiler/anmelden/landkreis-leer",
        "outlet_preferences": f"/verteiler/{outlet_token}",
        "outlet_leave": f"/verteiler/{outlet_token}/abmelden",
        "appointments": "/termine", "office_appointments": "/termine/landkreis-leer",
    }.items():
        grab(reader, name, path)
    grab(reader, "error_404", "/presse/unbekannt", 404)
    from pressdesk import tokens
    from pressdesk.accounts.services import find_user, password_link_token

    grab(reader, "link_invalid", "/passwort/neu/x.y.z", 404)
    grab(reader, "set_password",
         f"/passwort/neu/{password_link_token(tokens.PASSWORD_RESET, find_user(EDITOR))}")

    from pressdesk.releases.models import ReleaseTemplate

    template = ReleaseTemplate(office_id=leer.office_id, name="Sprechstunde",
                               headline="Sprechstunde des Landrats", body="Jeden **Dienstag**.")
    db.session.add(template)
    db.session.commit()
    template_id = template.id
    editor = logged_in(app, EDITOR)
    for name, path in {
        "desk": "/desk/", "desk_new": "/desk/releases/new",
        "desk_show": f"/desk/releases/{release_id}",
        "desk_preview": f"/desk/releases/{release_id}/preview",
        "desk_email_preview": f"/desk/releases/{release_id}/preview/email",
        "desk_report": f"/desk/versions/{version_id}/deliveries",
        "desk_message": f"/desk/deliveries/{delivery_id}",
        "desk_suppressions": "/desk/suppressions", "account": "/desk/account/",
        "two_factor": "/desk/account/zweiter-faktor", "desk_templates": "/desk/vorlagen/",
        "desk_new_from_template": "/desk/releases/new?vorlage=b-pressetermin",
        "desk_template_edit": f"/desk/vorlagen/{template_id}/edit",
        "desk_appointment": f"/desk/releases/{invitation.id}/termin",
    }.items():
        grab(editor, name, path)
    edit = f"/desk/vorlagen/{template_id}/edit"
    refused = post(editor, edit, {"name": "", "headline": "Sprechstunde"}, page=edit)
    assert refused.status_code == 400, refused.status_code
    pages["desk_template_edit_errors"] = refused.get_data(as_text=True)
    grab(editor, "error_403", "/desk/members/", 403)
    invalid = post(editor, "/desk/releases/new", {"headline": "", "lead": ""})
    assert invalid.status_code in (200, 400, 422), invalid.status_code
    pages["desk_form_errors"] = invalid.get_data(as_text=True)

    admin = logged_in(app, ADMIN, "landkreis-leer")  # the demo admin picks an office first
    for name, path in {"admin_members": "/desk/members/", "admin_settings": "/desk/settings/",
                       "admin_audit": "/desk/audit/"}.items():
        grab(admin, name, path)
    for name, path in {"media": "/desk/media/", "media_lists": "/desk/media/lists",
                       "media_new_outlet": "/desk/media/outlets/new",
                       "media_import": "/desk/media/import",
                       "media_signups": "/desk/media/signups", "media_review": "/desk/media/review",
                       "media_self_service": "/desk/media/self-service"}.items():
        grab(admin, name, path)
    unsent = draft()
    db.session.commit()
    confirm = post(admin, f"/desk/releases/{unsent.id}/publish/confirm",
                   {"lists": default_lists(), "when": "now"}, page=f"/desk/releases/{unsent.id}")
    assert confirm.status_code == 200, confirm.status_code
    pages["desk_confirm_publish"] = confirm.get_data(as_text=True)
    grab(admin, "desk_confirm_delete", f"/desk/releases/{unsent.id}/delete")
    grab(admin, "desk_draft", f"/desk/releases/{unsent.id}")

    # The 410 page of a release that was public and is withdrawn (set directly: the
    # withdrawal itself is tested with the desk).
    other = db.session.scalar(select(Release).where(Release.status == "published",
                                                    Release.id != release_id))
    assert other is not None
    gone = f"/presse/{other.office.slug}/{other.year}/{other.number}-{other.slug}"
    other.status, other.went_public_at = "withdrawn", other.went_public_at or other.published_at
    db.session.commit()
    grab(reader, "error_410", gone, 410)
    return pages


def test_every_page_type_is_valid_html(page_set, tmp_path):
    found = nu_check(page_set, tmp_path)
    assert not found, json.dumps(found, indent=1, ensure_ascii=False)[:6000]


def test_form_errors_are_tied_to_their_controls(page_set):
    """A control with an error says so (aria-invalid) and points at the error text."""
    html = page_set["desk_form_errors"]
    assert re.search(r'<input[^>]*aria-describedby="headline-error"[^>]*aria-invalid="true"'
                     r'[^>]*id="headline"', html), html[:3000]
    assert '<p class="field-error" id="headline-error">' in html
    assert 'id="subline"' in html and 'aria-invalid' not in re.search(
        r'<input[^>]*id="subline"[^>]*>', html).group()
    assert 'required="None"' not in html
    assert html.count('id="csrf_token"') == 0


def test_scrolling_mail_text_is_reachable_by_keyboard(page_set):
    pre = re.search(r"<pre[^>]*>", page_set["desk_email_preview"]).group()
    assert 'tabindex="0"' in pre and "aria-labelledby=" in pre
