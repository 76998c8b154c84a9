"""What outside reviews found in the feeds: markup in HTML-capable fields, dates of embargoed
entries, and HTTP details (weak validators, per-encoding ETags, no cookies, honest dates)."""

import dataclasses
import json
from datetime import timedelta

import feedparser
from lxml import etree, html

from pressdesk.db import utcnow
from pressdesk.extensions import db
from pressdesk.releases import services as releases
from pressdesk.releases import workflow
from pressdesk.releases.models import Release, Topic
from tests.conftest import LIVE_PORT
from tests.feeds_support import publish, vocab
from tests.helpers import draft, office

BASE = f"http://127.0.0.1:{LIVE_PORT}"
ATTACK = '<img src=x onerror="alert(1)">'


def _descriptions(data: bytes) -> list[str]:
    root = etree.fromstring(data)
    return [el.text or "" for el in root.iter("description")]


def _no_elements(fragment: str) -> bool:
    """Read as HTML (as a feed reader does with RSS <description>), the text makes no element."""
    return not html.fragment_fromstring(fragment, create_parent="div").xpath(".//*")


def test_rss_descriptions_carry_no_markup_from_text_fields(app, demo):
    o = office("landkreis-leer")
    o.description = f"Die Pressestelle {ATTACK} des Landkreises"
    db.session.commit()
    publish("Radweg Bunde", subline=f"Unterzeile {ATTACK}", lead=f"Vorspann <b>fett</b> {ATTACK}")
    publish("Radweg Weener", subline="", lead=f"Nur Vorspann {ATTACK}")
    client = app.test_client()
    paths = ["/feed.rss", "/presse/landkreis-leer/feed.rss", "/suche/feed.rss?q=radweg",
             "/suche/feed.rss?q=" + ATTACK.replace(" ", "+") + "+radweg"]
    for path in paths:
        resp = client.get(path)
        assert resp.status_code == 200, path
        texts = _descriptions(resp.data)
        assert len(texts) >= (1 if "onerror" in path else 2), path  # the channel's, at least
        for text in texts:
            assert _no_elements(text), (path, text)
    office_feed = client.get("/presse/landkreis-leer/feed.rss").data
    assert any("onerror" in t for t in _descriptions(office_feed))  # shown as text, not dropped
    searched = client.get("/suche/feed.rss?q=" + ATTACK.replace(" ", "+") + "+radweg")
    title = etree.fromstring(searched.data).findtext("channel/title")
    assert "<" not in title and ">" not in title


def test_embargoed_entries_are_published_at_embargo_end_and_never_updated_before(app, demo):
    release = draft(headline="Unter Sperrfrist")
    release.embargo_until = utcnow() + timedelta(hours=1)
    db.session.commit()
    releases.publish_release(release, None)
    rid = release.id
    release = db.session.get(Release, rid)
    end = utcnow() - timedelta(seconds=1)
    release.embargo_until = end
    db.session.commit()
    assert workflow.end_embargoes() == [rid]
    db.commit()  # a service called directly: the test is the unit of work
    db.session.remove()
    public = db.session.get(Release, rid).went_public_at
    client = app.test_client()
    entry = next(e for e in feedparser.parse(client.get("/feed.atom").data).entries
                 if e.title == "Unter Sperrfrist")
    from calendar import timegm
    published, updated = timegm(entry.published_parsed), timegm(entry.updated_parsed)
    assert published == int(public.timestamp())
    assert updated >= published
    item = next(i for i in json.loads(client.get("/feed.json").data)["items"]
                if i["title"] == "Unter Sperrfrist")
    assert item["date_modified"] >= item["date_published"]


def test_weak_validators_and_one_etag_per_encoding(app, demo):
    publish()
    client = app.test_client()
    for fmt in ("rss", "atom", "json"):
        plain = client.get(f"/feed.{fmt}")
        zipped = client.get(f"/feed.{fmt}", headers={"Accept-Encoding": "gzip"})
        assert plain.headers["ETag"] != zipped.headers["ETag"]  # different bytes, different tags
        for resp, enc in ((plain, "identity"), (zipped, "gzip")):
            tag = resp.headers["ETag"]
            weak = tag if tag.startswith("W/") else "W/" + tag
            again = client.get(f"/feed.{fmt}", headers={"If-None-Match": weak,
                                                         "Accept-Encoding": enc})
            assert again.status_code == 304, (fmt, enc)
            assert again.headers["ETag"] == tag


def test_public_feeds_set_no_cookie_and_do_not_vary_on_it(app, demo):
    publish()
    client = app.test_client()
    client.get("/")  # a visitor who already has a session cookie
    client.get("/benachrichtigungen")
    for path in ("/feed.rss", "/feed.atom", "/suche/feed.json?q=radweg", "/feeds.opml"):
        resp = client.get(path)
        assert "Cookie" not in resp.headers.get("Vary", ""), path
        assert "Set-Cookie" not in resp.headers, path


def test_an_empty_feed_claims_no_last_modified(app, demo):
    vocab(Topic, "landkreis-leer", "leer-ohne", "Ohne Mitteilungen")
    client = app.test_client()
    resp = client.get("/presse/landkreis-leer/themen/leer-ohne/feed.atom")
    assert resp.status_code == 200
    assert "Last-Modified" not in resp.headers
    assert feedparser.parse(resp.data).entries == []
    assert client.get("/presse/landkreis-leer/themen/leer-ohne/feed.atom", headers={
        "If-Modified-Since": "Wed, 01 Jan 2031 00:00:00 GMT"}).status_code == 200


def test_json_feed_pages_name_the_feed_itself(app, demo, monkeypatch):
    s = app.extensions["pressdesk.settings"]
    monkeypatch.setitem(app.extensions, "pressdesk.settings",
                        dataclasses.replace(s, feed_page_size=20))
    for i in range(21):
        publish(f"Mitteilung {i}")
    client = app.test_client()
    two = json.loads(client.get("/feed.json?seite=2").data)
    assert two["feed_url"] == f"{BASE}/feed.json"
    assert len(two["items"]) == 1


def _alternates(page: str) -> list[tuple[str, str]]:
    import re

    return [(m.group(1), m.group(2).replace("&amp;", "&")) for m in re.finditer(
        r'<link rel="alternate" type="([^"]+)" title="[^"]*" href="([^"]+)"', page)]


def test_topic_and_region_pages_advertise_their_own_feeds(app, demo):
    publish("Radweg Bunde", topics=("verkehr",), regions=("rheiderland",))
    publish("Marktplatz Lingen", office_slug="stadt-lingen", topics=("verkehr",))
    publish("Kita Weener")
    client = app.test_client()
    for path, titles in (("/thema/verkehr", {"Radweg Bunde", "Marktplatz Lingen"}),
                         ("/region/rheiderland", {"Radweg Bunde"})):
        links = _alternates(client.get(path).get_data(as_text=True))
        own = [(t, href) for t, href in links if href.startswith(f"{BASE}{path}/feed.")]
        assert {t for t, _ in own} == {"application/rss+xml", "application/atom+xml",
                                       "application/feed+json"}, path
        assert links[0] == own[0]  # the page's own feeds come first
        for mime, href in own:
            data = client.get(href.removeprefix(BASE)).data
            found = ({i["title"] for i in json.loads(data)["items"]} if "json" in mime
                     else {e.title for e in feedparser.parse(data).entries})
            assert found == titles, href
    assert client.get("/thema/gibt-es-nicht/feed.rss").status_code == 404


def test_search_page_offers_rss_atom_and_json_feed(app, demo):
    publish("Radweg Bunde")
    page = app.test_client().get("/suche?q=radweg&stelle=landkreis-leer&sortierung=datum&seite=1"
                                 ).get_data(as_text=True)  # sort and page are the page's own
    search_links = {t: href for t, href in _alternates(page) if "/suche/feed." in href}
    assert search_links == {
        "application/rss+xml": "/suche/feed.rss?q=radweg&stelle=landkreis-leer",
        "application/atom+xml": "/suche/feed.atom?q=radweg&stelle=landkreis-leer",
        "application/feed+json": "/suche/feed.json?q=radweg&stelle=landkreis-leer"}
    assert page.count('class="feed-link"') == 3
