"""The read-only JSON API: shapes, stable ids, filters, paging links, CORS, OpenAPI validity."""

import io
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import jsonschema
from openapi_spec_validator import validate
from PIL import Image
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from pressdesk.extensions import db
from pressdesk.releases import services
from pressdesk.releases.attachments import add_attachment
from pressdesk.releases.images import add_image, placeholder_jpeg, store
from pressdesk.releases.models import ReleaseImage, Topic
from tests.helpers import draft, office


def publish(slug="landkreis-leer", **fields):
    published = services.publish_release(draft(slug, **fields), None)
    db.commit()
    return published.release


def _validator(spec, name):
    """A JSON Schema validator for one component schema, resolving the spec's $refs."""
    resource = Resource(contents=spec, specification=DRAFT202012)
    registry = Registry().with_resource("urn:spec", resource)
    return jsonschema.Draft202012Validator({"$ref": f"urn:spec#/components/schemas/{name}"},
                                           registry=registry)


def test_openapi_document_is_valid_and_describes_the_answers(app, demo):
    r = publish(headline="Radwege")
    client = app.test_client()
    spec = client.get("/api/v1/openapi.json").json
    validate(spec)  # raises on an invalid OpenAPI 3.1 document
    assert spec["openapi"].startswith("3.1")
    assert {"/offices", "/offices/{id}", "/releases", "/releases/{id}"} <= set(spec["paths"])
    _validator(spec, "ReleasePage").validate(client.get("/api/v1/releases").json)
    _validator(spec, "Release").validate(client.get(f"/api/v1/releases/{r.public_id}").json)
    _validator(spec, "Office").validate(client.get("/api/v1/offices/landkreis-leer").json)


PDF = (b"%PDF-1.4\n1 0 obj<< /Type /Catalog /Pages 2 0 R >>endobj\n"
       b"2 0 obj<< /Type /Pages /Kids [] /Count 0 >>endobj\ntrailer<< /Root 1 0 R >>\n%%EOF\n")


def _png(size=(1800, 1200)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (40, 90, 130)).save(buf, "PNG")
    return buf.getvalue()


def test_release_detail_with_images_and_stable_ids(app, demo):
    r = draft(headline="Mit Bild")
    img = ReleaseImage(release_id=r.id, position=0, filename="a.jpg", caption="V.l. Anna",
                       credit="Foto: LK Leer", alt="Eine Frau am Hafen")
    store(img, placeholder_jpeg("A"))
    r.images.append(img)
    db.session.commit()
    services.publish_release(r, None)
    db.commit()
    data = app.test_client().get(f"/api/v1/releases/{r.public_id}").json
    assert data["id"] == r.public_id and len(data["id"]) == 32
    assert data["office"] == {"id": "landkreis-leer", "name": "Landkreis Leer"}
    assert data["reference"] == f"PM 1/{r.year}"
    assert data["links"]["html"].endswith(f"/presse/landkreis-leer/{r.year}/1-mit-bild")
    [image] = data["images"]
    assert image["alt"] == "Eine Frau am Hafen" and image["credit"] == "Foto: LK Leer"
    assert image["original_url"].endswith(f"/bilder/{img.public_id}/original.jpg")
    assert "<strong>Frühjahr</strong>" in data["body_html"]
    assert data["published_at"].endswith("Z")


def test_release_lists_attachments_own_contact_and_png_original(app, demo):
    r = draft(headline="Mit Anhang")
    r.contact_name, r.contact_phone, r.contact_email = ("Eva Ems", "0491 123",
                                                        "eva.ems@lkleer.example")
    att = add_attachment(r, "Haushaltsplan 2027.pdf", PDF)
    png, _warning = add_image(r, "plan.png", _png(), "Der Plan", "Grafik: LK Leer",
                              "Ein Lageplan", "")
    db.session.commit()
    services.publish_release(r, None)
    client = app.test_client()
    data = client.get(f"/api/v1/releases/{r.public_id}").json
    assert data["contact"] == {"name": "Eva Ems", "phone": "0491 123",
                               "email": "eva.ems@lkleer.example"}
    assert office("landkreis-leer").contact_email != "eva.ems@lkleer.example"
    [listed] = data["attachments"]
    assert listed["id"] == att.public_id and listed["name"] == "Haushaltsplan 2027.pdf"
    assert listed["content_type"] == "application/pdf" and listed["size"] == len(PDF)
    got = client.get(urlsplit(listed["url"]).path)
    assert got.status_code == 200 and got.data == PDF
    [image] = data["images"]
    assert image["content_type"] == "image/png"
    assert image["original_url"].endswith(f"/bilder/{png.public_id}/original.png")
    original = client.get(urlsplit(image["original_url"]).path)
    assert original.status_code == 200 and original.mimetype == "image/png"
    assert image["url"].endswith(f"/bilder/{png.public_id}/web.jpg")


def test_since_uses_the_public_time_after_an_embargo(app, demo):
    e = draft(headline="Sperrfrist bis eben")
    e.embargo_until = datetime.now(UTC) + timedelta(hours=1)
    db.session.commit()
    services.publish_release(e, None)
    db.session.commit()
    # Published two hours ago under a Sperrfrist that ended a minute ago; a client last polled
    # five minutes ago, when the release was not public yet: this poll must bring it.
    now = datetime.now(UTC)
    e.published_at = now - timedelta(hours=2)
    e.embargo_until = now - timedelta(minutes=1)
    db.session.commit()
    client = app.test_client()
    body = client.get("/api/v1/releases", query_string={
        "seit": (now - timedelta(minutes=5)).isoformat()}).json
    assert [i["id"] for i in body["items"]] == [e.public_id]
    item = body["items"][0]
    published = datetime.fromisoformat(item["published_at"].replace("Z", "+00:00"))
    assert abs(published - e.embargo_until) < timedelta(seconds=1)
    assert item["updated_at"] >= item["published_at"]
    assert client.get("/api/v1/releases", query_string={
        "seit": now.isoformat()}).json["total"] == 0


def test_empty_seit_is_refused_as_its_format_says(app, demo):
    resp = app.test_client().get("/api/v1/releases?seit=")
    assert resp.status_code == 400 and "seit" in resp.json["error"]["message"]


def test_page_past_the_end_links_back_to_the_last_page(app, demo):
    for i in range(3):
        publish(headline=f"Meldung {i}")
    body = app.test_client().get("/api/v1/releases?pro_seite=2&seite=999").json
    assert body["pages"] == 2 and body["items"] == []
    assert "seite=2" in body["links"]["prev"] and "seite=998" not in body["links"]["prev"]
    assert "next" not in body["links"]


def test_etag_is_sent_and_answered_with_304(app, demo):
    r = publish(headline="Mit ETag")
    client = app.test_client()
    for url in ("/api/v1/releases", f"/api/v1/releases/{r.public_id}", "/api/v1/offices",
                "/api/v1/offices/landkreis-leer"):
        first = client.get(url)
        etag = first.headers["ETag"]
        assert etag and "ETag" in first.headers["Access-Control-Expose-Headers"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b""
        weak = client.get(url, headers={"If-None-Match": f"W/{etag}"})
        assert weak.status_code == 304
    client.get("/api/v1/releases")
    etag = client.get("/api/v1/releases").headers["ETag"]
    publish(headline="Neu")
    assert client.get("/api/v1/releases", headers={"If-None-Match": etag}).status_code == 200


def test_office_links_include_every_feed(app, demo):
    links = app.test_client().get("/api/v1/offices/landkreis-leer").json["links"]
    assert links["json_feed"].endswith("/presse/landkreis-leer/feed.json")
    assert links["rss"].endswith("/feed.rss") and links["atom"].endswith("/feed.atom")


def test_unpublished_and_embargoed_releases_are_404(app, demo):
    d = draft(headline="Entwurf")
    e = draft(headline="Sperrfrist")
    e.embargo_until = datetime.now(UTC) + timedelta(days=1)
    db.session.commit()
    services.publish_release(e, None)
    db.commit()
    client = app.test_client()
    for public_id in (d.public_id, e.public_id):  # read before a request ends the session
        resp = client.get(f"/api/v1/releases/{public_id}")
        assert resp.status_code == 404 and resp.json["error"]["status"] == 404
    assert client.get("/api/v1/releases").json["total"] == 0


def test_filters_search_since_and_paging_links(app, demo):
    leer = office("landkreis-leer")
    for i in range(5):
        publish(headline=f"Kreistag tagt zum {i}. Mal")
    lingen = publish("stadt-lingen", headline="Zeitungen in Lingen")
    t = Topic(office_id=leer.id, slug="kreistag", name="Kreistag")
    db.session.add(t)
    first = services.office_release(leer, 1)
    first.topics.append(t)
    db.session.commit()
    client = app.test_client()
    page1 = client.get("/api/v1/releases?stelle=landkreis-leer&pro_seite=2")
    body = page1.json
    assert body["total"] == 5 and body["pages"] == 3 and len(body["items"]) == 2
    assert "next" in body["links"] and "prev" not in body["links"]
    assert 'rel="next"' in page1.headers["Link"]
    last = urlsplit(body["links"]["last"])
    page3 = client.get(f"{last.path}?{last.query}")
    assert page3.status_code == 200 and len(page3.json["items"]) == 1
    seen = {i["id"] for i in body["items"]} | {
        i["id"]
        for i in client.get("/api/v1/releases?stelle=landkreis-leer&pro_seite=2&seite=2").json["items"]
    } | {i["id"] for i in page3.json["items"]}
    assert len(seen) == 5
    assert [i["id"] for i in client.get("/api/v1/releases?q=Zeitung").json["items"]] == [lingen.public_id]
    assert client.get("/api/v1/releases?thema=kreistag").json["total"] == 1
    future = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert client.get("/api/v1/releases", query_string={"seit": future}).json["total"] == 0
    assert client.get("/api/v1/releases?seit=2020-01-01").json["total"] == 6


def test_bad_parameters_get_clear_json_errors(app, demo):
    client = app.test_client()
    for qs, word in (("seit=gestern", "seit"), ("seite=0", "seite"), ("pro_seite=500", "pro_seite"),
                     ("sortierung=zufall", "sortierung"), ("seite=x", "seite")):
        resp = client.get(f"/api/v1/releases?{qs}")
        assert resp.status_code == 400, qs
        assert word in resp.json["error"]["message"]
    assert client.get("/api/v1/releases?stelle=nirgendwo").status_code == 404
    assert client.get("/api/v1/offices/nirgendwo").status_code == 404


def test_cors_for_get_and_preflight(app, demo):
    client = app.test_client()
    resp = client.get("/api/v1/offices", headers={"Origin": "https://www.gemeinde.example"})
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert {o["id"] for o in resp.json["items"]} == {"landkreis-leer", "landkreis-emsland",
                                                     "stadt-lingen", "it-achse"}
    pre = client.options("/api/v1/releases", headers={
        "Origin": "https://www.gemeinde.example", "Access-Control-Request-Method": "GET"})
    assert pre.status_code == 200
    assert pre.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in pre.headers["Access-Control-Allow-Methods"]
    # the desk is not opened up by the API's CORS
    assert "Access-Control-Allow-Origin" not in client.get("/login").headers
    assert client.post("/api/v1/releases").status_code == 405


def test_day_filters_and_an_empty_range(app, demo):
    publish(headline="Heute veröffentlicht")
    client = app.test_client()
    today = datetime.now(UTC).date()
    assert client.get(f"/api/v1/releases?von={today - timedelta(days=1)}").json["total"] == 1
    assert client.get(f"/api/v1/releases?bis={today - timedelta(days=2)}").json["total"] == 0
    # 'bis' before 'von' is a valid request for an empty range, not an error
    empty = client.get("/api/v1/releases?von=2026-02-01&bis=2026-01-01")
    assert empty.status_code == 200 and empty.json["total"] == 0
    bad = client.get("/api/v1/releases?von=gestern")
    assert bad.status_code == 400 and "'von'" in bad.json["error"]["message"]


def test_control_characters_in_ids_and_parameters_are_not_errors(app, demo):
    """NUL is refused by PostgreSQL in text: it must never reach a query (it used to: 500)."""
    client = app.test_client()
    assert client.get("/api/v1/releases?stelle=%00&q=Rad%00weg&thema=%00").status_code == 200
    for path in ("/api/v1/offices/%00", "/api/v1/releases/%00"):
        resp = client.get(path)
        assert resp.status_code == 404 and resp.json["error"]["status"] == 404, path
    for path in ("/presse/%00", "/thema/%00", "/region/a%00", "/einbetten/%00"):
        assert client.get(path).status_code == 404, path
    assert client.get("/suche?q=%00&stelle=%00").status_code == 200


def test_the_search_pages_query_string_means_the_same_in_the_api(app, demo):
    """One set of parameter names: a search copied from the portal's URL into the API finds the
    same releases (the API used to read English names and ignore ``stelle``/``thema``)."""
    publish("stadt-lingen", headline="Neuer Radweg an der Ems")
    publish("landkreis-leer", headline="Radweg nach Loga")
    client = app.test_client()
    page = client.get("/suche?q=radweg&stelle=stadt-lingen").get_data(as_text=True)
    assert "an der Ems" in page and "nach Loga" not in page  # (the hit's words are marked)
    api = client.get("/api/v1/releases?q=radweg&stelle=stadt-lingen").json
    assert [i["headline"] for i in api["items"]] == ["Neuer Radweg an der Ems"]
    # the English names are not a second vocabulary: they filter nothing
    both = client.get("/api/v1/releases?q=radweg&office=stadt-lingen").json
    assert both["total"] == 2
