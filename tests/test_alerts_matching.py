"""Who gets an instant alert: office, topic and saved-search subscribers, only confirmed ones,
once per version, never under embargo; unsubscribing cancels what is still queued."""

import email
import re
from datetime import timedelta
from email import policy

import pytest
from sqlalchemy import select

from pressdesk.db import utcnow
from pressdesk.delivery.engine import message_as_sent
from pressdesk.delivery.models import Delivery
from pressdesk.extensions import db
from pressdesk.releases import services as releases
from pressdesk.releases.models import Release, ReleaseVersion, Topic
from pressdesk.subscriptions import services as alerts
from tests.conftest import LIVE_PORT
from tests.feeds_support import publish, vocab
from tests.helpers import draft, office


@pytest.fixture(autouse=True)
def no_wakeups(monkeypatch):
    # The session's Celery worker must not queue or send the rows these tests inspect.
    monkeypatch.setattr("pressdesk.delivery.queue.send_task", lambda *a: None)
    monkeypatch.setattr("pressdesk.subscriptions.alerts.send_task", lambda *a: None)


def _active(address, offices=(), topics=(), query="", frequency="instant"):
    choice = alerts.clean_choice([office(o).id for o in offices], [t.id for t in topics], query,
                                 frequency)
    sub = alerts.request_subscription(address, choice, "127.0.0.1")
    sub = alerts.confirm(alerts.make_token(sub, "confirm"), "127.0.0.1")
    db.commit()  # services only flush: the test is the unit of work
    return sub


def _reader_rows(version_id):
    return db.session.scalars(select(Delivery).where(Delivery.version_id == version_id,
                                                     Delivery.kind == "reader")).all()


def test_matching_subscribers_get_one_row_each(app, demo):
    verkehr = vocab(Topic, "landkreis-leer", "verkehr", "Verkehr")
    _active("office@example.org", offices=("landkreis-leer",))
    _active("topic@example.org", topics=(verkehr,))
    _active("search@example.org", query="buergerzeitung radweg")
    _active("other@example.org", offices=("stadt-lingen",))
    _active("daily@example.org", offices=("landkreis-leer",), frequency="daily")
    pending = alerts.request_subscription(
        "pending@example.org", alerts.clean_choice([office("landkreis-leer").id], [], "",
                                                   "instant"), "127.0.0.1")
    assert pending.status == "pending"
    v = publish("Radweg für die Bürgerzeitung", topics=("verkehr",))
    assert alerts.queue_instant_alerts(v.id) == 3
    assert alerts.queue_instant_alerts(v.id) == 0  # once per version
    rows = _reader_rows(v.id)
    assert sorted(r.email for r in rows) == ["office@example.org", "search@example.org",
                                             "topic@example.org"]
    assert all("/benachrichtigungen/abbestellen/" in r.unsubscribe_url for r in rows)
    db.session.remove()
    version = db.session.get(ReleaseVersion, v.id)
    shared = email.message_from_bytes(version.reader_mail_bytes, policy=policy.default)
    assert shared["Subject"] == "Neue Pressemitteilung: Radweg für die Bürgerzeitung (Landkreis Leer)"
    assert shared["To"] is None and shared["Message-ID"] is None  # added per row
    row = db.session.get(Delivery, rows[0].id)
    msg = email.message_from_bytes(message_as_sent(row), policy=policy.default)
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["To"].addresses[0].addr_spec == row.email
    assert "Radweg für die Bürgerzeitung" in msg["Subject"]

    other = publish("Nur Kita", lead="Die Kita bekommt zwei Gruppen.", body="Mehr Platz.")
    assert alerts.queue_instant_alerts(other.id) == 1  # only the office subscriber


def test_no_alert_under_embargo(app, demo):
    _active("office@example.org", offices=("landkreis-leer",))
    release = draft(headline="Unter Sperrfrist")
    release.embargo_until = utcnow() + timedelta(hours=2)
    db.session.commit()
    release_id = release.id
    v = releases.publish_release(release, None)
    db.commit()
    vid = v.id
    assert alerts.queue_instant_alerts(vid) == 0
    assert _reader_rows(vid) == []
    assert alerts.sweep_alerts() == []  # the sweeper does not send it either
    db.session.remove()
    release = db.session.get(Release, release_id)
    release.embargo_until = utcnow() - timedelta(seconds=1)
    release.went_public_at = utcnow()
    db.session.commit()
    assert alerts.sweep_alerts() == [vid]  # a lost wake-up is caught
    assert [r.email for r in _reader_rows(vid)] == ["office@example.org"]
    assert alerts.queue_instant_alerts(vid) == 0


def test_unsubscribe_cancels_queued_alerts(app, demo):
    sub = _active("gone@example.org", offices=("landkreis-leer",))
    v = publish()
    assert alerts.queue_instant_alerts(v.id) == 1
    alerts.unsubscribe(db.session.get(alerts.Subscriber, sub.id), "127.0.0.1", "test")
    db.commit()  # a service called directly: the test is the unit of work
    db.session.remove()
    assert [r.state for r in _reader_rows(v.id)] == ["cancelled"]


def test_press_office_does_not_see_reader_addresses(app, demo):
    from tests.helpers import login

    _active("privat@example.org", offices=("landkreis-leer",))
    v = publish()
    assert alerts.queue_instant_alerts(v.id) == 1
    reader_row = _reader_rows(v.id)[0]
    client = app.test_client()
    login(client, "redaktion.leer@pressdesk.example")
    report = client.get(f"/desk/versions/{v.id}/deliveries").get_data(as_text=True)
    assert "Ostfriesen-Zeitung" in report and "privat@example.org" not in report
    assert client.get(f"/desk/deliveries/{reader_row.id}.eml").status_code == 404


def test_saved_search_alerts_match_like_the_search_page(app, demo):
    """An alert fires exactly when the same query on the search page shows the release."""
    _active("plural@example.org", query="Radwege")
    _active("prefix@example.org", query="Rad")
    _active("umlaut@example.org", query="Buerger")
    v = publish("Neuer Radweg nach Bunde", lead="Der Radweg ist fertig.", body="Für Bürger.")
    assert alerts.queue_instant_alerts(v.id) == 2
    assert sorted(r.email for r in _reader_rows(v.id)) == ["plural@example.org",
                                                          "umlaut@example.org"]
    w = publish("Fahrrad-Aktionstag", lead="Das Fahrrad steht im Mittelpunkt.", body="Mit Fahrrad.")
    assert alerts.queue_instant_alerts(w.id) == 0
    client = app.test_client()
    for q, shown in (("Radwege", True), ("Rad", False)):
        page = re.sub(r"</?mark>", "", client.get(f"/suche?q={q}").get_data(as_text=True))
        assert ("Neuer Radweg nach Bunde" in page) is shown, q
        assert "Fahrrad-Aktionstag" not in page, q


def test_alert_body_has_the_readers_own_unsubscribe_link_and_is_dated_when_sent(app, demo):
    from email.utils import parsedate_to_datetime

    from pressdesk.releases import workflow

    _active("anna@example.org", offices=("landkreis-leer",))
    _active("bernd@example.org", offices=("landkreis-leer",))
    release = draft(headline="Unter Sperrfrist")
    release.embargo_until = utcnow() + timedelta(hours=2)
    db.session.commit()
    rid = release.id
    v = releases.publish_release(release, None)
    vid = v.id
    db.session.get(ReleaseVersion, vid).created_at = utcnow() - timedelta(days=1)  # written early
    release = db.session.get(Release, rid)
    release.embargo_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert workflow.end_embargoes() == [rid]
    db.commit()  # a service called directly: the test is the unit of work
    assert alerts.queue_instant_alerts(vid) == 2
    db.session.remove()
    public = db.session.get(Release, rid).went_public_at
    rows = _reader_rows(vid)
    links = set()
    for row in rows:
        raw = message_as_sent(row)
        body_lines = raw.split(b"\r\n\r\n", 1)[1].split(b"\r\n")
        assert max(len(line) for line in body_lines) <= 78  # as the email package wraps
        msg = email.message_from_bytes(raw, policy=policy.default)
        assert parsedate_to_datetime(msg["Date"]) >= public.replace(microsecond=0)
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        assert f"Abbestellen mit einem Klick: {row.unsubscribe_url}" in text
        assert f'<a href="{row.unsubscribe_url}">' in html
        assert "@@" not in text + html
        links.add(row.unsubscribe_url)
    assert len(links) == 2  # each reader their own
    client = app.test_client()
    path = next(iter(links)).split(str(LIVE_PORT), 1)[1]
    assert client.post(path).status_code == 200
