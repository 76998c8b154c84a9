"""The search syntax (phrases, -word, ODER/OR) and compound heads, on whichever backend the suite
runs (SQLite FTS5 or PostgreSQL), and the same answers from the alert matcher."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from pressdesk.db import utcnow
from pressdesk.extensions import db
from pressdesk.releases import services
from pressdesk.search import params, query
from pressdesk.search import services as search
from pressdesk.search.compounds import parts_of
from pressdesk.search.matching import matches, query_matches
from pressdesk.search.models import SearchDocument
from pressdesk.search.services import search_releases
from tests.helpers import draft


def publish(slug="landkreis-leer", **fields):
    published = services.publish_release(draft(slug, **fields), None)
    db.commit()
    return published.release


@pytest.fixture
def corpus(app, demo):
    return {
        "kreisstrasse": publish(headline="Kreisstraße 12 wird gesperrt",
                                lead="Die Sanierung beginnt am Montag.", body="Umleitung über Leer."),
        "strasse": publish(headline="Neue Straßen im Baugebiet",
                           lead="Der Kreis Leer plant.", body="Drei Straßen entstehen."),
        "tag": publish("stadt-lingen", headline="Tag der offenen Tür im Rathaus",
                       lead="Die Stadt lädt ein.", body="Führungen durch das Rathaus."),
        "grundschule": publish("stadt-lingen", headline="Grundschulen bekommen Glasfaser",
                               lead="Der Ausbau ist fertig.", body="Schnelles Netz für Leer."),
        "fahrrad": publish(headline="Fahrradtag im Rheiderland", lead="Alle sind willkommen.",
                           body="Mit Fahrrad-Check in Leer."),
        "offen": publish(headline="Offene Tür beim Tag der Feuerwehr",
                         lead="Die Wehr zeigt ihre Fahrzeuge.", body="Für Kinder."),
    }


def ids(q, prefix=False):
    return {hit.release.id for hit in search_releases(q, prefix=prefix).items}


def rid(corpus, *names):
    return {corpus[n].id for n in names}


def test_a_compound_is_found_by_its_head(corpus):
    assert ids("Straße") == rid(corpus, "kreisstrasse", "strasse")
    assert ids("Strassen") == rid(corpus, "kreisstrasse", "strasse")
    assert ids("Schule") == rid(corpus, "grundschule")
    # the first part is not split off: "Kreis" finds the Kreis, not the Kreisstraße
    assert ids("Kreis") == rid(corpus, "strasse")
    assert ids("Kreis", prefix=True) == rid(corpus, "kreisstrasse", "strasse")
    # a head too short to be sure of is not split off ("Rad" is no "Fahrrad")
    assert ids("Rad") == set()
    hit = search_releases("Straße").items
    marked = {h.release.id: str(h.headline_html) for h in hit}
    assert "<mark>Kreisstraße</mark>" in marked[corpus["kreisstrasse"].id]


def test_compound_parts_are_the_heads_a_reader_expects():
    assert parts_of("Kreisstraße Grundschulen Hauptbahnhof") == "strasse schulen bahnhof hof"
    # not a compound of these heads, or too little before the head
    assert parts_of("Gesamt Netzwerk Vorstellung Fahrrad Straße Hinweg") == ""


def test_phrases_keep_their_words_together_and_in_order(corpus):
    assert ids('"Tag der offenen Tür"') == rid(corpus, "tag")
    # the same words, not as a phrase: both releases
    assert ids("Tag offenen Tür") == rid(corpus, "tag", "offen")
    assert ids('"Tür offene"') == set()
    # stems: "offene Tür" and "offenen Tür" are one phrase
    assert ids('"Offene Tür"') == rid(corpus, "tag", "offen")
    assert ids('"Tag der Feuerwehr"') == rid(corpus, "offen")
    # a phrase does not run from the headline into the text
    assert ids('"Rathaus Die Stadt"') == set()


def test_minus_leaves_a_word_out(corpus):
    assert ids("Leer") == rid(corpus, "kreisstrasse", "strasse", "grundschule", "fahrrad")
    assert ids("Leer -Straße") == rid(corpus, "grundschule", "fahrrad")
    assert ids('Leer -"Kreis Leer"') == rid(corpus, "kreisstrasse", "grundschule", "fahrrad")
    # only words to leave out: nothing to look for
    assert ids("-Straße") == set()


def test_oder_finds_either_and_binds_tighter_than_and(corpus):
    assert ids("Grundschule ODER Fahrrad") == rid(corpus, "grundschule", "fahrrad")
    assert ids("Grundschule OR Fahrrad") == rid(corpus, "grundschule", "fahrrad")
    assert ids("Sanierung ODER Glasfaser Leer") == rid(corpus, "kreisstrasse", "grundschule")
    assert ids("Glasfaser ODER Sanierung Rheiderland") == set()
    # lower case "oder" is a stop word, not the operator
    assert ids("Grundschule oder Fahrrad") == set()


SYNTAX_QUERIES = [
    "Straße", "Strassen", "Schule", "Kreis", "Rad", '"Tag der offenen Tür"', "Tag offenen Tür",
    '"Offene Tür"', '"Tür offene"', "Leer -Straße", 'Leer -"Kreis Leer"', "-Straße",
    "Grundschule ODER Fahrrad", "Sanierung ODER Glasfaser Leer", "Grundschule oder Fahrrad",
    '"Rathaus Die Stadt"', '"Kreisstraße 12"', "ODER", '""', '"der die"', "Leer -",
]


@pytest.mark.parametrize("prefix", [False, True])
def test_the_matcher_reads_the_syntax_as_the_search_does(corpus, prefix):
    releases = list(corpus.values())
    for q in SYNTAX_QUERIES:
        p = params.SearchParams(q=q, prefix=prefix)
        found = {h.release.id for h in p.search(per_page=100).items}
        assert {r.id for r in releases if matches(p, r)} == found, (q, prefix)
    assert query_matches("Straße", corpus["kreisstrasse"])
    assert not query_matches("Leer -Straße", corpus["kreisstrasse"])


def test_parse_gives_one_structure_for_every_backend():
    q = query.parse('Radweg ODER Fahrrad "Tag der Tür" -Sperrung')
    assert query.tsquery(q) == ("( 'radweg' | 'fahrrad' ) & ( 'tag':AB <-> 'ß':AB <-> 'tur':AB )"
                                " & !( 'sperrung' )")
    assert query.fts5(q) == ('(("radweg" OR "fahrrad") AND ({headline content} : '
                             '("tag" + "ß" + "tur"))) NOT "sperrung"')
    assert query.parse("der die das").empty_words
    assert query.parse("-Straße").only_excluded
    # no word can carry an operator into a tsquery or an FTS5 expression
    hostile = query.parse("a'b \"x\\\" | ! & : * ( ) NEAR OR")
    assert "'" not in "".join(hostile.words) and all(w.isalnum() for w in hostile.words)


def test_only_excluded_words_are_reported(app):
    with app.test_request_context():
        p = params.parse({"q": "-Straße"})
    assert [f for f, _m in p.errors] == ["q"]


@pytest.mark.parametrize(("first", "margin", "passes"), [
    (10, 1.5, 1),  # the newest 10 documents hold 4 matches: more than the window, done
    # 3 matches in the newest 8 (a day back: both one-day documents share their time): a
    # slice of 1 day * 4 / 3 * 3 = 4 days holds 4
    (8, 3.0, 2),
    (7, 1.5, 3),  # 1 match in the newest 7 (a minute): 6 hours hold 1; the whole archive
    (6, 1.5, 2),  # no match in the newest 6 (the corpus): the whole archive, newest first
])
def test_the_newest_matches_come_from_the_newest_documents_then_a_slice_sized_by_their_rate(
        corpus, monkeypatch, first, margin, passes):
    """The candidate pass reads the newest documents, then (when they hold too few matches) a
    time slice sized by the rate of matches among them, then the whole archive; the result
    is the same as reading every match."""
    now = utcnow()
    for days in (0, 1, 1, 3, 20, 200, 400, 900):
        rel = publish(headline=f"Hafen Meldung {days}", lead="x", body="y")
        when = now - timedelta(days=days, minutes=1)
        db.session.execute(SearchDocument.__table__.update()
                           .where(SearchDocument.release_id == rel.id).values(published_at=when))
    db.commit()
    monkeypatch.setattr(search, "MATCH_WINDOW", 3)
    monkeypatch.setattr(search, "FIRST_DOCUMENTS", first)
    monkeypatch.setattr(search, "SLICE_MARGIN", margin)
    stmt, rank = search._match(select(SearchDocument.release_id), query.parse("Hafen"), False)
    statements = []
    # Only this thread's statements: the session's Celery worker threads (started by earlier
    # tests) run the tasks these publications queued, on the same engine, meanwhile.
    me = threading.get_ident()

    def seen(conn, cursor, statement, *args):
        if threading.get_ident() == me:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        sliced = search._window(stmt, rank, sliced=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    everything = search._window(stmt, rank, sliced=False)
    assert sliced == everything and len(sliced) == 4
    matching = [s for s in statements if "fts_words" in s or "fts_releases" in s]
    assert len(matching) == passes


def test_a_search_plans_for_its_words_not_a_generic_plan(corpus):
    """The tsquery, the window's LIMIT and a slice's start are written into the statement:
    a prepared statement's generic plan (psycopg prepares after five runs) guessed a tenth of
    the rows and a default share of matches, and read the whole date index for a rare word."""
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL's plans")
    statements = []
    me = threading.get_ident()

    def seen(conn, cursor, statement, parameters, *args):
        if threading.get_ident() == me and "fts_words" in statement:
            statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        search_releases("Kreisstraße")
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert statements
    for statement, parameters in statements:
        assert "'kreisstrass'" in statement and "LIMIT 1001" in statement
        assert not any(isinstance(v, str) and "kreisstrass" in v
                       for v in (parameters or {}).values())


def test_postgresql_vectors_hold_the_apps_stems(corpus):
    """PostgreSQL matches on the stems Python wrote (compound heads weight C) and ranks on a
    small vector of the headline and the text's first words."""
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL's tsvector columns")
    from sqlalchemy import text

    long = publish(headline="Hafenfest", lead=" ".join(["Anfang"] + ["Wort"] * 60 + ["Ende"]),
                   body="")
    rows = dict(db.session.execute(text(
        "SELECT release_id, fts_vector::text || ' | ' || fts_rank::text FROM search_documents "
        "WHERE release_id IN (:a, :b)"), {"a": corpus["kreisstrasse"].id, "b": long.id}).all())
    match, rank = rows[corpus["kreisstrasse"].id].split(" | ")
    assert "'kreisstrass':1A" in match and "'strass':" in match and "C" in match
    assert "'strass'" not in rank and "'kreisstrass':1A" in rank
    long_match, long_rank = rows[long.id].split(" | ")
    assert "'end'" in long_match and "'end'" not in long_rank and "'anfang'" in long_rank
    # the words vector: the match vector's lexemes without positions or weights
    same = db.session.execute(text(
        "SELECT bool_and(fts_words = strip(fts_vector)) FROM search_documents")).scalar()
    assert same is True


def test_the_planner_settings_of_a_pass_do_not_outlive_it(corpus, monkeypatch):
    """The passes over every match of a slice plan with their own settings; the rest of the
    request's transaction plans with the settings it had."""
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL's planner settings")
    from sqlalchemy import text

    monkeypatch.setattr(search, "FIRST_DOCUMENTS", 1)
    show = "SELECT current_setting('random_page_cost'), current_setting(" \
           "'max_parallel_workers_per_gather')"
    before = db.session.execute(text(show)).one()
    statements = []
    me = threading.get_ident()

    def seen(conn, cursor, statement, *args):
        if threading.get_ident() == me:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        found = ids("Tür")  # the newest document matches: a slice by its rate, then the archive
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert found == rid(corpus, "tag", "offen")
    assert any("MATERIALIZED" in s for s in statements)
    assert any("set_config" in s for s in statements)
    assert db.session.execute(text(show)).one() == before


def test_the_search_page_loads_no_collection_of_its_hits(app, corpus):
    """A list of hits shows office, headline, time and snippet: the page reads no versions,
    topics, regions, images or attachments (each a query, versions with every body)."""
    statements = []
    me = threading.get_ident()

    def seen(conn, cursor, statement, *args):
        if threading.get_ident() == me:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        page = app.test_client().get("/suche?q=Straße").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert "<mark>Kreisstraße</mark> 12 wird gesperrt" in page
    assert "Neue <mark>Straßen</mark> im Baugebiet" in page
    assert any("search_documents" in s for s in statements)
    loads = [s for s in statements if any(f"{t}.release_id IN" in s for t in (
        "release_versions", "release_topics", "release_regions", "release_images",
        "release_attachments"))]
    assert loads == []
