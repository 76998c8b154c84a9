"""The press list the newspapers keep, walked in chromium with the real worker and the real
SMTP server: a journalist signs up on the office page -> double opt-in -> the office accepts
-> the journalist sets "text only, daily digest, topic Verkehr" -> the next two releases (one
Verkehr, one not) arrive as one digest with only the Verkehr one."""

from __future__ import annotations

import email
import re
from datetime import datetime, time, timedelta
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import select

from pressdesk.delivery.models import Delivery
from pressdesk.extensions import db
from pressdesk.media import digest
from pressdesk.media.models import HeldRelease, Outlet, Signup
from pressdesk.releases.models import Topic
from pressdesk.text import BERLIN
from tests.browser import browser_login, browser_page
from tests.conftest import wait_for
from tests.feeds_support import publish, vocab
from tests.helpers import ADMIN

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
JOURNALIST = "lokales@rheiderland-zeitung.example"


def _mails_to(smtp, address):  # type: ignore[no-untyped-def]
    with smtp.lock:
        return [email.message_from_bytes(m.data, policy=policy.default)
                for m in smtp.messages if m.rcpt_tos == [address]]


def _link(msg, pattern: str) -> str:  # type: ignore[no-untyped-def]
    return re.search(pattern, msg.get_body(("plain",)).get_content()).group(1)


def _outlets_done(version_id: int) -> bool:
    db.session.remove()
    rows = db.session.scalars(select(Delivery).where(Delivery.version_id == version_id,
                                                     Delivery.kind == "outlet")).all()
    return bool(rows) and all(r.state == "sent" for r in rows)


def test_sign_up_opt_in_accept_preferences_digest(app, demo, smtp, celery_worker, live_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    vocab(Topic, "landkreis-leer", "verkehr", "Verkehr")
    vocab(Topic, "landkreis-leer", "bildung", "Bildung")
    with browser_page(1280, 1000) as page:
        # 1. The journalist finds the sign-up on the office's portal page.
        page.goto(f"{live_server}/presse/landkreis-leer")
        page.click("text=In den Presseverteiler aufnehmen lassen")
        page.fill("#outlet_name", "Rheiderland-Zeitung")
        page.fill("#person_name", "Jana Lokal")
        page.fill("#role", "Lokalredaktion")
        page.fill("#email", JOURNALIST)
        page.click("button[type=submit].primary")  # no consent yet: refused, input kept
        assert page.input_value("#outlet_name") == "Rheiderland-Zeitung"
        page.check("#consent")
        page.screenshot(path=str(SHOTS / "outlets-signup.png"), full_page=True)
        page.click("button[type=submit].primary")
        page.wait_for_selector("text=Bitte prüfen Sie Ihr Postfach")

        # 2. Double opt-in: the link in the mail shows a button; pressing it confirms.
        mail = wait_for(lambda: _mails_to(smtp, JOURNALIST), timeout=30)[0]
        assert "bestätigen" in mail["Subject"]
        page.goto(_link(mail, r"(http://\S+/verteiler/bestaetigen/\S+)"))
        db.session.remove()
        assert db.session.scalar(select(Signup.status)) == "pending"
        page.click("button[type=submit].primary")
        page.wait_for_selector("text=Adresse bestätigt")

        # 3. The office accepts (onto the default list, preselected).
        browser_login(page, live_server, ADMIN)
        page.goto(f"{live_server}/desk/media/signups")
        page.wait_for_selector("text=Rheiderland-Zeitung")
        page.screenshot(path=str(SHOTS / "outlets-signups.png"), full_page=True)
        page.click("button:has-text('Aufnehmen')")
        page.wait_for_selector("text=ist jetzt im Presseverteiler")
        db.session.remove()
        outlet = db.session.scalar(select(Outlet).where(Outlet.email == JOURNALIST))
        assert outlet is not None and outlet.active and outlet.person_name == "Jana Lokal"
        signup = db.session.scalar(select(Signup))
        assert signup.status == "accepted" and signup.decided_by_name
        assert "Zählpixel" in signup.consent_text and signup.confirmed_at is not None

        # 4. The journalist sets text only, a daily digest at 7, topic Verkehr.
        accepted = wait_for(lambda: _mails_to(smtp, JOURNALIST)[1:], timeout=30)[0]
        page.context.clear_cookies()
        page.goto(_link(accepted, r"(http://\S+/verteiler/\S+)"))
        page.check("text=Nur Text")
        page.check("text=Einmal täglich als Zusammenfassung")
        page.select_option("#digest_hour", "7")
        page.check("label:has-text('Verkehr') input")
        page.screenshot(path=str(SHOTS / "outlets-preferences.png"), full_page=True)
        page.click("button[type=submit].primary")
        page.wait_for_selector("text=Ihre Einstellungen wurden gespeichert.")
    db.session.remove()
    outlet = db.session.scalar(select(Outlet).where(Outlet.email == JOURNALIST))
    assert outlet.text_only and outlet.digest_hour == 7
    assert [t.name for t in outlet.topics] == ["Verkehr"]
    before = len(_mails_to(smtp, JOURNALIST))

    # 5. Two releases: one Verkehr, one not. Neither goes out to the journalist at once.
    verkehr = publish("Neue Ampel an der Bundesstraße", topics=("verkehr",))
    bildung = publish("Schulbau in Weener beginnt", topics=("bildung",))
    wait_for(lambda: _outlets_done(verkehr.id) and _outlets_done(bildung.id), timeout=60)
    db.session.remove()
    assert JOURNALIST not in {r.email for r in db.session.scalars(select(Delivery).where(
        Delivery.version_id.in_((verkehr.id, bildung.id))))}
    held = db.session.scalars(select(HeldRelease)).all()
    assert [h.release_id for h in held] == [verkehr.release_id]
    assert len(_mails_to(smtp, JOURNALIST)) == before

    # 6. Beat at the next 07:05 Berlin: one digest, text only, the Verkehr release alone.
    tomorrow = datetime.now(BERLIN).date() + timedelta(days=1)
    at = datetime.combine(tomorrow, time(7, 5), tzinfo=BERLIN)
    assert digest.send_due(at) == 1
    db.commit()
    got = wait_for(lambda: _mails_to(smtp, JOURNALIST)[before:], timeout=30)
    msg = got[0]
    assert msg.get_content_type() == "text/plain"
    text = msg.get_content()
    assert "Neue Ampel an der Bundesstraße" in text and "Schulbau" not in text
    assert "Neue Ampel an der Bundesstraße" in msg["Subject"]
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/verteiler/" in text
    db.session.remove()
    assert db.session.scalars(select(HeldRelease)).all() == []
    assert digest.send_due(at + timedelta(days=1)) == 0  # nothing twice
    assert len(_mails_to(smtp, JOURNALIST)) == before + 1
