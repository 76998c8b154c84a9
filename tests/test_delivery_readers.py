"""Reader mail goes through the one way into the outbox: the platform's reader suppression
list applies to alerts and digests, and a refused reader address never reaches an office."""

from __future__ import annotations

import base64
import email
import re
import subprocess
from datetime import UTC, datetime, timedelta
from email import policy

import dkim
import pytest
from sqlalchemy import select

from pressdesk.delivery import engine
from pressdesk.delivery.models import Delivery, ReaderSuppression, Suppression
from pressdesk.extensions import db
from pressdesk.releases.models import ReleaseVersion
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


@pytest.fixture
def dkim_key(tmp_path):  # type: ignore[no-untyped-def]
    key = tmp_path / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    pub = subprocess.run(["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return key, b"v=DKIM1; k=rsa; p=" + base64.b64encode(pub)


def _dns(record: bytes):  # type: ignore[no-untyped-def]
    return lambda name, timeout=5: record


def _signed_headers(data: bytes) -> set[str]:
    sig = email.message_from_bytes(data, policy=policy.default)["DKIM-Signature"]
    tags = dict(t.strip().split("=", 1) for t in str(sig).replace("\r\n", "").split(";") if "=" in t)
    return {h.strip().lower() for h in tags["h"].split(":")}


def test_reader_alerts_are_signed_over_their_own_headers_and_dated_when_sent(
        app, demo, settings_override, dkim_key):
    key, record = dkim_key
    settings_override(dkim_key_file=str(key), dkim_selector="pd2026")
    _subscriber("instant")
    version = publish("Neue Radwege im Rheiderland")
    assert alerts.queue_instant_alerts(version.id) == 1
    db.session.commit()
    # The alert was rendered at publish time; the mail must carry the time it is sent.
    stored = db.session.get(ReleaseVersion, version.id)
    stored.reader_mail_bytes = re.sub(rb"(?m)^Date: [^\r\n]*", b"Date: Mon, 01 Jan 2024 08:00:00 +0000",
                                      stored.reader_mail_bytes, count=1)
    db.session.commit()
    started = datetime.now(UTC)
    with OwnSMTP() as server:
        drive(version.id, server.transport,
              lambda: all(r.state == "sent" for r in _reader_rows("reader")))
        (alert,) = [m for m in server.handler.messages if m.rcpt_tos == [READER]]
    assert dkim.verify(alert.data, dnsfunc=_dns(record))
    assert {"to", "message-id", "list-unsubscribe", "list-unsubscribe-post", "from",
            "subject", "date"} <= _signed_headers(alert.data)
    msg = email.message_from_bytes(alert.data, policy=policy.default)
    assert len(msg.get_all("Date")) == 1
    assert msg["Date"].datetime >= started.replace(microsecond=0) - timedelta(seconds=1)
    # Changing a signed personal header breaks the signature.
    forged = alert.data.replace(READER.encode(), b"jemand@example.org")
    assert not dkim.verify(forged, dnsfunc=_dns(record))


def test_double_opt_in_mail_goes_through_the_outbox_signed(app, demo, smtp, settings_override, dkim_key):
    key, record = dkim_key
    settings_override(dkim_key_file=str(key), dkim_selector="pd2026")
    leer = office("landkreis-leer")
    sub = alerts.request_subscription("neu@example.org",
                                      alerts.clean_choice([leer.id], [], "", "instant"), "127.0.0.1")
    db.session.commit()
    assert alerts.send_service_mail(sub.id, sub.request_nonce, "confirm")
    db.session.commit()
    # Into the outbox like every message: a row of kind "service" (no release), sent by the engine.
    (row,) = _reader_rows("service")
    assert row.email == "neu@example.org" and row.version_id is None and row.office_id is None
    assert engine.deliver_version(None) == 1
    assert [r.state for r in _reader_rows("service")] == ["sent"]
    (mail,) = [m for m in smtp.messages if m.rcpt_tos == ["neu@example.org"]]
    assert dkim.verify(mail.data, dnsfunc=_dns(record))
    assert {"to", "message-id", "subject", "from"} <= _signed_headers(mail.data)


def test_no_confirmation_mail_to_a_refused_reader_address(app, demo, smtp):
    db.session.add(ReaderSuppression(email="weg@example.org", reason="550", source="smtp"))
    db.session.commit()
    leer = office("landkreis-leer")
    sub = alerts.request_subscription("weg@example.org",
                                      alerts.clean_choice([leer.id], [], "", "instant"), "127.0.0.1")
    db.session.commit()
    assert alerts.send_service_mail(sub.id, sub.request_nonce, "confirm") is False
    assert _reader_rows("service") == []
    assert [m for m in smtp.messages if m.rcpt_tos == ["weg@example.org"]] == []
