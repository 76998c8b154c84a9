"""German full-text search, on whichever backend the suite runs (SQLite FTS5 or PostgreSQL)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from pressdesk.extensions import db
from pressdesk.releases import services
from pressdesk.releases.models import Region, Topic
from pressdesk.search.models import SearchDocument
from pressdesk.search.services import SearchError, search_releases
from tests.helpers import draft, office


def publish(slug="landkreis-leer", **fields):
    published = services.publish_release(draft(slug, **fields), None)
    db.commit()
    return published.release


@pytest.fixture
def corpus(app, demo):
    return {
        "zeitungen": publish(headline="Landrat lädt die Zeitungen ein",
                             lead="Ein Termin für alle Redaktionen.", body="Presse im Kreishaus."),
        "netzwerk": publish("it-achse", headline="Treffen des Netzwerkes",
                            lead="Die IT-Achse trifft sich in Lingen.", body="Vorträge und Gespräche."),
        "buerger": publish("stadt-lingen", headline="Neue Ausgabe der Bürgerzeitung",
                           lead="Die Stadt informiert.", body="Termine und Hinweise."),
        "radweg": publish(headline="Radwege im Rheiderland",
                          lead="Der Kreistag beschließt den Ausbau.", body="Zwölf Kilometer."),
    }


def ids(results):
    return {hit.release.id for hit in results.items}


def test_inflected_forms_match(corpus):
    # "Zeitungen" by its stem; the "Bürgerzeitung" is a Zeitung too (its compound head)
    assert ids(search_releases("Zeitung")) == {corpus["zeitungen"].id, corpus["buerger"].id}
    assert ids(search_releases("Zeitungen")) == {corpus["zeitungen"].id, corpus["buerger"].id}
    assert ids(search_releases("Netzwerk")) == {corpus["netzwerk"].id}
    assert ids(search_releases("Radweg")) == {corpus["radweg"].id}


@pytest.mark.parametrize("word", ["Bürger", "Buerger", "bürger", "BUERGER"])
def test_compound_only_with_prefix(corpus, word):
    assert ids(search_releases(word)) == set()
    assert ids(search_releases(word, prefix=True)) == {corpus["buerger"].id}


def test_every_word_must_match_and_ranking_prefers_headline(corpus):
    assert ids(search_releases("Zeitung Kreishaus")) == {corpus["zeitungen"].id}
    assert ids(search_releases("Zeitung Lingen")) == set()
    publish(headline="Kurzmeldung", lead="Auch der Rheiderland-Bote berichtet.", body="")
    hits = search_releases("Rheiderland").items
    assert [h.release.headline for h in hits][0] == "Radwege im Rheiderland"
    assert len(hits) == 2
    by_date = search_releases("Rheiderland", sort="date").items
    assert by_date[0].release.headline == "Kurzmeldung"


def test_snippets_escape_everything_but_the_marks(app, demo):
    publish(headline="<script>alert(1)</script> Zeitungen", lead="Die <b>Zeitung</b> & mehr",
            body="")
    hit = search_releases("Zeitung").items[0]
    assert "<script>" not in hit.headline_html and "&lt;script&gt;" in hit.headline_html
    assert "<mark>Zeitungen</mark>" in hit.headline_html
    assert "&lt;b&gt;<mark>Zeitung</mark>&lt;/b&gt; &amp; mehr" in hit.snippet
    assert search_releases("Zeitung").snippets == {hit.release.id: hit.snippet}


def test_filters_office_topic_region_dates(corpus):
    leer = office("landkreis-leer")
    topic = Topic(office_id=leer.id, slug="verkehr", name="Verkehr")
    region = Region(office_id=leer.id, slug="rheiderland", name="Rheiderland")
    corpus["radweg"].topics.append(topic)
    corpus["radweg"].regions.append(region)
    db.session.commit()
    assert ids(search_releases("", office="landkreis-leer")) == {corpus["zeitungen"].id,
                                                                  corpus["radweg"].id}
    assert ids(search_releases(None, topic="verkehr")) == {corpus["radweg"].id}
    assert ids(search_releases("", region="rheiderland")) == {corpus["radweg"].id}
    assert ids(search_releases("", region="borkum")) == set()
    today = date.today()
    assert len(search_releases("", date_from=today - timedelta(days=1))
               .items) == 4
    assert search_releases("", date_to=today - timedelta(days=2)).total == 0
    with pytest.raises(SearchError):
        search_releases("", date_from=today, date_to=today - timedelta(days=1))
    with pytest.raises(SearchError):
        search_releases("x", sort="random")


def test_pagination(app, demo):
    for i in range(5):
        publish(headline=f"Sitzung des Kreistages Nummer {i}")
    first = search_releases("Kreistag", sort="date", per_page=2)
    assert first.total == 5 and first.pages == 3 and len(first.items) == 2
    last = search_releases("Kreistag", sort="date", per_page=2, page=3)
    assert [h.release.headline for h in last.items] == ["Sitzung des Kreistages Nummer 0"]


def test_drafts_and_embargoed_releases_are_not_found(app, demo):
    draft(headline="Geheime Zeitungen")  # never published
    from datetime import UTC, datetime

    embargoed = draft(headline="Zeitungen unter Sperrfrist")
    embargoed.embargo_until = datetime.now(UTC) + timedelta(days=1)
    db.session.commit()
    services.publish_release(embargoed, None)
    db.commit()
    assert search_releases("Zeitung").total == 0
    # the index itself holds the embargoed text; visibility is decided at query time
    assert db.session.scalar(select(SearchDocument).where(
        SearchDocument.release_id == embargoed.id)) is not None


def test_a_new_version_replaces_the_indexed_text(app, demo):
    from pressdesk.releases.models import ReleaseVersion

    rel = publish(headline="Alte Überschrift")
    db.session.add(ReleaseVersion(release_id=rel.id, version=2, kind="correction",
                                  headline="Korrigierte Meldung zum Hafen", lead="", body=""))
    db.session.commit()
    assert search_releases("Hafen").total == 1
    assert search_releases("Überschrift").total == 0


def test_work_per_query_is_bounded_and_says_so(app, demo, monkeypatch):
    from pressdesk.search import services as search

    monkeypatch.setattr(search, "MATCH_WINDOW", 3)
    for i in range(5):
        publish(headline=f"Fest am Hafen Nummer {i}", lead="Hafen, Hafen" if i == 0 else "")
    result = search_releases("Hafen", per_page=2)
    assert result.total == 3 and result.more and result.pages == 2
    # relevance ranks the newest three matches: the oldest (headline+lead match) is not among them
    assert {h.release.headline for h in result.items} <= {f"Fest am Hafen Nummer {i}"
                                                           for i in (2, 3, 4)}
    assert search_releases("Hafen", page=3, per_page=2).items == []
    page = app.test_client().get("/suche?q=Hafen").get_data(as_text=True)
    assert "Mehr als 3 Treffer" in page and "Suche eingrenzen" in page
    assert search_releases("Hafen", office="stadt-lingen").more is False


def test_stemming_is_safe_across_threads():
    """gthread workers search in parallel; a shared Snowball stemmer corrupts its state."""
    from concurrent.futures import ThreadPoolExecutor

    from pressdesk.search import text

    words = [f"{w}{i}" for i in range(3000) for w in ("zeitungen", "netzwerkes", "bürgerinnen")]
    import snowballstemmer

    single = snowballstemmer.stemmer("german")
    expected = {w: single.stemWord(w) for w in words}
    import sys

    text.stem.cache_clear()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, as a loaded server does
    try:
        with ThreadPoolExecutor(8) as pool:
            got = dict(zip(words, pool.map(text.stem, words), strict=True))
    finally:
        sys.setswitchinterval(interval)
    assert got == expected
