"""One search: the parameter parser writes back what it reads, and the alert matcher answers
exactly as the search itself does (on whichever backend the suite runs)."""

from datetime import date, timedelta

import pytest

from pressdesk.db import utcnow
from pressdesk.extensions import db
from pressdesk.releases import services
from pressdesk.releases.models import Region, Topic
from pressdesk.search import params
from pressdesk.search.matching import matches, query_matches
from tests.helpers import draft, office


def publish(slug="landkreis-leer", topics=(), regions=(), **fields):
    release = draft(slug, **fields)
    for t in topics:
        release.topics.append(_vocab(Topic, release.office_id, t))
    for g in regions:
        release.regions.append(_vocab(Region, release.office_id, g))
    db.session.flush()
    published = services.publish_release(release, None)
    db.commit()
    return published.release


def _vocab(model, office_id, slug):
    found = db.session.query(model).filter_by(office_id=office_id, slug=slug).one_or_none()
    if found is None:
        found = model(office_id=office_id, slug=slug, name=slug.title())
        db.session.add(found)
        db.session.flush()
    return found


@pytest.fixture
def corpus(app, demo):
    releases = [
        publish(headline="Radweg nach Lingen wird gebaut", lead="Der Kreis baut aus.",
                body="Zwei Kilometer **neuer** Radweg.", topics=("verkehr",)),
        publish(headline="Fahrradtag im Rheiderland", lead="Alle sind willkommen.",
                body="Mit Fahrrad-Check."),
        publish("stadt-lingen", headline="Neue Ausgabe der Bürgerzeitung",
                lead="Die Stadt informiert über Straßen.", body="Termine und Hinweise.",
                regions=("emsland-sued",)),
        publish("stadt-lingen", headline="Radwege und Straßen: Bürger gefragt",
                lead="Eine Umfrage für alle Bürgerinnen und Bürger.", body="Bis Freitag.",
                topics=("verkehr",)),
        publish("it-achse", headline="Treffen des Netzwerkes",
                lead="Die IT-Achse trifft sich.", body="Vorträge über Zeitungen."),
        publish(headline="Café am Hafen öffnet", lead="Der Kaffee ist fair.", body="Ab Montag."),
    ]
    db.session.commit()
    return releases


QUERIES = [
    "", "Radweg", "Radwege", "radwegen", "Rad", "Fahrrad", "Bürger", "Buerger", "BÜRGER",
    "Strasse", "Straße", "Zeitung", "Netzwerk", "Radweg Lingen", "Radweg Fahrrad",
    "und", "und Radweg", "die der das", "Cafe", "café", "Hafen!", "IT-Achse", "xyzzy",
    "Bürgerzeitung", "Fahrrad Check", "neuer", "Kilometer zwei",
]


def _search_ids(p: params.SearchParams) -> set[int]:
    results = p.search(per_page=100)
    assert results.total < 100
    return {hit.release.id for hit in results.items}


def _matcher_ids(p: params.SearchParams, releases) -> set[int]:
    return {r.id for r in releases if matches(p, r)}


@pytest.mark.parametrize("prefix", [False, True])
def test_matcher_answers_as_the_search_does(corpus, prefix):
    for q in QUERIES:
        p = params.SearchParams(q=q, prefix=prefix)
        assert _matcher_ids(p, corpus) == _search_ids(p), (q, prefix)


def test_matcher_applies_the_filters_as_the_search_does(corpus):
    today = utcnow().date()
    for p in (params.SearchParams(q="Radweg", office="stadt-lingen"),
              params.SearchParams(office="landkreis-leer"),
              params.SearchParams(q="Radwege", topic="verkehr"),
              params.SearchParams(topic="verkehr", office="landkreis-leer"),
              params.SearchParams(region="emsland-sued"),
              params.SearchParams(q="Bürger", prefix=True, region="emsland-sued"),
              params.SearchParams(q="Radweg", date_from=today - timedelta(days=1)),
              params.SearchParams(q="Radweg", date_to=today - timedelta(days=1)),
              params.SearchParams(date_from=today, date_to=today)):
        assert _matcher_ids(p, corpus) == _search_ids(p), p


def test_saved_search_rules(corpus):
    radweg, fahrradtag = corpus[0], corpus[1]
    assert query_matches("Radwege", radweg)  # inflected form of the saved word
    assert not query_matches("Rad", fahrradtag)  # no substring matches
    assert not query_matches("Rad", radweg)  # only with a word beginning search
    assert matches(params.SearchParams(q="Rad", prefix=True), radweg)
    assert query_matches("Fahrrad", fahrradtag)
    assert query_matches("buerger", corpus[2]) is False  # "Bürgerzeitung" is a compound
    assert query_matches("buerger", corpus[3]) and query_matches("BÜRGER", corpus[3])
    assert not query_matches("und", radweg)  # stop words alone match nothing


def test_parse_reads_german_names_and_writes_them_back(app):
    with app.test_request_context():
        p = params.parse({"q": " Radweg ", "stelle": "stadt-lingen", "thema": "verkehr",
                          "region": "emsland", "von": "2026-01-01", "bis": "2026-02-01",
                          "sortierung": "datum", "wortanfang": "1", "seite": "3"})
    assert p == params.SearchParams(q="Radweg", office="stadt-lingen", topic="verkehr",
                                    region="emsland", date_from=date(2026, 1, 1),
                                    date_to=date(2026, 2, 1), sort="date", prefix=True, page=3)
    assert p.args() == [("q", "Radweg"), ("stelle", "stadt-lingen"), ("thema", "verkehr"),
                        ("region", "emsland"), ("von", "2026-01-01"), ("bis", "2026-02-01"),
                        ("sortierung", "datum"), ("wortanfang", "1"), ("seite", "3")]
    assert params.parse(dict(p.args())) == p
    assert p.query_string(page=1) == ("?q=Radweg&stelle=stadt-lingen&thema=verkehr"
                                      "&region=emsland&von=2026-01-01&bis=2026-02-01"
                                      "&sortierung=datum&wortanfang=1")
    assert "seite=4" in p.query_string(page=4)
    assert params.SearchParams().query_string() == ""
    # The API reads the same names; only its default order differs (newest first).
    api = params.parse({"stelle": "stadt-lingen", "seite": "2"}, default_sort="date")
    assert (api.office, api.sort, api.page) == ("stadt-lingen", "date", 2)
    assert params.parse({"office": "stadt-lingen", "sort": "date"}) == params.SearchParams()


def test_parse_reports_bad_input_and_falls_back(app):
    with app.test_request_context():
        p = params.parse({"von": "gestern", "sortierung": "zufall", "seite": "x"})
        reversed_dates = params.parse({"von": "2026-02-01", "bis": "2026-01-01"})
    assert p.date_from is None and p.sort == "relevance" and p.page == 1
    assert [f for f, _m in p.errors] == ["date_from", "sort", "page"]
    assert "kein Datum" in p.messages[0]
    assert reversed_dates.date_to is None and reversed_dates.errors


def test_search_page_links_keep_every_filter(corpus, app):
    for i in range(25):
        publish("stadt-lingen", headline=f"Radweg Abschnitt {i}")
    db.session.commit()
    client = app.test_client()
    html = client.get("/suche?q=radweg&stelle=stadt-lingen&sortierung=datum").get_data(as_text=True)
    # the feed keeps the filters; a feed is always newest first, so it carries no sort
    assert 'href="/suche/feed.atom?q=radweg&amp;stelle=stadt-lingen"' in html
    assert "feed.atom?q=radweg&amp;stelle=stadt-lingen&amp;sortierung" not in html
    assert 'href="/suche?q=radweg&amp;stelle=stadt-lingen&amp;sortierung=datum&amp;seite=2"' in html
    page2 = client.get("/suche?q=radweg&stelle=stadt-lingen&sortierung=datum&seite=2")
    text = page2.get_data(as_text=True)
    # The feed of page 2 is the feed of the search, not of its second page.
    assert 'href="/suche/feed.atom?q=radweg&amp;stelle=stadt-lingen"' in text
    assert 'rel="prev" href="/suche?q=radweg&amp;stelle=stadt-lingen&amp;sortierung=datum"' in text
    assert office("stadt-lingen").name in text


def test_pages_past_the_end_link_back_to_the_last_page(corpus, app):
    for i in range(25):
        publish(headline=f"Radweg Abschnitt {i}")
    db.session.commit()
    client = app.test_client()
    text = client.get("/suche?q=radweg&seite=999").get_data(as_text=True)
    assert 'rel="prev" href="/suche?q=radweg&amp;seite=2"' in text
    assert "seite=998" not in text and 'rel="next"' not in text
    home = client.get("/?seite=999").get_data(as_text=True)
    assert 'rel="prev" href="/?seite=1"' in home and "seite=998" not in home
