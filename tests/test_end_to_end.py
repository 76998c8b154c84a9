"""Log in, write, publish through the desk; a real Celery worker mails nine outlets over SMTP;
the release is on the portal and in both feeds."""

import email
from email import policy

import feedparser
from sqlalchemy import select

from pressdesk.delivery.models import Delivery
from pressdesk.extensions import db
from tests.conftest import wait_for
from tests.desk_helpers import default_lists
from tests.helpers import csrf_token, login

# Publishing needs the publisher role: the editor may only write and submit.
LEER = "leitung.leer@pressdesk.example"


def _sent(version_id):
    db.session.remove()
    return db.session.scalars(select(Delivery).where(Delivery.version_id == version_id,
                                                     Delivery.state == "sent")).all()


def test_publish_through_the_desk_reaches_nine_outlets(app, demo, smtp, celery_worker):
    client = app.test_client()
    assert login(client, LEER).status_code == 302
    form = client.get("/desk/releases/new").get_data(as_text=True)
    resp = client.post("/desk/releases/new", data={
        "csrf_token": csrf_token(form), "headline": "Kreisstraße 12 ab Montag gesperrt",
        "subline": "Sanierung zwischen Bunde und Weener", "dateline_place": "Leer",
        "lead": "Die Kreisstraße 12 wird ab Montag für drei Wochen voll gesperrt.",
        "body": "Eine Umleitung über **Boen** ist ausgeschildert.",
    })
    assert resp.status_code == 302
    show_url = resp.headers["Location"]
    show = client.get(show_url).get_data(as_text=True)
    assert "Kreisstraße 12 ab Montag gesperrt" in show
    preview = client.get(show_url + "/preview").get_data(as_text=True)
    assert "<strong>Boen</strong>" in preview

    resp = client.post(show_url + "/publish", data={"csrf_token": csrf_token(show),
                                                    "lists": default_lists()})
    assert resp.status_code == 302 and "/deliveries" in resp.headers["Location"]
    version_id = int(resp.headers["Location"].split("/versions/")[1].split("/")[0])

    wait_for(lambda: len(smtp.messages) >= 9, timeout=30)
    wait_for(lambda: len(_sent(version_id)) == 9, timeout=30)
    assert len(smtp.messages) == 9
    recipients = [m.rcpt_tos for m in smtp.messages]
    assert all(len(r) == 1 for r in recipients), "each message goes to one outlet alone"
    assert len({r[0] for r in recipients}) == 9
    for m in smtp.messages:
        msg = email.message_from_bytes(m.data, policy=policy.default)
        assert msg["To"].addresses[0].addr_spec == m.rcpt_tos[0]
        assert "Kreisstraße 12 ab Montag gesperrt" in msg["Subject"]
        assert b"\n" not in m.data.replace(b"\r\n", b"")
    ids = {email.message_from_bytes(m.data, policy=policy.default)["Message-ID"]
           for m in smtp.messages}
    assert ids == {d.message_id for d in _sent(version_id)}

    report = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert report.count("Gesendet") >= 9 and "Ostfriesen-Zeitung" in report

    home = client.get("/").get_data(as_text=True)
    assert "Kreisstraße 12 ab Montag gesperrt" in home
    for fmt in ("rss", "atom"):
        feed = feedparser.parse(client.get(f"/feed.{fmt}").data)
        assert not feed.bozo, feed.get("bozo_exception")
        assert any(e.title == "Kreisstraße 12 ab Montag gesperrt" for e in feed.entries)


def test_message_as_sent_is_shown_in_the_desk(app, demo, smtp, celery_worker):
    from pressdesk.releases import services
    from tests.helpers import draft

    version = services.publish_release(draft(), None)
    db.commit()
    wait_for(lambda: len(_sent(version.id)) == 9, timeout=30)
    row = _sent(version.id)[0]
    client = app.test_client()
    login(client, LEER)
    shown = client.get(f"/desk/deliveries/{row.id}.eml").data
    received = next(m.data for m in smtp.messages if m.rcpt_tos == [row.email])
    assert shown.replace(b"\r\n", b"\n").strip() == received.replace(b"\r\n", b"\n").strip()


def test_sweeper_sends_rows_whose_wake_up_was_lost(app, demo, smtp, celery_worker, monkeypatch):
    from pressdesk.delivery import engine
    from pressdesk.releases import services
    from tests.helpers import draft

    monkeypatch.setattr("pressdesk.delivery.queue.send_task", lambda *a: None)  # lost
    version = services.publish_release(draft(), None)
    db.commit()
    monkeypatch.undo()
    assert _sent(version.id) == []
    assert version.id in engine.sweep()  # what beat runs every few seconds
    wait_for(lambda: len(_sent(version.id)) == 9, timeout=30)
