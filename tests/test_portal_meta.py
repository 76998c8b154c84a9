"""What a release page tells machines and people at a glance: meta description, Open Graph and
Twitter card tags, schema.org NewsArticle JSON-LD, the favicon, list thumbnails, and the
correction notice at the top of a corrected release."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from html import unescape
from urllib.parse import urlsplit

from PIL import Image

from tests.formats_support import corrected, published

SCHEMA_ORG_ORGANIZATIONS = {"Organization", "GovernmentOrganization", "NewsMediaOrganization"}


def _page(app, r) -> str:  # type: ignore[no-untyped-def]
    path = f"/presse/{r.office.slug}/{r.year}/{r.number}-{r.slug}"
    resp = app.test_client().get(path)
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def _meta(html: str) -> dict[str, str]:
    return {unescape(k): unescape(v) for k, v in re.findall(
        r'<meta (?:property|name)="([^"]+)" content="([^"]*)">', html)}


def _json_ld(html: str) -> list[dict]:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(b) for b in blocks]


def _iso(value: str) -> datetime:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _fresh(r):  # type: ignore[no-untyped-def]
    from pressdesk.extensions import db
    from pressdesk.releases.models import Release

    db.session.remove()
    return db.session.get(Release, r.id)


def _path(url: str) -> str:
    return urlsplit(url).path


def test_release_page_has_description_open_graph_and_twitter_card(app, demo):
    r = published(embargo=False)
    html = _page(app, r)
    meta = _meta(html)
    assert meta["description"] == "Der Landkreis baut zwölf Kilometer Radwege."
    assert meta["og:type"] == "article" and meta["og:title"] == "Neue Radwege im Rheiderland"
    assert meta["og:description"] == meta["description"]
    canonical = re.search(r'<link rel="canonical" href="([^"]+)">', html).group(1)
    assert meta["og:url"] == canonical
    assert meta["og:image"].endswith("/web.jpg") and meta["og:image"].startswith("http")
    assert meta["og:image:width"] == "1200" and meta["og:image:height"] == "800"
    assert meta["og:image:alt"] == "Ein asphaltierter Radweg zwischen Feldern"
    assert meta["twitter:card"] == "summary_large_image"
    assert meta["twitter:image"] == meta["og:image"]
    assert app.test_client().get(_path(meta["og:image"])).status_code == 200
    assert _iso(meta["article:published_time"]) <= _iso(meta["article:modified_time"])


def test_description_is_cut_at_a_word_and_card_without_image_is_small(app, demo):
    from pressdesk.extensions import db
    from pressdesk.releases import services
    from tests.helpers import draft

    lead = "Der Kreistag hat beschlossen, " + "die Radwege im Rheiderland auszubauen " * 8
    r = draft(lead=lead)
    services.publish_release(r, None)
    db.session.commit()
    meta = _meta(_page(app, r))
    desc = meta["description"]
    assert len(desc) <= 160 and desc.endswith("…")
    assert lead.startswith(desc[:-1]) and lead[len(desc) - 1] == " "  # cut between words
    assert meta["twitter:card"] == "summary" and "og:image" not in meta


def test_news_article_json_ld_has_the_structure_search_engines_read(app, demo):
    r = published(embargo=False)
    html = _page(app, r)
    (ld,) = _json_ld(html)
    assert ld["@context"] == "https://schema.org" and ld["@type"] == "NewsArticle"
    assert ld["headline"] == "Neue Radwege im Rheiderland" and len(ld["headline"]) <= 110
    canonical = re.search(r'<link rel="canonical" href="([^"]+)">', html).group(1)
    assert ld["url"] == canonical
    assert ld["mainEntityOfPage"] == {"@type": "WebPage", "@id": canonical}
    assert _iso(ld["datePublished"]) <= _iso(ld["dateModified"])
    assert ld["inLanguage"] == "de" and ld["description"] == _meta(html)["description"]
    for who in (ld["publisher"], ld["author"]):
        assert who["@type"] in SCHEMA_ORG_ORGANIZATIONS and who["name"] == "Landkreis Leer"
        assert _path(who["url"]) == "/presse/landkreis-leer"
    (img,) = ld["image"]
    assert img["@type"] == "ImageObject" and img["url"] == _meta(html)["og:image"]
    assert (img["width"], img["height"]) == (1200, 800)
    assert img["caption"] == "Der neue Radweg bei Bunde" and img["creditText"] == "Foto: Landkreis Leer"
    assert ld["keywords"] == ["Verkehr", "Rheiderland"]
    # Every value is a JSON-LD value: strings, numbers, booleans, nested objects with @type.
    def walk(node):  # type: ignore[no-untyped-def]
        if isinstance(node, dict):
            assert all(isinstance(k, str) for k in node)
            for k, v in node.items():
                if isinstance(v, dict) and k != "mainEntityOfPage":
                    assert "@type" in v, k
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        else:
            assert isinstance(node, str | int | bool) and node != "", node
    walk(ld)


def test_json_ld_cannot_close_its_script_element(app, demo):
    r = published(headline="Radweg </script><script>alert(1)</script> eröffnet", embargo=False)
    html = _page(app, r)
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in block and "alert(1)" in block
    assert json.loads(block)["headline"] == "Radweg </script><script>alert(1)</script> eröffnet"


def test_favicon(app, demo):
    client = app.test_client()
    html = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    assert '<link rel="icon" href="/favicon.ico" sizes="16x16 32x32 48x48">' in html
    ico = client.get("/favicon.ico")
    assert ico.status_code == 200 and ico.mimetype == "image/vnd.microsoft.icon"
    assert Image.open(io.BytesIO(ico.data)).format == "ICO"
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.data.startswith(b"<svg")


def test_lists_show_a_thumbnail_of_the_lead_image(app, demo):
    r = published(embargo=False)
    client = app.test_client()
    for path in ("/", "/presse/landkreis-leer", "/thema/verkehr", "/region/rheiderland"):
        html = client.get(path).get_data(as_text=True)
        item = re.search(r'<article class="with-thumb">(.*?)</article>', html, re.S)
        assert item and r.headline in item.group(1), path
        img = re.search(r'<img src="([^"]+)" alt="([^"]+)" width="120" height="80"', item.group(1))
        assert img and img.group(2) == "Ein asphaltierter Radweg zwischen Feldern", path
        assert client.get(img.group(1)).status_code == 200


def test_corrected_release_says_so_at_the_top(app, demo):
    r = published(embargo=False)
    html = _page(app, r)
    assert "Korrigiert am" not in html
    r = corrected(_fresh(r))
    html = _page(app, r)
    notice = re.search(r'<div class="correction-notice" role="note" id="correction-notice">'
                       r"(.*?)</div>", html, re.S)
    assert notice, html[:3000]
    assert html.index("correction-notice") < html.index("<h1>")  # above the headline
    text = notice.group(1)
    assert re.search(r"<strong>Korrigiert am \d\d\.\d\d\.\d{4}, \d\d:\d\d Uhr:</strong> "
                     r"Geändert: Text\.", text)
    assert "vorher: Der Kreistag hat am Montag den Ausbau von 12 Kilometern" in text
    assert "nachher: Der Kreistag hat am Montag den Ausbau von 14 Kilometern" in text


def test_corrected_release_page_is_valid_html(app, demo, tmp_path):
    from tests.test_html_validity import nu_check

    r = published(embargo=False)
    corrected(r)
    found = nu_check({"corrected_release": _page(app, r),
                      "office_with_thumbs": app.test_client().get(
                          "/presse/landkreis-leer").get_data(as_text=True)}, tmp_path)
    assert not found, found
