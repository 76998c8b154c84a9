"""Portal pages from the state-keyed document store: never stale, 304 when unchanged, never a
shared CSRF token, never for a logged-in user."""

import os
import re
import threading
from datetime import timedelta

import pytest

from pressdesk import pagecache
from pressdesk.db import utcnow
from pressdesk.extensions import db
from pressdesk.portal import pages
from pressdesk.releases import services
from pressdesk.releases.models import Release, ReleaseVersion
from tests.feeds_support import publish
from tests.helpers import csrf_token, draft, logged_in

PAGES = ("/", "/presse/landkreis-leer", "/archiv", "/thema/verkehr", "/region/leer")


@pytest.fixture
def renders(app, monkeypatch):
    """Counts page renders (cache misses) through the portal's render_template."""
    from pressdesk.portal import views

    calls: list[str] = []
    real = views.render_template
    monkeypatch.setattr(views, "render_template",
                        lambda template, **kw: calls.append(template) or real(template, **kw))
    pagecache.store().clear()
    return calls


def _without_token(data: bytes) -> bytes:
    """The signed token carries its time: two answers to one reader differ only there."""
    return re.sub(rb'name="csrf_token" value="[^"]*"', b"", data)


def _release_path(v: ReleaseVersion) -> str:
    r = db.session.get(Release, v.release_id)
    return f"/presse/landkreis-leer/{r.year}/{r.number}-{r.slug}"


def test_a_second_anonymous_request_is_served_from_the_store(app, demo, renders):
    publish(topics=("verkehr",), regions=("leer",))
    client = app.test_client()
    for path in PAGES:
        first = client.get(path)
        assert first.status_code == 200, path
        n = len(renders)
        again = client.get(path)
        assert again.status_code == 200
        assert _without_token(again.data) == _without_token(first.data)
        assert len(renders) == n, f"{path} rendered twice"
        assert again.headers["Cache-Control"] == "private, no-cache"
        assert "Cookie" in again.headers["Vary"]


def test_304_for_an_unchanged_page_and_200_after_a_publish(app, demo, renders):
    v = publish("Erste")
    client = app.test_client()
    for path in ("/", _release_path(v)):
        first = client.get(path)
        etag = first.headers["ETag"]
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    home = client.get("/")
    publish("Zweite")
    after = client.get("/", headers={"If-None-Match": home.headers["ETag"]})
    assert after.status_code == 200 and "Zweite" in after.get_data(as_text=True)


def test_publish_correction_withdrawal_and_embargo_end_show_on_the_next_request(
        app, demo, renders, settings_override):
    # The changes below bypass the signal (as in another process): the key alone must do it.
    settings_override(feed_state_ttl=0)
    v = publish("Bleibt", topics=("verkehr",))
    client = app.test_client()
    path = _release_path(v)
    for p in ("/", "/presse/landkreis-leer", "/thema/verkehr", path, "/archiv"):
        client.get(p)

    gone = publish("Wird zurückgezogen", topics=("verkehr",))  # publish
    assert "Wird zurückgezogen" in client.get("/").get_data(as_text=True)
    assert "Wird zurückgezogen" in client.get("/thema/verkehr").get_data(as_text=True)

    db.session.add(ReleaseVersion(release_id=v.release_id, version=2, kind="correction",
                                  headline="Bleibt (korrigiert)", lead=v.lead, body=v.body,
                                  created_at=utcnow()))  # correction
    db.session.get(Release, v.release_id).version = 2
    db.session.commit()
    assert "Bleibt (korrigiert)" in client.get(path).get_data(as_text=True)
    assert "Bleibt (korrigiert)" in client.get("/presse/landkreis-leer").get_data(as_text=True)

    release = db.session.get(Release, gone.release_id)  # withdrawal
    release.status, release.withdrawn_at = "withdrawn", utcnow()
    db.session.commit()
    assert "Wird zurückgezogen" not in client.get("/").get_data(as_text=True)
    assert "Wird zurückgezogen" not in client.get("/thema/verkehr").get_data(as_text=True)

    embargoed = draft(headline="Unter Sperrfrist")  # embargo end
    embargoed.embargo_until = utcnow() + timedelta(hours=1)
    db.session.commit()
    services.publish_release(embargoed, None)
    db.commit()
    assert "Unter Sperrfrist" not in client.get("/").get_data(as_text=True)
    embargoed = db.session.get(Release, embargoed.id)
    embargoed.embargo_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert "Unter Sperrfrist" in client.get("/").get_data(as_text=True)


def test_no_reader_gets_another_readers_csrf_token(app, demo, renders):
    publish()
    one, two = app.test_client(), app.test_client()
    token_one = csrf_token(one.get("/").get_data(as_text=True))
    token_two = csrf_token(two.get("/").get_data(as_text=True))
    assert len(renders) == 1  # the second reader's page came from the store
    assert token_one != token_two
    assert pages.PLACEHOLDER not in two.get("/").get_data(as_text=True)
    stored = [v for v in app.extensions["pressdesk.feed_cache"]._data.values()] \
        if isinstance(pagecache.store(), pagecache.LocalCache) else []
    for raw, _gz in stored:
        assert token_one.encode() not in raw and token_two.encode() not in raw
    # each token works for its own reader: the language switch accepts it
    answer = two.post("/lang/en", data={"csrf_token": token_two, "next": "/"})
    assert answer.status_code in (302, 303)
    # a 304 is only for the same reader (the ETag carries a digest of the reader's token)
    etag = one.get("/").headers["ETag"]
    assert two.get("/", headers={"If-None-Match": etag}).status_code == 200


def test_a_logged_in_user_and_flashed_messages_are_never_cached(app, demo, renders):
    publish()
    client = logged_in(app)
    n = len(renders)
    client.get("/")
    client.get("/")
    assert len(renders) == n + 2
    assert "Abmelden" in client.get("/").get_data(as_text=True)
    anon = app.test_client()
    assert "Abmelden" not in anon.get("/").get_data(as_text=True)
    with anon.session_transaction() as s:
        s["_flashes"] = [("info", "Nur für diesen Leser")]
    assert "Nur für diesen Leser" in anon.get("/").get_data(as_text=True)
    assert "Nur für diesen Leser" not in app.test_client().get("/").get_data(as_text=True)


def test_english_and_german_pages_are_kept_apart(app, demo, renders):
    publish()
    de = app.test_client()
    en = app.test_client()
    with en.session_transaction() as s:
        s["lang"] = "en"
    german = de.get("/").get_data(as_text=True)
    english = en.get("/").get_data(as_text=True)
    assert 'lang="de"' in german and 'lang="en"' in english


def test_listings_load_only_the_current_version_of_each_release(app, demo, renders):
    from sqlalchemy import event

    vs = [publish(f"Mitteilung {i}") for i in range(3)]
    for v in vs:
        for n in (2, 3):
            db.session.add(ReleaseVersion(release_id=v.release_id, version=n, kind="correction",
                                          headline=f"{v.headline} v{n}", lead=v.lead,
                                          body=v.body, created_at=utcnow()))
        db.session.get(Release, v.release_id).version = 3
    db.session.commit()
    loaded: list[int] = []
    here = threading.get_ident()

    def count(target: ReleaseVersion, _context: object) -> None:
        # Only this thread's loads: the session's worker thread may be sending these releases'
        # alerts at the same time, and the load event is global.
        if threading.get_ident() == here:
            loaded.append(target.id)

    event.listen(ReleaseVersion, "load", count)
    try:
        for path in ("/", "/presse/landkreis-leer", "/einbetten/landkreis-leer"):
            loaded.clear()
            html = app.test_client().get(path).get_data(as_text=True)
            assert "Mitteilung 2 v3" in html and "Mitteilung 0 v3" in html
            assert "Mitteilung 1 v2<" not in html
            assert len(loaded) == 3, path  # one version per release, not nine
    finally:
        event.remove(ReleaseVersion, "load", count)


def test_archive_months_and_vocabularies_are_computed_once_per_data_state(app, demo, renders,
                                                                          monkeypatch):
    from pressdesk.portal import services as portal

    calls: list[str] = []
    real_months, real_vocab = portal.compute_archive_months, portal.compute_vocabulary
    monkeypatch.setattr(portal, "compute_archive_months",
                        lambda: calls.append("months") or real_months())
    monkeypatch.setattr(portal, "compute_vocabulary",
                        lambda *a: calls.append("vocab") or real_vocab(*a))
    pagecache.memo().clear()
    publish("Erste", topics=("verkehr",))
    client = app.test_client()
    client.get("/archiv")
    client.get("/archiv?a=1")  # another URL: a page-cache miss, but the same data
    assert calls.count("months") == 1
    client.get("/")
    client.get("/?a=1")
    assert calls.count("vocab") == 2  # topics and regions, once each
    publish("Zweite", topics=("schule",))
    assert "Schule" in client.get("/").get_data(as_text=True)
    assert calls.count("vocab") == 4
    months = client.get("/archiv").get_data(as_text=True)
    assert calls.count("months") == 2 and "2" in months


def test_an_office_settings_change_shows_on_the_next_request(app, demo, renders,
                                                            settings_override):
    from tests.helpers import office

    settings_override(feed_state_ttl=0)  # the edit below is made without any signal
    publish()
    client = app.test_client()
    first = client.get("/presse/landkreis-leer")
    assert "Neue Beschreibung der Pressestelle" not in first.get_data(as_text=True)
    leer = office("landkreis-leer")
    leer.description = "Neue Beschreibung der Pressestelle"
    db.session.commit()
    after = client.get("/presse/landkreis-leer", headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200
    assert "Neue Beschreibung der Pressestelle" in after.get_data(as_text=True)


@pytest.mark.skipif(not os.environ.get("PRESSDESK_BROKER_URL", "").startswith("redis"),
                    reason="needs Redis; the PostgreSQL/Redis run covers it")
def test_with_redis_configured_every_web_host_shares_the_pages(app, demo, renders,
                                                               settings_override):
    settings_override(feed_cache_url=os.environ["PRESSDESK_BROKER_URL"])
    app.extensions.pop("pressdesk.feed_cache", None)
    try:
        assert isinstance(pagecache.store(), pagecache.RedisCache)
        publish()
        client = app.test_client()
        first = client.get("/")
        assert len(renders) == 1
        app.extensions.pop("pressdesk.feed_cache")  # another host: nothing of its own
        again = app.test_client().get("/")
        assert len(renders) == 1  # served from Redis
        assert _without_token(again.data) == _without_token(first.data)
        assert pages.PLACEHOLDER not in again.get_data(as_text=True)
    finally:
        app.extensions.pop("pressdesk.feed_cache", None)
