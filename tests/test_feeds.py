"""RSS and Atom read back with feedparser: ids, links, dates from the data, 304s."""

import feedparser

from pressdesk.extensions import db
from pressdesk.releases import services
from tests.conftest import LIVE_PORT
from tests.helpers import draft


def _publish(headline="Neue Radwege im Rheiderland", slug="landkreis-leer"):
    published = services.publish_release(draft(slug, headline=headline), None)
    db.commit()
    return published


def test_feeds_parse_with_stable_ids_and_absolute_links(app, demo):
    v = _publish()
    client = app.test_client()
    for fmt in ("rss", "atom"):
        data = client.get(f"/feed.{fmt}").data
        feed = feedparser.parse(data)
        assert not feed.bozo, feed.get("bozo_exception")
        entry = feed.entries[0]
        assert entry.title == "Neue Radwege im Rheiderland"
        assert entry.id.startswith("tag:127.0.0.1,") and v.release.public_id in entry.id
        assert entry.link.startswith("http://127.0.0.1:")
        assert entry.link.endswith(f"/presse/landkreis-leer/{v.release.year}/1-neue-radwege-im-rheiderland")
        self_links = [link.href for link in feed.feed.links if link.rel == "self"]
        assert self_links and self_links[0].endswith(f"/feed.{fmt}")
        assert feed.feed.link == f"http://127.0.0.1:{LIVE_PORT}/"  # the homepage, not self
        # a second fetch gives the same bytes: dates come from the data, not the clock
        assert client.get(f"/feed.{fmt}").data == data


def test_office_feed_holds_only_that_office(app, demo):
    _publish("Aus Leer")
    _publish("Aus Lingen", "stadt-lingen")
    feed = feedparser.parse(app.test_client().get("/presse/stadt-lingen/feed.atom").data)
    assert [e.title for e in feed.entries] == ["Aus Lingen"]


def test_etag_and_last_modified_answer_304(app, demo):
    _publish()
    client = app.test_client()
    first = client.get("/feed.atom")
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert client.get("/feed.atom", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/feed.atom", headers={"If-Modified-Since": last_modified}
                      ).status_code == 304
    _publish("Noch eine Mitteilung")
    again = client.get("/feed.atom", headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.headers["ETag"] != etag


def test_pages_advertise_feeds(app, demo):
    _publish()
    client = app.test_client()
    for path in ("/", "/presse/landkreis-leer", "/login"):
        html = client.get(path).get_data(as_text=True)
        assert 'rel="alternate" type="application/rss+xml"' in html, path
        assert 'rel="alternate" type="application/atom+xml"' in html, path
        assert 'rel="alternate" type="application/feed+json"' in html, path
    office_page = client.get("/presse/landkreis-leer").get_data(as_text=True)
    assert "/presse/landkreis-leer/feed.rss" in office_page


def test_drafts_are_not_public(app, demo):
    r = draft(headline="Noch geheim")
    client = app.test_client()
    assert "Noch geheim" not in client.get("/").get_data(as_text=True)
    assert "Noch geheim" not in client.get("/feed.rss").get_data(as_text=True)
    assert r.number is None
