"""A reader subscribes in chromium; screenshots of the subscribe and preferences pages."""

from pathlib import Path

import pytest
from sqlalchemy import select

from pressdesk.extensions import db
from pressdesk.releases.models import Topic
from pressdesk.subscriptions import services as alerts
from pressdesk.subscriptions.models import ConsentRecord, Subscriber
from tests.browser import browser_page
from tests.feeds_support import vocab

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"


def test_subscribe_and_preferences_in_chromium(app, demo, live_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for slug, name in (("verkehr", "Verkehr"), ("bildung", "Bildung"), ("wirtschaft", "Wirtschaft")):
        vocab(Topic, "landkreis-leer", slug, name)
    vocab(Topic, "stadt-lingen", "kultur", "Kultur")
    with browser_page() as page:
        page.goto(f"{live_server}/benachrichtigungen?office=landkreis-leer")
        page.fill("#email", "browser@example.org")
        page.check("text=Kultur")
        page.fill("#query", "Radweg")
        page.check("input[value=daily]")
        page.screenshot(path=str(SHOTS / "alerts-subscribe.png"), full_page=True)
        page.click("button[type=submit].primary")  # consent not given: refused, input kept
        assert page.input_value("#email") == "browser@example.org"
        assert page.input_value("#query") == "Radweg"
        page.screenshot(path=str(SHOTS / "alerts-subscribe-error.png"), full_page=True)
        page.check("#consent")
        page.click("button[type=submit].primary")
        page.wait_for_selector("text=Bitte prüfen Sie Ihr Postfach")
        db.session.remove()
        sub = db.session.scalar(select(Subscriber))
        assert sub.email == "browser@example.org" and sub.frequency == "daily"
        assert {o.slug for o in sub.offices} == {"landkreis-leer"}
        assert [t.name for t in sub.topics] == ["Kultur"] and sub.query == "Radweg"
        consent = db.session.scalar(select(ConsentRecord))
        assert consent.text == alerts.consent_text()

        page.goto(alerts.confirm_url(sub))
        page.click("button[type=submit].primary")
        page.wait_for_selector("text=Abonnement bestätigt")
        page.click("text=Einstellungen ansehen oder ändern")
        page.wait_for_selector("text=Ihre Benachrichtigungen")
        page.uncheck("text=Kultur")
        page.check("text=Verkehr")
        page.screenshot(path=str(SHOTS / "alerts-preferences.png"), full_page=True)
        page.click("button[type=submit].primary")
        page.wait_for_selector("text=Ihre Einstellungen wurden gespeichert.")
        db.session.remove()
        assert [t.name for t in db.session.scalar(select(Subscriber)).topics] == ["Verkehr"]
        page.click("text=Alle Benachrichtigungen abbestellen")
        page.screenshot(path=str(SHOTS / "alerts-unsubscribe.png"), full_page=True)
        page.click("button[type=submit].primary")
        page.wait_for_selector("text=Abgemeldet")
        db.session.remove()
        assert db.session.scalar(select(Subscriber.status)) == "unsubscribed"
    with browser_page(390, 844) as phone:
        phone.goto(f"{live_server}/benachrichtigungen")
        phone.screenshot(path=str(SHOTS / "alerts-subscribe-phone.png"), full_page=True)
