"""Every feed scope in RSS, Atom and JSON Feed, read back as a feed reader would (feedparser,
the JSON Feed 1.1 rules): ids, links, dates, enclosures, scoping, paging, OPML."""

import dataclasses
import json
from xml.etree import ElementTree as ET

import feedparser
import pytest

from pressdesk.feeds.jsonfeed import validate
from tests.conftest import LIVE_PORT
from tests.feeds_support import publish

BASE = f"http://127.0.0.1:{LIVE_PORT}"


def _xml(client, path):
    resp = client.get(path)
    assert resp.status_code == 200, (path, resp.status_code)
    feed = feedparser.parse(resp.data)
    assert not feed.bozo, (path, feed.get("bozo_exception"))
    return feed


def _json(client, path):
    resp = client.get(path)
    assert resp.status_code == 200, (path, resp.status_code)
    assert resp.content_type.startswith("application/feed+json")
    doc = json.loads(resp.data)
    assert validate(doc) == [], validate(doc)
    return doc


def test_entries_carry_ids_links_dates_and_enclosures(app, demo):
    v = publish(image=True, topics=("verkehr",))
    release = v.release
    img = release.images[0]
    client = app.test_client()
    for fmt in ("rss", "atom"):
        feed = _xml(client, f"/feed.{fmt}")
        entry = feed.entries[0]
        assert entry.id == f"tag:127.0.0.1,{release.created_at:%Y-%m-%d}:release/{release.public_id}"
        assert entry.link == f"{BASE}/presse/landkreis-leer/{release.year}/1-neue-radwege-im-rheiderland"
        alternate = [link for link in entry.links if link.rel == "alternate"]
        assert alternate and alternate[0].get("type") == "text/html"
        assert entry.published_parsed[:6] == v.created_at.utctimetuple()[:6]
        if fmt == "atom":
            assert entry.updated_parsed[:6] == v.created_at.utctimetuple()[:6]
        assert entry.enclosures, fmt
        enc = entry.enclosures[0]
        assert enc.href == f"{BASE}/bilder/{img.public_id}/original.jpg"
        assert enc.type == "image/jpeg"
        assert [t.term for t in entry.tags] == ["Verkehr"]
        # the enclosure really is the image, its length that of the file served (the upload
        # plus its IPTC metadata)
        got = client.get(enc.href.removeprefix(BASE))
        assert got.status_code == 200 and int(enc.length) == len(got.data) > img.size_bytes
    doc = _json(client, "/feed.json")
    item = doc["items"][0]
    assert item["id"] == entry.id and item["url"] == entry.link
    assert item["attachments"] == [{"url": enc.href, "mime_type": "image/jpeg",
                                    "size_in_bytes": len(got.data)}]
    assert item["date_published"].endswith("Z") and "<strong>" in item["content_html"]
    assert doc["feed_url"] == f"{BASE}/feed.json" and doc["home_page_url"] == f"{BASE}/"


def test_atom_entry_links_keep_rel_type_and_length(app, demo):
    publish(image=True)
    data = app.test_client().get("/feed.atom").data
    root = ET.fromstring(data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    links = root.find("a:entry", ns).findall("a:link", ns)
    assert {(ln.get("rel"), ln.get("type")) for ln in links} == {
        ("alternate", "text/html"), ("enclosure", "image/jpeg"),
        # the same item for newsroom ingest (pressdesk.formats)
        ("alternate", "application/json"), ("alternate", "application/vnd.iptc.g2.newsitem+xml")}
    assert next(ln for ln in links if ln.get("rel") == "enclosure").get("length").isdigit()
    assert b"CDATA" not in data


def test_scopes_hold_only_their_releases(app, demo):
    publish("Radweg Bunde", topics=("verkehr",), regions=("rheiderland",))
    publish("Kita Weener", topics=("bildung",), regions=("rheiderland",))
    publish("Hafen Leer", topics=("wirtschaft",), regions=("leer-stadt",))
    publish("Marktplatz Lingen", office_slug="stadt-lingen", topics=("verkehr",))
    client = app.test_client()
    cases = {
        "/feed": {"Radweg Bunde", "Kita Weener", "Hafen Leer", "Marktplatz Lingen"},
        "/presse/landkreis-leer/feed": {"Radweg Bunde", "Kita Weener", "Hafen Leer"},
        "/presse/landkreis-leer/themen/verkehr/feed": {"Radweg Bunde"},
        "/presse/stadt-lingen/themen/verkehr/feed": {"Marktplatz Lingen"},
        "/presse/landkreis-leer/regionen/rheiderland/feed": {"Radweg Bunde", "Kita Weener"},
    }
    for path, titles in cases.items():
        for fmt in ("rss", "atom"):
            assert {e.title for e in _xml(client, f"{path}.{fmt}").entries} == titles, path
        assert {i["title"] for i in _json(client, f"{path}.json")["items"]} == titles, path
    assert client.get("/presse/landkreis-leer/themen/gibt-es-nicht/feed.rss").status_code == 404
    assert client.get("/presse/stadt-lingen/regionen/rheiderland/feed.rss").status_code == 404
    assert client.get("/feed.html").status_code == 404


def test_search_feed(app, demo):
    publish("Radweg Bunde", body="Der Radweg wird verbreitert.")
    publish("Kita Weener", lead="Die Kita bekommt zwei Gruppen.", body="Neue Gruppen.")
    publish("Radverkehr in Lingen", office_slug="stadt-lingen", body="Mehr Radwege.")
    client = app.test_client()
    feed = _xml(client, "/suche/feed.atom?q=radweg")
    assert {e.title for e in feed.entries} == {"Radweg Bunde", "Radverkehr in Lingen"}
    feed = _xml(client, "/suche/feed.rss?q=radweg&stelle=stadt-lingen")
    assert [e.title for e in feed.entries] == ["Radverkehr in Lingen"]
    self_link = next(link.href for link in feed.feed.links if link.rel == "self")
    assert self_link == f"{BASE}/suche/feed.rss?q=radweg&stelle=stadt-lingen"
    doc = _json(client, "/suche/feed.json?q=kita")
    assert [i["title"] for i in doc["items"]] == ["Kita Weener"]
    assert client.get("/suche/feed.rss?q=" + "x" * 300).status_code == 400


def test_rfc5005_paging_walks_every_release_once(app, demo, monkeypatch):
    s = app.extensions["pressdesk.settings"]
    monkeypatch.setitem(app.extensions, "pressdesk.settings",
                        dataclasses.replace(s, feed_page_size=20))
    published = [publish(f"Mitteilung Nummer {i}").release.public_id for i in range(45)]
    client = app.test_client()
    for fmt in ("atom", "rss"):
        seen: list[str] = []
        url = f"/feed.{fmt}"
        pages = 0
        while url:
            feed = _xml(client, url.removeprefix(BASE))
            pages += 1
            links = {link.rel: link.href for link in feed.feed.links}
            assert links["first"] == f"{BASE}/feed.{fmt}"
            assert links["last"] == f"{BASE}/feed.{fmt}?seite=3"
            assert links["self"] == (f"{BASE}/feed.{fmt}" if pages == 1
                                     else f"{BASE}/feed.{fmt}?seite={pages}")
            assert ("previous" in links) == (pages > 1)
            assert len(feed.entries) == (20 if pages < 3 else 5)
            seen += [e.id.rsplit("/", 1)[1] for e in feed.entries]
            url = links.get("next")
        assert pages == 3
        assert sorted(seen) == sorted(published) and len(set(seen)) == 45
        assert seen[0] == published[-1]  # newest first
    doc = _json(client, "/feed.json?seite=2")
    assert doc["next_url"] == f"{BASE}/feed.json?seite=3" and len(doc["items"]) == 20
    assert "next_url" not in _json(client, "/feed.json?seite=3")
    assert client.get("/feed.atom?seite=4").status_code == 404
    assert client.get("/feed.atom?seite=0").status_code == 404
    assert client.get("/feed.atom?seite=abc").status_code == 404


def test_control_characters_never_break_a_feed(app, demo):
    publish("Glocke\x07 im Rathaus", lead="Text mit \x0b vertikalem Tab und \x1b Escape.")
    client = app.test_client()
    for fmt in ("rss", "atom"):
        assert _xml(client, f"/feed.{fmt}").entries[0].title == "Glocke im Rathaus"
    assert _json(client, "/feed.json")["items"][0]["title"] == "Glocke im Rathaus"


def test_opml_lists_every_feed_and_each_one_works(app, demo):
    publish("Radweg Bunde", topics=("verkehr",), regions=("rheiderland",))
    client = app.test_client()
    resp = client.get("/feeds.opml")
    assert resp.status_code == 200 and resp.content_type.startswith("text/x-opml")
    root = ET.fromstring(resp.data)
    assert root.tag == "opml" and root.get("version") == "2.0"
    urls = [o.get("xmlUrl") for o in root.iter("outline") if o.get("xmlUrl")]
    assert f"{BASE}/feed.rss" in urls
    assert f"{BASE}/presse/landkreis-leer/themen/verkehr/feed.rss" in urls
    assert f"{BASE}/presse/landkreis-leer/regionen/rheiderland/feed.rss" in urls
    assert f"{BASE}/thema/verkehr/feed.rss" in urls and f"{BASE}/region/rheiderland/feed.rss" in urls
    assert sum("/presse/" in u and u.endswith("/feed.rss") and u.count("/") == 5
               for u in urls) == 4  # one per demo office
    for url in urls:
        _xml(client, url.removeprefix(BASE))


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_empty_feeds_are_valid(app, demo, fmt):
    client = app.test_client()
    if fmt == "json":
        assert _json(client, "/feed.json")["items"] == []
    else:
        assert _xml(client, f"/presse/it-achse/feed.{fmt}").entries == []


def test_search_page_feed_links_keep_the_filters(app, demo):
    import re

    publish("Radweg Bunde", body="Der Radweg wird verbreitert.")
    publish("Radweg in Lingen", office_slug="stadt-lingen", body="Der Radweg wird neu gebaut.")
    client = app.test_client()
    page = client.get("/suche?q=radweg&stelle=stadt-lingen").get_data(as_text=True)
    hrefs = re.findall(r'<a class="feed-link" href="([^"]+)"', page)
    assert hrefs, "the search page links its feed"
    for href in hrefs:
        href = href.replace("&amp;", "&")
        fmt = href.split("?")[0].rsplit(".", 1)[1]
        if fmt == "json":
            titles = [i["title"] for i in _json(client, href)["items"]]
        else:
            titles = [e.title for e in _xml(client, href).entries]
        assert titles == ["Radweg in Lingen"], href
