"""Valid HTML: every portal page parses under html5lib's strict (WHATWG) parser, with unique ids
and labelled form controls."""

import re

import html5lib
import pytest
from sqlalchemy import select

from pressdesk.extensions import db
from pressdesk.releases.models import Release


@pytest.fixture
def pages(app, demo):
    demo.load_demo()
    r = db.session.scalar(select(Release).where(Release.office.has(slug="landkreis-leer")))
    return ["/", "/presse/landkreis-leer", "/presse/it-achse", "/thema/wirtschaft",
            "/region/ostfriesland", f"/presse/landkreis-leer/{r.year}/{r.number}-{r.slug}",
            "/suche", "/suche?q=Netzwerk&wortanfang=1&sortierung=datum",
            "/suche?q=x&von=kaputt", "/archiv", f"/archiv/{r.year}/{r.published_at.month}",
            "/einbetten/landkreis-leer"]


def test_portal_pages_are_valid_html(app, pages):
    client = app.test_client()
    for path in pages:
        resp = client.get(path)
        assert resp.status_code == 200, path
        text = resp.get_data(as_text=True)
        parser = html5lib.HTMLParser(strict=True)
        parser.parse(text)  # raises ParseError on the first error
        assert not parser.errors, (path, parser.errors[:3])
        ids = re.findall(r'\sid="([^"]+)"', text)
        assert len(ids) == len(set(ids)), (path, "duplicate id")
        controls = r'<(?:select|textarea|input(?![^>]*type="(?:hidden|submit|checkbox)"))[^>]*>'
        for control in re.findall(controls, text):
            cid = re.search(r'id="([^"]+)"', control)
            assert cid and f'for="{cid.group(1)}"' in text, (path, control)


def test_strict_parser_catches_broken_markup():
    """The check above can fail: html5lib strict refuses a stray end tag."""
    with pytest.raises(html5lib.html5parser.ParseError):
        html5lib.HTMLParser(strict=True).parse("<!doctype html><title>x</title><p>a</div>")
