"""Subscription pages and rules: validation that loses nothing, the consent record, expiring
confirmation links, GET never changes state, signed preferences, unsubscribe, the throttle."""

import time

from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from pressdesk.extensions import db
from pressdesk.releases.models import Topic
from pressdesk.subscriptions import services as alerts
from pressdesk.subscriptions.models import ConsentRecord, Subscriber
from pressdesk.throttle import ThrottleHit
from tests.conftest import LIVE_PORT
from tests.feeds_support import vocab
from tests.helpers import csrf_token, office

BASE = f"http://127.0.0.1:{LIVE_PORT}"


def _form(client, path="/benachrichtigungen", **env):
    page = client.get(path, **env)
    assert page.status_code == 200
    return page.get_data(as_text=True)


def _post(client, address, env=None, **fields):
    env = env or {}
    html = _form(client, environ_base=env) if env else _form(client)
    data = {"csrf_token": csrf_token(html), "email": address, "frequency": "instant",
            "consent": "y", "offices": [str(office("landkreis-leer").id)], **fields}
    return client.post("/benachrichtigungen", data=data, environ_base=env)


def _sub(address):
    db.session.remove()
    return db.session.scalar(select(Subscriber).where(Subscriber.email == address))


def test_request_records_consent_with_the_exact_text_shown(app, demo):
    client = app.test_client()
    html = _form(client)
    shown = alerts.consent_text()
    assert shown in html
    resp = _post(client, "Anna@Example.org")
    assert resp.status_code == 200
    sub = _sub("anna@example.org")  # normalised
    assert sub.status == "pending" and [o.slug for o in sub.offices] == ["landkreis-leer"]
    consent = db.session.scalar(select(ConsentRecord).where(ConsentRecord.subscriber_id == sub.id))
    assert consent.action == "requested" and consent.text == shown
    assert consent.ip == "127.0.0.1" and consent.at is not None


def test_bad_input_gets_a_clear_error_and_keeps_what_was_typed(app, demo):
    client = app.test_client()
    html = _form(client)
    resp = client.post("/benachrichtigungen", data={
        "csrf_token": csrf_token(html), "email": "kein-at-zeichen", "consent": "y",
        "frequency": "daily", "query": "Radweg Bunde", "offices": []})
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "gültige E-Mail-Adresse" in page
    assert 'value="kein-at-zeichen"' in page and 'value="Radweg Bunde"' in page
    resp = client.post("/benachrichtigungen", data={
        "csrf_token": csrf_token(html), "email": "bert@example.org", "consent": "y",
        "frequency": "instant"})
    assert resp.status_code == 400 and "mindestens eine Pressestelle" in resp.get_data(as_text=True)
    assert 'value="bert@example.org"' in resp.get_data(as_text=True)
    resp = client.post("/benachrichtigungen", data={
        "csrf_token": csrf_token(html), "email": "bert@example.org", "frequency": "instant",
        "query": "Hafen"})
    assert resp.status_code == 400 and "zu" in resp.get_data(as_text=True)  # consent missing
    resp = client.post("/benachrichtigungen", data={"email": "x@example.org", "consent": "y",
                                                    "query": "Hafen", "frequency": "instant"})
    assert resp.status_code == 400  # no CSRF token
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Subscriber)) == 0


def test_prefilled_from_an_office_or_a_search(app, demo):
    leer = office("landkreis-leer")
    html = _form(app.test_client(), "/benachrichtigungen?office=landkreis-leer&q=Radweg")
    assert f'name="offices" value="{leer.id}" id="office-{leer.id}"\n        checked' in html
    assert 'value="Radweg"' in html


def test_confirmation_link_expires_and_get_never_confirms(app, demo, monkeypatch):
    client = app.test_client()
    _post(client, "carla@example.org")
    sub = _sub("carla@example.org")
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp",
                        lambda self: int(time.time()) - 3 * 86400)  # made three days ago
    old_token = alerts.make_token(sub, "confirm")
    monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
    resp = client.get(f"/benachrichtigungen/bestaetigen/{old_token}")
    assert resp.status_code == 400 and "abgelaufen" in resp.get_data(as_text=True)
    resp = client.post(f"/benachrichtigungen/bestaetigen/{old_token}",
                       data={"csrf_token": csrf_token(_form(client))})
    assert resp.status_code == 400 and _sub("carla@example.org").status == "pending"

    token = alerts.make_token(_sub("carla@example.org"), "confirm")
    page = client.get(f"/benachrichtigungen/bestaetigen/{token}")
    assert page.status_code == 200 and "Landkreis Leer" in page.get_data(as_text=True)
    assert _sub("carla@example.org").status == "pending"
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/benachrichtigungen/bestaetigen/{tampered}").status_code == 400
    assert client.get(f"/benachrichtigungen/bestaetigen/{alerts.make_token(_sub('carla@example.org'), 'unsubscribe')}").status_code == 400  # noqa: E501 - wrong purpose
    resp = client.post(f"/benachrichtigungen/bestaetigen/{token}",
                       data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert resp.status_code == 200
    sub = _sub("carla@example.org")
    assert sub.status == "active" and sub.confirmed_at is not None
    actions = db.session.scalars(select(ConsentRecord.action).where(
        ConsentRecord.subscriber_id == sub.id).order_by(ConsentRecord.id)).all()
    assert actions == ["requested", "confirmed"]


def test_active_subscription_is_not_changed_by_the_public_form(app, demo):
    client = app.test_client()
    _post(client, "dora@example.org")
    alerts.confirm(alerts.make_token(_sub("dora@example.org"), "confirm"), "127.0.0.1")
    db.commit()  # a service called directly: the test is the unit of work
    lingen = office("stadt-lingen")
    resp = _post(client, "dora@example.org", offices=[str(lingen.id)], frequency="daily")
    assert resp.status_code == 200  # same answer as for a new address
    sub = _sub("dora@example.org")
    assert [o.slug for o in sub.offices] == ["landkreis-leer"] and sub.frequency == "instant"


def test_preferences_through_the_signed_link(app, demo):
    topic = vocab(Topic, "stadt-lingen", "verkehr", "Verkehr")
    client = app.test_client()
    _post(client, "emil@example.org")
    alerts.confirm(alerts.make_token(_sub("emil@example.org"), "confirm"), "127.0.0.1")
    db.commit()  # a service called directly: the test is the unit of work
    token = alerts.make_token(_sub("emil@example.org"), "manage")
    page = client.get(f"/benachrichtigungen/einstellungen/{token}")
    assert page.status_code == 200 and "emil@example.org" in page.get_data(as_text=True)
    resp = client.post(f"/benachrichtigungen/einstellungen/{token}", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "topics": [str(topic.id)],
        "query": "Hafen", "frequency": "daily"})
    assert resp.status_code == 303
    sub = _sub("emil@example.org")
    assert sub.offices == [] and [t.slug for t in sub.topics] == ["verkehr"]
    assert sub.query == "Hafen" and sub.frequency == "daily"
    # nothing chosen: refused, kept as it was
    resp = client.post(f"/benachrichtigungen/einstellungen/{token}", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "frequency": "daily"})
    assert resp.status_code == 400
    assert _sub("emil@example.org").query == "Hafen"
    assert client.get("/benachrichtigungen/einstellungen/unsinn").status_code == 400


def test_unsubscribe_page_and_button(app, demo):
    client = app.test_client()
    _post(client, "fritz@example.org")
    alerts.confirm(alerts.make_token(_sub("fritz@example.org"), "confirm"), "127.0.0.1")
    db.commit()  # a service called directly: the test is the unit of work
    url = alerts.unsubscribe_url(_sub("fritz@example.org"))
    assert url.startswith(f"{BASE}/benachrichtigungen/abbestellen/")
    page = client.get(url.removeprefix(BASE))
    assert page.status_code == 200 and "Jetzt abbestellen" in page.get_data(as_text=True)
    assert _sub("fritz@example.org").status == "active"  # GET changes nothing
    assert client.post(url.removeprefix(BASE)).status_code == 200
    sub = _sub("fritz@example.org")
    assert sub.status == "unsubscribed" and sub.unsubscribed_at is not None
    assert client.post(url.removeprefix(BASE)).status_code == 200  # again: still fine
    assert client.post("/benachrichtigungen/abbestellen/unsinn").status_code == 400
    # the preferences link no longer works
    token = alerts.make_token(sub, "manage")
    assert client.get(f"/benachrichtigungen/einstellungen/{token}").status_code == 410


def test_throttle_per_address_and_per_client(app, demo):
    client = app.test_client()
    for _ in range(3):
        assert _post(client, "opfer@example.org").status_code == 200
    blocked = _post(client, "opfer@example.org")
    assert blocked.status_code == 429
    assert "zu viele Anfragen" in blocked.get_data(as_text=True)
    assert 'value="opfer@example.org"' in blocked.get_data(as_text=True)  # input kept
    # another client cannot use the address either (per address)
    assert _post(client, "opfer@example.org", env={"REMOTE_ADDR": "10.0.0.9"}).status_code == 429
    # one client cannot spray many addresses (per client): 10 requests, then stop
    for i in range(10):
        assert _post(client, f"leser{i}@example.org", env={"REMOTE_ADDR": "10.0.0.5"}
                     ).status_code == 200
    assert _post(client, "leser99@example.org", env={"REMOTE_ADDR": "10.0.0.5"}).status_code == 429
    # nor its neighbours (per client network, /24)
    assert _post(client, "leser99@example.org", env={"REMOTE_ADDR": "10.0.0.6"}).status_code == 429
    assert _post(client, "leser99@example.org", env={"REMOTE_ADDR": "10.0.1.6"}).status_code == 200
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Subscriber).where(
        Subscriber.email == "leser99@example.org")) == 1
    assert db.session.scalar(select(func.count()).select_from(ThrottleHit)) > 0


def test_tag_variants_and_neighbour_clients_cannot_flood_one_mailbox(app, demo, monkeypatch):
    mails = []
    monkeypatch.setattr(alerts, "send_task", lambda name, *args: mails.append(args))
    client = app.test_client()
    answers = [_post(client, f"opfer+{i}@example.org", env={"REMOTE_ADDR": f"10.1.{i}.1"}
                     ).status_code for i in range(10)]
    assert answers.count(200) == 3 and set(answers[3:]) == {429}  # per mailbox, tags removed
    assert _post(client, "OPFER@example.org", env={"REMOTE_ADDR": "10.2.0.1"}).status_code == 429
    assert len(mails) == 1  # one confirmation per mailbox a window, however it is spelt
    # five clients of one IPv6 /64 are one client network
    for i in range(12):
        _post(client, f"leser{i}@example.org", env={"REMOTE_ADDR": f"2001:db8:1:2::{i % 5 + 1}"})
    assert _post(client, "neu@example.org", env={"REMOTE_ADDR": "2001:db8:1:2::99"}
                 ).status_code == 429
    assert _post(client, "neu@example.org", env={"REMOTE_ADDR": "2001:db8:1:3::1"}
                 ).status_code == 200
