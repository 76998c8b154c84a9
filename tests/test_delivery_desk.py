"""The delivery report in the desk: per-row JSON, pause/resume/cancel/retry for publishers and
admins only, suppressions lifted by admins only, another office sees nothing of it."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from pressdesk.accounts.models import Membership
from pressdesk.delivery import controls, engine, suppressions
from pressdesk.delivery.models import Delivery, Suppression
from pressdesk.extensions import db
from tests.delivery_support import publish_to, recipients, states
from tests.helpers import ADMIN, EDITOR, logged_in, office, post, token_of

LEER = EDITOR
EMSLAND = "redaktion.emsland@pressdesk.example"


pytestmark = pytest.mark.usefixtures("no_wakeups")


def test_progress_json_has_counts_control_and_every_row(app, demo):
    version = publish_to(recipients(3))
    db.session.execute(update(Delivery).where(Delivery.email == "redaktion00001@zeitung.example")
                       .values(state="failed", last_error="550 nope"))
    db.session.commit()
    data = logged_in(app, LEER).get(f"/desk/versions/{version.id}/progress.json").get_json()
    assert data["counts"] == {"queued": 2, "failed": 1} and data["total"] == 3
    assert data["control"] == "active"
    failed = [r for r in data["rows"] if r["state"] == "failed"]
    assert len(failed) == 1 and failed[0]["label"] == "Fehlgeschlagen"
    assert failed[0]["error"] == "550 nope"


def test_editor_sees_report_but_cannot_control(app, demo):
    version = publish_to(recipients(3))
    client = logged_in(app, LEER)  # demo editors are editors
    page = client.get(f"/desk/versions/{version.id}/deliveries").get_data(as_text=True)
    assert "Versandbericht" in page and "pause-button" not in page
    base = f"/desk/versions/{version.id}"
    for action in ("pause", "cancel", "retry-failed", "resume"):
        assert post(client, f"{base}/{action}", page=f"{base}/deliveries").status_code == 403
    assert controls.control_state(version.id) == "active"


def test_admin_pauses_resumes_cancels_and_retries(app, demo):
    version = publish_to(recipients(4))
    client = logged_in(app, ADMIN)
    base = f"/desk/versions/{version.id}"
    page = client.get(f"{base}/deliveries").get_data(as_text=True)
    assert "pause-button" in page and "cancel-button" in page
    resp = post(client, f"{base}/pause", page=f"{base}/deliveries")
    assert resp.status_code == 302
    page = client.get(f"{base}/deliveries").get_data(as_text=True)
    assert "Der Versand ist angehalten." in page and "resume-button" in page
    assert controls.control_state(version.id) == "paused"
    assert engine.sweep() == []
    post(client, f"{base}/resume", page=f"{base}/deliveries")
    assert controls.control_state(version.id) == "active"

    db.session.execute(update(Delivery).where(Delivery.version_id == version.id,
                                              Delivery.email.like("redaktion00000%"))
                       .values(state="failed", attempts=8, last_error="451 (gave up)"))
    db.session.commit()
    post(client, f"{base}/retry-failed", page=f"{base}/deliveries")
    assert states(version.id) == {"queued": 4}

    post(client, f"{base}/cancel", page=f"{base}/deliveries")
    assert states(version.id) == {"cancelled": 4}
    page = client.get(f"{base}/deliveries").get_data(as_text=True)
    assert "Abgebrochen" in page and "pause-button" not in page and "resume-button" not in page
    # Without a CSRF token nothing happens.
    assert client.post(f"{base}/resume").status_code == 400


def test_publisher_may_control(app, demo):
    version = publish_to(recipients(2))
    m = db.session.query(Membership).join(Membership.user).filter_by(email=LEER).one()
    m.role = "publisher"
    db.session.commit()
    client = logged_in(app, LEER)
    base = f"/desk/versions/{version.id}"
    assert post(client, f"{base}/pause", page=f"{base}/deliveries").status_code == 302
    assert controls.control_state(version.id) == "paused"


def test_suppressions_listed_and_lifted_by_admin_only(app, demo):
    leer = office("landkreis-leer")
    suppressions.suppress(leer.id, "Weg@Zeitung.example", "550 5.1.1 unknown", "smtp")
    db.session.commit()
    sid = db.session.query(Suppression).one().id
    editor = logged_in(app, LEER)
    page = editor.get("/desk/suppressions").get_data(as_text=True)
    assert "weg@zeitung.example" in page and "/lift" not in page
    assert post(editor, f"/desk/suppressions/{sid}/lift", page="/desk/suppressions").status_code == 403
    admin = logged_in(app, ADMIN)
    resp = post(admin, f"/desk/suppressions/{sid}/lift", page="/desk/suppressions")
    assert resp.status_code == 302
    assert db.session.query(Suppression).count() == 0
    assert "Keine gesperrten Adressen" in admin.get("/desk/suppressions").get_data(as_text=True)


def test_another_office_sees_and_touches_nothing(app, demo):
    version = publish_to(recipients(2))
    leer = office("landkreis-leer")
    suppressions.suppress(leer.id, "weg@zeitung.example", "550", "smtp")
    db.session.commit()
    sid = db.session.query(Suppression).one().id
    row_id = db.session.query(Delivery).first().id
    other = logged_in(app, EMSLAND)
    base = f"/desk/versions/{version.id}"
    assert other.get(f"{base}/deliveries").status_code == 404
    assert other.get(f"{base}/progress.json").status_code == 404
    assert other.get(f"/desk/deliveries/{row_id}.eml").status_code == 404
    assert "weg@zeitung.example" not in other.get("/desk/suppressions").get_data(as_text=True)
    # Even an admin of both offices acts only within the office chosen in the desk.
    m = db.session.query(Membership).join(Membership.user).filter_by(email=EMSLAND).one()
    m.role = "admin"
    db.session.commit()
    other = logged_in(app, EMSLAND)
    token = token_of(other, "/desk/suppressions")
    assert other.post(f"{base}/pause", data={"csrf_token": token}).status_code == 404
    assert other.post(f"/desk/suppressions/{sid}/lift", data={"csrf_token": token}).status_code == 404
    assert controls.control_state(version.id) == "active"
    assert db.session.query(Suppression).count() == 1


def test_progress_json_since_returns_only_changed_rows(app, demo):
    from datetime import timedelta

    from pressdesk.db import utcnow

    version = publish_to(recipients(5))
    client = logged_in(app, LEER)
    url = f"/desk/versions/{version.id}/progress.json"
    first = client.get(url).get_json()
    assert len(first["rows"]) == 5 and first["total"] == 5
    db.session.execute(update(Delivery).where(Delivery.email == "redaktion00002@zeitung.example")
                       .values(state="sent", updated_at=utcnow() + timedelta(seconds=5)))
    db.session.commit()
    later = client.get(url, query_string={"since": (utcnow() + timedelta(seconds=1)).isoformat()})
    data = later.get_json()
    assert [r["state"] for r in data["rows"]] == ["sent"] and data["total"] == 5
    assert data["counts"] == {"queued": 4, "sent": 1}
    assert client.get(url, query_string={"since": "gestern"}).status_code == 400
    assert client.get(url, query_string={"since": "2026-11-23T10:00:00"}).status_code == 400


def test_report_counts_only_newspapers_and_progress_shows_no_reader_rows(app, demo):
    """Reader alerts of the same version are platform mail: not counted, not listed, no texts."""
    from pressdesk.delivery.queue import Recipient, enqueue
    from pressdesk.releases.models import ReleaseVersion

    version = publish_to(recipients(9))
    version = db.session.get(ReleaseVersion, version.id)
    enqueue(version, [Recipient("leser@example.org", unsubscribe_url="https://x.example/u")],
            kind="reader")
    db.session.commit()
    db.session.execute(update(Delivery).where(Delivery.kind == "reader")
                       .values(state="failed", last_error="550 leser@example.org unknown"))
    db.session.execute(update(Delivery).where(Delivery.kind == "outlet").values(state="sent"))
    db.session.commit()
    client = logged_in(app, LEER)
    page = client.get(f"/desk/versions/{version.id}/deliveries").get_data(as_text=True)
    assert "9 / 9" in page and "10 / 10" not in page
    data = client.get(f"/desk/versions/{version.id}/progress.json").get_json()
    assert data["counts"] == {"sent": 9} and data["total"] == 9
    assert len(data["rows"]) == 9
    assert "leser@example.org" not in str(data)
    show = client.get(f"/desk/releases/{version.release_id}").get_data(as_text=True)
    assert "9 von 9 gesendet" in show and "von 10 gesendet" not in show


def test_errors_are_explained_in_german_with_the_technical_text_one_click_away(app, demo):
    version = publish_to(recipients(3))
    for i, (state, error) in enumerate([
            ("retrying", "outbox: [Errno 28] No space left on device"),
            ("retrying", "451 4.3.0 Temporary local problem"),
            ("failed", "550 5.1.1 no such user")]):
        db.session.execute(update(Delivery).where(Delivery.email == f"redaktion{i:05d}@zeitung.example")
                           .values(state=state, last_error=error, attempts=1))
    db.session.commit()
    client = logged_in(app, LEER)
    page = client.get(f"/desk/versions/{version.id}/deliveries").get_data(as_text=True)
    assert "Der Ausgangsordner für E-Mails ist voll" in page
    assert "Ihre IT" in page
    assert "vorübergehend nicht angenommen" in page and "Ja, automatisch" in page
    assert "kennt diese Adresse nicht" in page and "Redaktion" in page
    # The technical text is still there, folded away.
    assert "<details" in page and "451 4.3.0 Temporary local problem" in page
    data = client.get(f"/desk/versions/{version.id}/progress.json").get_json()
    by_error = {r["error"]: r for r in data["rows"] if r["error"]}
    full = by_error["outbox: [Errno 28] No space left on device"]["explanation"]
    assert full["what"].startswith("Der Ausgangsordner") and full["retried"].startswith("Ja")
    assert by_error["550 5.1.1 no such user"]["explanation"]["retried"].startswith("Nein")


def test_the_report_says_when_no_worker_is_sending(app, demo):
    from pressdesk import heartbeat

    version = publish_to(recipients(2))
    client = logged_in(app, LEER)
    url = f"/desk/versions/{version.id}/deliveries"
    assert 'id="worker-warning"' in client.get(url).get_data(as_text=True)
    heartbeat.beat("w1@host")
    db.session.commit()
    assert 'id="worker-warning"' not in client.get(url).get_data(as_text=True)
