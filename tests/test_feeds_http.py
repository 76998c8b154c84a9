"""HTTP behaviour of feeds: ETag/Last-Modified/304, Cache-Control, gzip, the rendered-bytes cache
and its invalidation on publish, correction, embargo end and withdrawal; WebSub Link headers."""

import dataclasses
import gzip
from datetime import timedelta

import feedparser

from pressdesk.db import utcnow
from pressdesk.extensions import db
from pressdesk.feeds import services as feed_services
from pressdesk.releases.models import Release, ReleaseVersion
from tests.conftest import LIVE_PORT
from tests.feeds_support import publish
from tests.helpers import draft

BASE = f"http://127.0.0.1:{LIVE_PORT}"


def _titles(client, path="/feed.atom"):
    return [e.title for e in feedparser.parse(client.get(path).data).entries]


def test_304_cache_control_and_gzip(app, demo):
    publish()
    client = app.test_client()
    for fmt in ("rss", "atom", "json"):
        first = client.get(f"/feed.{fmt}")
        assert first.status_code == 200
        assert first.headers["Cache-Control"] == "public, max-age=60"
        assert "Accept-Encoding" in first.headers["Vary"]
        assert "Content-Encoding" not in first.headers
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        assert client.get(f"/feed.{fmt}", headers={"If-None-Match": etag}).status_code == 304
        assert client.get(f"/feed.{fmt}", headers={"If-Modified-Since": modified}).status_code == 304
        zipped = client.get(f"/feed.{fmt}", headers={"Accept-Encoding": "gzip, deflate"})
        assert zipped.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(zipped.data) == first.data
        assert len(zipped.data) < len(first.data)
        not_zipped = client.get(f"/feed.{fmt}", headers={"Accept-Encoding": "gzip;q=0"})
        assert not_zipped.data == first.data


def test_rendered_bytes_come_from_the_cache(app, demo, monkeypatch):
    publish()
    client = app.test_client()
    calls = []
    real = feed_services.render
    monkeypatch.setattr(feed_services, "render", lambda *a: calls.append(a) or real(*a))
    feed_services.cache().clear()
    one = client.get("/feed.rss").data
    two = client.get("/feed.rss", headers={"Accept-Encoding": "gzip"}).data
    assert len(calls) == 1 and gzip.decompress(two) == one
    client.get("/feed.atom")
    assert len(calls) == 2
    publish("Zweite Mitteilung")  # release_changed fires after commit: the cache is emptied
    assert len(feed_services.cache()) == 0
    assert "Zweite Mitteilung" in client.get("/feed.rss").get_data(as_text=True)
    assert len(calls) == 3


def _no_state_ttl(app, monkeypatch):
    s = app.extensions["pressdesk.settings"]
    monkeypatch.setitem(app.extensions, "pressdesk.settings",
                        dataclasses.replace(s, feed_state_ttl=0))


def test_stale_entries_are_unreachable_without_the_signal(app, demo, monkeypatch):
    """Another process never sees our signal: the state-based key alone must be enough
    (once its state micro-cache has expired: TTL 0 here)."""
    _no_state_ttl(app, monkeypatch)
    v = publish()
    client = app.test_client()
    before = client.get("/feed.atom")
    correction = ReleaseVersion(release_id=v.release_id, version=2, kind="correction",
                                headline="Neue Radwege im Rheiderland (korrigiert)",
                                lead=v.lead, body=v.body, created_at=utcnow())
    db.session.add(correction)
    db.session.commit()  # no signal sent
    after = client.get("/feed.atom", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    assert _titles(client) == ["Neue Radwege im Rheiderland (korrigiert)"]


def test_withdrawal_and_embargo_end_change_the_feed_and_last_modified(app, demo, monkeypatch):
    _no_state_ttl(app, monkeypatch)  # changes below are made without the signal
    publish("Bleibt")
    gone = publish("Wird zurückgezogen")
    client = app.test_client()
    first = client.get("/feed.atom")
    assert _titles(client) == ["Wird zurückgezogen", "Bleibt"]

    release = db.session.get(Release, gone.release_id)  # requests end the test's session
    release.status, release.withdrawn_at = "withdrawn", utcnow()
    db.session.commit()
    after = client.get("/feed.atom", headers={"If-Modified-Since": first.headers["Last-Modified"],
                                              "If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200
    assert _titles(client) == ["Bleibt"]

    embargoed = draft(headline="Unter Sperrfrist")
    embargoed.embargo_until = utcnow() + timedelta(hours=1)
    db.session.commit()
    from pressdesk.releases import services

    services.publish_release(embargoed, None)
    db.commit()
    third = client.get("/feed.atom")
    assert "Unter Sperrfrist" not in _titles(client)
    for fmt in ("rss", "json"):
        assert "Unter Sperrfrist" not in client.get(f"/feed.{fmt}").get_data(as_text=True)
    assert "Unter Sperrfrist" not in client.get("/suche/feed.rss?q=sperrfrist").get_data(
        as_text=True)
    embargoed = db.session.get(Release, embargoed.id)
    embargoed.embargo_until = utcnow() - timedelta(seconds=1)  # the embargo ends
    db.session.commit()
    fourth = client.get("/feed.atom", headers={"If-None-Match": third.headers["ETag"]})
    assert fourth.status_code == 200 and "Unter Sperrfrist" in _titles(client)


def test_websub_link_headers_only_when_a_hub_is_configured(app, demo, monkeypatch):
    publish()
    client = app.test_client()
    assert "Link" not in client.get("/feed.rss").headers
    s = app.extensions["pressdesk.settings"]
    monkeypatch.setitem(app.extensions, "pressdesk.settings",
                        dataclasses.replace(s, websub_hub="https://hub.example/"))
    for path in ("/feed.rss", "/presse/landkreis-leer/feed.atom", "/suche/feed.json?q=rad"):
        resp = client.get(path)
        links = resp.headers.getlist("Link")
        assert '<https://hub.example/>; rel="hub"' in links
        assert f'<{BASE}{path}>; rel="self"' in links
    rss = client.get("/feed.rss").get_data(as_text=True)
    assert "hub.example" not in rss  # never inside RSS
    doc = client.get("/feed.json").get_json()
    assert doc["hubs"] == [{"type": "WebSub", "url": "https://hub.example/"}]


def test_state_micro_cache_is_reused_and_cleared_by_the_signal(app, demo, monkeypatch):
    s = app.extensions["pressdesk.settings"]
    monkeypatch.setitem(app.extensions, "pressdesk.settings",
                        dataclasses.replace(s, feed_state_ttl=30.0))
    feed_services.state_cache().clear()
    app.extensions.pop("pressdesk.feed_scopes", None)
    v = publish("Erste")
    client = app.test_client()
    etag = client.get("/presse/landkreis-leer/feed.atom").headers["ETag"]
    assert feed_services.state_cache() and app.extensions["pressdesk.feed_scopes"]
    # a change that bypasses the signal is not seen within the TTL (by design, max 1 s default)
    db.session.add(ReleaseVersion(release_id=v.release_id, version=2, kind="correction",
                                  headline="Erste (korrigiert)", created_at=utcnow()))
    db.session.commit()
    assert client.get("/presse/landkreis-leer/feed.atom",
                      headers={"If-None-Match": etag}).status_code == 304
    publish("Zweite")  # release_changed after commit clears this process's states at once
    assert not feed_services.state_cache()
    assert client.get("/presse/landkreis-leer/feed.atom",
                      headers={"If-None-Match": etag}).status_code == 200
    assert _titles(client, "/presse/landkreis-leer/feed.atom") == ["Zweite", "Erste (korrigiert)"]


def test_cache_backends(app):
    """The in-process LRU evicts the oldest; with Redis configured (the PostgreSQL/Redis run),
    the shared cache round-trips bytes."""
    import os

    from pressdesk.feeds.cache import LocalCache, RedisCache, make_cache

    lru = LocalCache(max_entries=2)
    lru.set("a", b"1", b"g1")
    lru.set("b", b"2", b"g2")
    assert lru.get("a") == (b"1", b"g1")  # a is now the most recent
    lru.set("c", b"3", b"g3")
    assert lru.get("b") is None and lru.get("a") and lru.get("c")
    lru.clear()
    assert len(lru) == 0
    assert isinstance(make_cache(""), LocalCache)
    broker = os.environ.get("PRESSDESK_BROKER_URL", "")
    if broker.startswith("redis"):
        shared = make_cache(broker)
        assert isinstance(shared, RedisCache)
        shared.set("test-key", b"raw", b"gz")
        assert shared.get("test-key") == (b"raw", b"gz")
        assert shared.get("missing-key") is None
