"""Public portal pages: home, office, topic, region, archive, release, paging, permalinks, embed."""

import re
from datetime import UTC, datetime, timedelta

from pressdesk.extensions import db
from pressdesk.releases import services
from pressdesk.releases.models import Region, ReleaseImage, ReleaseVersion, Topic
from pressdesk.text import BERLIN, german_date
from tests.helpers import draft, office


def publish(slug="landkreis-leer", **fields):
    published = services.publish_release(draft(slug, **fields), None)
    db.commit()
    return published.release


def html(client, path, status=200):
    resp = client.get(path)
    assert resp.status_code == status, (path, resp.status_code)
    return resp.get_data(as_text=True)


def test_home_lists_newest_of_all_offices_and_never_drafts(app, demo):
    publish(headline="Aus Leer")
    publish("stadt-lingen", headline="Aus Lingen")
    draft(headline="Noch ein Entwurf")
    page = html(app.test_client(), "/")
    assert page.index("Aus Lingen") < page.index("Aus Leer")  # newest first
    assert "Noch ein Entwurf" not in page
    assert 'role="search"' in page and 'action="/suche"' in page


def test_embargoed_release_is_hidden_everywhere_until_its_time(app, demo):
    r = draft(headline="Sperrfrist-Meldung")
    r.embargo_until = datetime.now(UTC) + timedelta(hours=2)
    db.session.commit()
    services.publish_release(r, None)
    db.commit()
    client = app.test_client()
    for path in ("/", "/presse/landkreis-leer", f"/archiv/{r.year}/{r.published_at.month}"):
        assert "Sperrfrist-Meldung" not in html(client, path), path
    html(client, f"/presse/landkreis-leer/{r.year}/{r.number}-{r.slug}", 404)


def test_paging_keeps_every_release_reachable(app, demo):
    for i in range(23):
        publish(headline=f"Meldung Nummer {i:02d}")
    client = app.test_client()
    first = html(client, "/presse/landkreis-leer")
    second = html(client, "/presse/landkreis-leer?seite=2")
    seen = set(re.findall(r"Meldung Nummer (\d\d)", first + second))
    assert seen == {f"{i:02d}" for i in range(23)}
    assert 'rel="next" href="/presse/landkreis-leer?seite=2"' in first
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert "Meldung Nummer" in html(client, "/?seite=abc")  # bad page numbers fall back to 1


def test_office_page_has_profile_contact_imprint_feeds_and_embed_snippet(app, demo):
    publish()
    page = html(app.test_client(), "/presse/landkreis-leer")
    assert "Pressemitteilungen des Landkreises Leer" in page
    assert "pressestelle@landkreis-leer.example" in page and "0491 926-0" in page
    assert "Bergmannstraße 37" in page  # imprint
    assert "/presse/landkreis-leer/feed.rss" in page and "/presse/landkreis-leer/feed.atom" in page
    assert "&lt;iframe src=&#34;http://127.0.0.1:" in page or '&lt;iframe src="http://127.0.0.1:' in page
    assert "/einbetten/landkreis-leer" in page
    html(app.test_client(), "/presse/gibt-es-nicht", 404)


def test_topic_and_region_pages_span_offices(app, demo):
    leer, lingen = office("landkreis-leer"), office("stadt-lingen")
    a = publish(headline="Gewerbegebiet in Leer")
    b = publish("stadt-lingen", headline="Gründerzentrum in Lingen")
    publish(headline="Ohne Thema")
    a.topics.append(Topic(office_id=leer.id, slug="wirtschaft", name="Wirtschaft"))
    b.topics.append(Topic(office_id=lingen.id, slug="wirtschaft", name="Wirtschaft"))
    b.regions.append(Region(office_id=lingen.id, slug="emsland", name="Emsland"))
    db.session.commit()
    client = app.test_client()
    topic = html(client, "/thema/wirtschaft")
    assert "Gewerbegebiet in Leer" in topic and "Gründerzentrum in Lingen" in topic
    assert "Ohne Thema" not in topic and "<h1>Thema: Wirtschaft</h1>" in topic
    region = html(client, "/region/emsland")
    assert "Gründerzentrum in Lingen" in region and "Gewerbegebiet" not in region
    html(client, "/thema/unbekannt", 404)
    home = html(client, "/")
    assert 'href="/thema/wirtschaft"' in home and 'href="/region/emsland"' in home


def test_archive_by_month(app, demo):
    r = publish(headline="Novembermeldung")
    old = publish(headline="Altmeldung")
    old.published_at = datetime(2025, 3, 15, 10, 0, tzinfo=UTC)
    db.session.commit()
    client = app.test_client()
    archive = html(client, "/archiv")
    now = r.published_at
    assert f'href="/archiv/{now.year}/{now.month}"' in archive
    assert 'href="/archiv/2025/3"' in archive and "März 2025" in archive
    march = html(client, "/archiv/2025/3")
    assert "Altmeldung" in march and "Novembermeldung" not in march
    html(client, "/archiv/2025/13", 404)


def test_release_page_images_contact_history_and_permalinks(app, demo):
    r = draft(headline="Neue Radwege im Rheiderland")
    from pressdesk.releases.images import placeholder_jpeg, store

    img = ReleaseImage(release_id=r.id, position=0, filename="rad.jpg", caption="V.l. Anna Meyer",
                       credit="Foto: Landkreis Leer", alt="Zwei Radfahrer auf einem neuen Weg",
                       rights="Abdruck honorarfrei")
    store(img, placeholder_jpeg("Radweg"))
    r.images.append(img)
    db.session.commit()
    services.publish_release(r, None)
    db.commit()
    r.versions.append(ReleaseVersion(version=2, kind="correction",
                                     headline="Neue Radwege im Rheiderland (korrigiert)",
                                     dateline=r.versions[0].dateline, lead=r.lead, body=r.body))
    db.session.commit()
    client = app.test_client()
    url = f"/presse/landkreis-leer/{r.year}/{r.number}-{r.slug}"
    page = html(client, url)
    assert "<h1>Neue Radwege im Rheiderland (korrigiert)</h1>" in page
    assert 'alt="Zwei Radfahrer auf einem neuen Weg"' in page
    assert "V.l. Anna Meyer" in page and "Foto: Landkreis Leer" in page
    assert f"/bilder/{img.public_id}/original.jpg" in page and "Druckfähiges Original" in page
    assert "Pressekontakt" in page and "pressestelle@landkreis-leer.example" in page
    assert "Version 2" in page and "Korrektur" in page and "Version 1" in page
    assert german_date(r.published_at) in page
    original = client.get(f"/bilder/{img.public_id}/original.jpg")
    assert original.status_code == 200 and original.data[:3] == b"\xff\xd8\xff"
    # the number is the identity: an old or wrong slug answers 301 to the canonical URL
    moved = client.get(f"/presse/landkreis-leer/{r.year}/{r.number}-alter-titel")
    assert moved.status_code == 301 and moved.headers["Location"].endswith(url)
    # a correction changes the headline but not the permalink
    assert r.slug == "neue-radwege-im-rheiderland"


def test_embed_page_may_be_framed_other_pages_may_not(app, demo):
    publish(headline="Für die Gemeinde-Website")
    client = app.test_client()
    embed = client.get("/einbetten/landkreis-leer?anzahl=3")
    assert embed.status_code == 200 and "Für die Gemeinde-Website" in embed.get_data(as_text=True)
    assert "frame-ancestors *" in embed.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in embed.headers
    assert 'target="_top"' in embed.get_data(as_text=True)
    home = client.get("/")
    assert home.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in home.headers["Content-Security-Policy"]
    assert client.get("/einbetten/unbekannt").status_code == 404


def test_search_page_results_filters_errors_and_feed_link(app, demo):
    publish(headline="Die Zeitungen berichten", lead="Über die Bürgerzeitung.")
    client = app.test_client()
    page = html(client, "/suche?q=Zeitung")
    assert "<mark>Zeitungen</mark>" in page and "1 Treffer" in page
    assert 'href="/suche/feed.atom?q=Zeitung"' in page
    assert "Wortanfang" in page
    assert "0 Treffer" in html(client, "/suche?q=Buerger")
    prefixed = html(client, "/suche?q=Buerger&wortanfang=1")
    assert "<mark>Bürgerzeitung</mark>" in prefixed and 'name="wortanfang" value="1" checked' in prefixed
    bad = html(client, "/suche?q=Zeitung&von=gestern&stelle=landkreis-leer")
    # The error names what was typed; the date field stays empty (a date input's value must
    # be a valid date, or the page is invalid HTML).
    assert "„gestern“ ist kein Datum" in bad and 'value="Zeitung"' in bad
    assert 'name="von" value=""' in bad
    assert "1 Treffer" in bad  # the rest of the search still ran
    assert '<option value="landkreis-leer" selected>' in bad
    assert "<mark>" not in html(client, "/suche?q=%3Cmark%3E")


def test_listings_show_the_public_time_of_an_embargoed_release(app, demo):
    r = draft(headline="Lange unter Sperrfrist")
    r.embargo_until = datetime.now(UTC) + timedelta(days=1)
    db.session.commit()
    services.publish_release(r, None)
    # Published (the button) three days ago under a Sperrfrist that ended yesterday.
    now = datetime.now(UTC)
    r.published_at, r.embargo_until = now - timedelta(days=3), now - timedelta(days=1)
    db.session.commit()
    public_day, button_day = german_date(r.embargo_until), german_date(r.published_at)
    client = app.test_client()
    for path in ("/", "/presse/landkreis-leer", "/suche?q=Sperrfrist", "/einbetten/landkreis-leer"):
        page = client.get(path).get_data(as_text=True)
        assert public_day in page and button_day not in page, path
    # The search's day filter is on the same day.
    yesterday = (now - timedelta(days=1)).astimezone(BERLIN).date().isoformat()
    assert "1 Treffer" in client.get(f"/suche?q=Sperrfrist&von={yesterday}").get_data(
        as_text=True)


def test_release_page_reads_the_presenter(app, demo):
    import io

    from PIL import Image

    from pressdesk.releases.attachments import add_attachment
    from pressdesk.releases.images import add_image

    r = draft(headline="Mit Plan und Anhang")
    r.contact_name, r.contact_email = "Eva Ems", "eva.ems@lkleer.example"
    buf = io.BytesIO()
    Image.new("RGB", (1800, 1200), (40, 90, 130)).save(buf, "PNG")
    png, _warning = add_image(r, "plan.png", buf.getvalue(), "Der Plan", "Grafik: LK", "Ein Plan",
                              "")
    att = add_attachment(r, "Plan.pdf", b"%PDF-1.4\n1 0 obj<< /Type /Catalog >>endobj\n%%EOF\n")
    db.session.commit()
    services.publish_release(r, None)
    db.session.commit()
    page = app.test_client().get(
        f"/presse/landkreis-leer/{r.year}/{r.number}-{r.slug}").get_data(as_text=True)
    assert f"/bilder/{png.public_id}/original.png" in page and "(PNG, 1800×1200 px)" in page
    assert f"/anhaenge/{att.public_id}/Plan.pdf" in page
    assert "eva.ems@lkleer.example" in page and "Eva Ems" in page
    assert office("landkreis-leer").contact_email not in page.split("Pressekontakt")[1]
