"""Reader mail goes through the one way into the outbox: the platform's reader suppression
list applies to alerts and digests, and a refused reader address never reaches an office."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pressdesk.delivery.models import Delivery, ReaderSuppression, Suppression
from pressdesk.extensions import db
from pressdesk.subscriptions import services as alerts
from tests.delivery_support import OwnSMTP, drive
from tests.feeds_support import publish
from tests.helpers import login, office

READER = "leserin@example.org"


@pytest.fixture(autouse=True)
def no_wakeups(monkeypatch):
    monkeypatch.setattr("pressdesk.delivery.queue.send_task", lambda *a: None)
    monkeypatch.setattr("pressdesk.subscriptions.services.send_task", lambda *a: None)
    monkeypatch.setattr("pressdesk.signals.send_after_commit", lambda *a, **k: None, raising=False)


def _subscriber(frequency: str) -> None:
    leer = office("landkreis-leer")
    sub = alerts.request_subscription(READER, alerts.clean_choice([leer.id], [], "", frequency),
                                      "127.0.0.1")
    alerts.confirm(alerts.make_token(sub, "confirm"), "127.0.0.1")


def _reader_rows(kind: str) -> list[Delivery]:
    db.session.remove()
    return list(db.session.scalars(select(Delivery).where(Delivery.kind == kind)
                                   .order_by(Delivery.id)))


def test_a_suppressed_reader_gets_no_digest(app, demo):
    _subscriber("daily")
    db.session.add(ReaderSuppression(email=READER, reason="550 5.1.1 unknown", source="smtp"))
    db.session.commit()
    publish("Erste Meldung des Tages")
    assert alerts.queue_digests() == 1
    (row,) = _reader_rows("digest")
    assert row.email == READER and row.state == "suppressed"


def test_a_reader_refused_with_550_lands_on_the_platform_list_not_the_office_list(app, demo):
    _subscriber("instant")
    with OwnSMTP() as server:
        server.handler.rcpt_replies[READER] = "550 5.1.1 no such user"
        version = publish("Neue Radwege im Rheiderland")
        assert alerts.queue_instant_alerts(version.id) == 1
        drive(version.id, server.transport,
              lambda: all(r.state == "failed" for r in _reader_rows("reader")))
    db.session.remove()
    assert db.session.scalars(select(Suppression.email)).all() == []
    assert db.session.scalars(select(ReaderSuppression.email)).all() == [READER]

    client = app.test_client()
    assert login(client, "admin@pressdesk.example").status_code == 302
    page = client.get("/desk/suppressions").get_data(as_text=True)
    assert READER not in page

    # The next alert to that address is written as suppressed, never sent.
    second = publish("Zweite Meldung")
    alerts.queue_instant_alerts(second.id)
    rows = [r for r in _reader_rows("reader") if r.version_id == second.id]
    assert [r.state for r in rows] == ["suppressed"]
