"""WebSub publish pings from the real Celery worker to a hub stand-in on loopback, with retries."""

import dataclasses
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from tests.conftest import LIVE_PORT, wait_for
from tests.feeds_support import publish

BASE = f"http://127.0.0.1:{LIVE_PORT}"


class Hub:
    """Records every ping; answers from ``replies`` first (e.g. 503), then 204."""

    def __init__(self) -> None:
        self.pings: list[dict[str, list[str]]] = []
        self.answers: list[int] = []
        self.replies: list[int] = []
        self.lock = threading.Lock()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                with hub.lock:
                    code = hub.replies.pop(0) if hub.replies else 204
                    hub.answers.append(code)
                    if code < 300:
                        hub.pings.append(parse_qs(body) | {
                            "content-type": [self.headers["Content-Type"]]})
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hub"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def urls(self) -> set[str]:
        with self.lock:
            return {p["hub.url"][0] for p in self.pings}


@pytest.fixture
def hub(app, monkeypatch):
    h = Hub()
    s = app.extensions["pressdesk.settings"]
    monkeypatch.setitem(app.extensions, "pressdesk.settings",
                        dataclasses.replace(s, websub_hub=h.url))
    yield h
    h.server.shutdown()


def test_publish_pings_the_hub_for_every_touched_feed_with_retries(app, demo, celery_worker,
                                                                    hub):
    hub.replies = [503, 503]  # the hub is down at first: the task retries with backoff
    publish(topics=("verkehr",), regions=("rheiderland",))
    expected = {f"{BASE}{path}.{fmt}" for fmt in ("rss", "atom", "json") for path in (
        "/feed", "/presse/landkreis-leer/feed", "/presse/landkreis-leer/themen/verkehr/feed",
        "/presse/landkreis-leer/regionen/rheiderland/feed", "/thema/verkehr/feed",
        "/region/rheiderland/feed")}
    wait_for(lambda: hub.urls() == expected, timeout=40)
    assert hub.answers[:2] == [503, 503]
    assert all(p["hub.mode"] == ["publish"] for p in hub.pings)
    assert all(p["content-type"] == ["application/x-www-form-urlencoded"] for p in hub.pings)
    # every pinged URL is a working feed that names the hub and itself in its Link headers
    client = app.test_client()
    for url in expected:
        links = client.get(url.removeprefix(BASE)).headers.getlist("Link")
        assert f'<{hub.url}>; rel="hub"' in links and f'<{url}>; rel="self"' in links


def test_other_offices_feeds_are_not_pinged(app, demo, celery_worker, hub):
    publish("Marktplatz Lingen", office_slug="stadt-lingen")
    wait_for(lambda: len(hub.urls()) == 6, timeout=30)
    assert all("landkreis-leer" not in u for u in hub.urls())
    assert f"{BASE}/presse/stadt-lingen/feed.atom" in hub.urls()


def test_an_embargoed_release_is_announced_when_its_embargo_ends(app, demo, hub):
    from datetime import timedelta

    from pressdesk.db import utcnow
    from pressdesk.extensions import db
    from pressdesk.feeds import websub
    from pressdesk.releases import services, workflow
    from pressdesk.releases.models import Release
    from tests.helpers import draft

    release = draft(headline="Unter Sperrfrist")
    release.embargo_until = utcnow() + timedelta(days=1)
    db.session.commit()
    rid = release.id
    services.publish_release(release, None)
    assert websub.ping_release(rid) == 0  # published, but nobody may know yet
    assert hub.urls() == set()
    release = db.session.get(Release, rid)
    release.embargo_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert workflow.end_embargoes() == [rid]
    db.commit()  # a service called directly: the test is the unit of work
    assert websub.ping_release(rid) == 6  # all offices and the office, three formats
    assert f"{BASE}/presse/landkreis-leer/feed.atom" in hub.urls()
