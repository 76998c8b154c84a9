"""The read-only JSON API: shapes, stable ids, filters, paging links, CORS, OpenAPI validity."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import jsonschema
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from pressdesk.extensions import db
from pressdesk.releases import services
from pressdesk.releases.images import placeholder_jpeg, store
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
    assert data["attachments"] == [] and "<strong>Frühjahr</strong>" in data["body_html"]
    assert data["published_at"].endswith("Z")


def test_unpublished_and_embargoed_releases_are_404(app, demo):
    d = draft(headline="Entwurf")
    e = draft(headline="Sperrfrist")
    e.embargo_until = datetime.now(UTC) + timedelta(days=1)
    db.session.commit()
    services.publish_release(e, None)
    db.commit()
    client = app.test_client()
    for rel in (d, e):
        resp = client.get(f"/api/v1/releases/{rel.public_id}")
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
    page1 = client.get("/api/v1/releases?office=landkreis-leer&per_page=2")
    body = page1.json
    assert body["total"] == 5 and body["pages"] == 3 and len(body["items"]) == 2
    assert "next" in body["links"] and "prev" not in body["links"]
    assert 'rel="next"' in page1.headers["Link"]
    last = urlsplit(body["links"]["last"])
    page3 = client.get(f"{last.path}?{last.query}")
    assert page3.status_code == 200 and len(page3.json["items"]) == 1
    seen = {i["id"] for i in body["items"]} | {
        i["id"] for i in client.get("/api/v1/releases?office=landkreis-leer&per_page=2&page=2").json["items"]
    } | {i["id"] for i in page3.json["items"]}
    assert len(seen) == 5
    assert [i["id"] for i in client.get("/api/v1/releases?q=Zeitung").json["items"]] == [lingen.public_id]
    assert client.get("/api/v1/releases?topic=kreistag").json["total"] == 1
    future = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert client.get("/api/v1/releases", query_string={"since": future}).json["total"] == 0
    assert client.get("/api/v1/releases?since=2020-01-01").json["total"] == 6


def test_bad_parameters_get_clear_json_errors(app, demo):
    client = app.test_client()
    for qs, word in (("since=gestern", "since"), ("page=0", "page"), ("per_page=500", "per_page"),
                     ("sort=zufall", "sort"), ("page=x", "page")):
        resp = client.get(f"/api/v1/releases?{qs}")
        assert resp.status_code == 400, qs
        assert word in resp.json["error"]["message"]
    assert client.get("/api/v1/releases?office=nirgendwo").status_code == 404
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
