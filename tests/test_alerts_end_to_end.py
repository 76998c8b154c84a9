"""The whole reader path with the real Celery worker and the real SMTP server:
subscribe -> confirmation mail -> confirm -> publish -> exactly one alert -> one-click unsubscribe
(POST to the URL from the List-Unsubscribe header) -> publish again -> no alert."""

import email
import re
import time
from email import policy

from sqlalchemy import select

from pressdesk.delivery.models import Delivery
from pressdesk.extensions import db
from pressdesk.subscriptions import services as alerts
from pressdesk.subscriptions.models import Subscriber
from tests.conftest import LIVE_PORT, wait_for
from tests.feeds_support import publish
from tests.helpers import csrf_token, office

BASE = f"http://127.0.0.1:{LIVE_PORT}"
READER = "leserin@example.org"


def _mails_to(smtp, address):
    with smtp.lock:
        return [email.message_from_bytes(m.data, policy=policy.default)
                for m in smtp.messages if m.rcpt_tos == [address]]


def _text(msg):
    return msg.get_body(("plain",)).get_content()


def _outlets_done(version_id):
    db.session.remove()
    rows = db.session.scalars(select(Delivery).where(Delivery.version_id == version_id,
                                                     Delivery.kind == "outlet")).all()
    return rows and all(r.state == "sent" for r in rows)


def _subscribe(client, address, **fields):
    page = client.get("/benachrichtigungen").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "email": address, "frequency": "instant",
            "consent": "y", **fields}
    return client.post("/benachrichtigungen", data=data)


def test_subscribe_confirm_alert_unsubscribe(app, demo, smtp, celery_worker):
    client = app.test_client()
    leer = office("landkreis-leer")
    resp = _subscribe(client, READER, offices=[str(leer.id)])
    assert resp.status_code == 200 and "Postfach" in resp.get_data(as_text=True)

    confirmation = wait_for(lambda: _mails_to(smtp, READER), timeout=30)[0]
    assert confirmation["Subject"] == "Bitte bestätigen Sie Ihr Abonnement"
    assert "Pressestelle: Landkreis Leer" in _text(confirmation)
    confirm_link = re.search(r"(http://\S+/benachrichtigungen/bestaetigen/\S+)",
                             _text(confirmation)).group(1)

    # Before confirmation nothing is sent: a release now brings no alert.
    early = publish("Vor der Bestätigung")
    wait_for(lambda: _outlets_done(early.id), timeout=30)
    wait_for(lambda: db.session.scalar(select(alerts.AlertRun.id)), timeout=30)
    assert len(_mails_to(smtp, READER)) == 1

    # GET only shows a button (a link scanner confirms nothing); the POST confirms.
    page = client.get(confirm_link.removeprefix(BASE))
    assert page.status_code == 200
    db.session.remove()
    assert db.session.scalar(select(Subscriber.status)) == "pending"
    done = client.post(confirm_link.removeprefix(BASE),
                       data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert done.status_code == 200 and "bestätigt" in done.get_data(as_text=True)
    db.session.remove()
    assert db.session.scalar(select(Subscriber.status)) == "active"

    version = publish("Neue Radwege im Rheiderland")
    wait_for(lambda: len(_mails_to(smtp, READER)) >= 2, timeout=30)
    wait_for(lambda: _outlets_done(version.id), timeout=30)
    time.sleep(1.0)  # would a duplicate follow?
    alerts_received = _mails_to(smtp, READER)[1:]
    assert len(alerts_received) == 1
    alert = alerts_received[0]
    assert alert["Subject"] == "Neue Pressemitteilung: Neue Radwege im Rheiderland (Landkreis Leer)"
    assert alert["To"].addresses[0].addr_spec == READER
    assert f"{BASE}/presse/landkreis-leer/" in _text(alert)
    assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https_target = re.search(r"<(http[^>]+)>", alert["List-Unsubscribe"]).group(1)
    assert "mailto:" in alert["List-Unsubscribe"]

    # RFC 8058: a bare POST, no session, no CSRF token, unsubscribes at once.
    one_click = app.test_client().post(https_target.removeprefix(BASE),
                                       data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    db.session.remove()
    assert db.session.scalar(select(Subscriber.status)) == "unsubscribed"

    after = publish("Nach der Abmeldung")
    wait_for(lambda: _outlets_done(after.id), timeout=30)
    time.sleep(1.0)
    assert len(_mails_to(smtp, READER)) == 2
    db.session.remove()
    assert db.session.scalars(select(Delivery).where(Delivery.version_id == after.id,
                                                     Delivery.kind == "reader")).all() == []


def test_daily_digest_goes_out_through_the_engine(app, demo, smtp, celery_worker):
    leer = office("landkreis-leer")
    sub = alerts.request_subscription(
        "digest@example.org", alerts.clean_choice([leer.id], [], "", "daily"), "127.0.0.1")
    alerts.confirm(alerts.make_token(sub, "confirm"), "127.0.0.1")
    first = publish("Erste Meldung des Tages")
    second = publish("Zweite Meldung des Tages")
    publish("Aus Lingen", office_slug="stadt-lingen")
    assert alerts.queue_digests() == 1
    assert alerts.queue_digests() == 0  # the window moved: nothing twice
    row = db.session.scalar(select(Delivery).where(Delivery.kind == "digest"))
    assert row.version_id == second.id  # attached to the newest release in the digest
    digest = wait_for(lambda: [m for m in _mails_to(smtp, "digest@example.org")
                               if "Pressemitteilungen vom" in m["Subject"]], timeout=30)[0]
    body = _text(digest)
    assert "Erste Meldung des Tages" in body and "Zweite Meldung des Tages" in body
    assert "Aus Lingen" not in body
    assert body.index("Zweite Meldung") < body.index("Erste Meldung")
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/benachrichtigungen/abbestellen/" in digest["List-Unsubscribe"]
    assert "/benachrichtigungen/einstellungen/" in body
    assert first.release.office_id == leer.id
