"""ninjs 3.1 and 2.2, NewsML-G2 2.35 and NITF 3.6 beside the permalink, validated against
IPTC's published schemas (shipped in tests/data/iptc)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import jsonschema
import pytest
from lxml import etree

from pressdesk.extensions import db
from pressdesk.releases import services
from tests.formats_support import DATA, corrected, permalink_path, published, withdrawn
from tests.helpers import draft

NAR = "{http://iptc.org/std/nar/2006-10-01/}"
NITF = "{http://iptc.org/std/NITF/2006-10-18/}"


@cache
def _xsd(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(DATA / name)))


@cache
def _ninjs_validator(version: str) -> jsonschema.protocols.Validator:
    schema = json.loads((DATA / f"ninjs-schema_{version}.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _valid_xml(data: bytes, xsd: str) -> Any:
    doc = etree.fromstring(data)
    schema = _xsd(xsd)
    assert schema.validate(doc), "\n".join(f"{e.line}: {e.message}" for e in schema.error_log)
    return doc


def _all_valid(client: Any, base: str) -> dict[str, Any]:
    got: dict[str, Any] = {}
    for name, version in (("ninjs.json", "3.1"), ("ninjs-2.2.json", "2.2")):
        resp = client.get(f"{base}/{name}")
        assert resp.status_code == 200 and resp.mimetype == "application/json"
        errors = list(_ninjs_validator(version).iter_errors(resp.json))
        assert not errors, [e.message for e in errors]
        got[version] = resp.json
    resp = client.get(f"{base}/newsml.xml")
    assert resp.status_code == 200
    got["newsml"] = _valid_xml(resp.data, "NewsML-G2_2.35-spec-All-Power.xsd")
    resp = client.get(f"{base}/nitf.xml")
    assert resp.status_code == 200
    got["nitf"] = _valid_xml(resp.data, "nitf-3-6.xsd")
    return got


def test_schemas_refuse_a_broken_document(app):
    """The validation below can fail: the schemas are loaded and strict."""
    assert list(_ninjs_validator("3.1").iter_errors({"uri": "x", "pubStatus": "withdrawn"}))
    assert list(_ninjs_validator("2.2").iter_errors({"uri": "x", "embargoedUntil": "x"}))
    broken = b'<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="x"/>'
    assert not _xsd("NewsML-G2_2.35-spec-All-Power.xsd").validate(etree.fromstring(broken))
    assert not _xsd("nitf-3-6.xsd").validate(
        etree.fromstring(b'<nitf xmlns="http://iptc.org/std/NITF/2006-10-18/"><x/></nitf>'))


def test_published_release_with_photo_attachment_and_ended_embargo(app, demo):
    r = published()
    got = _all_valid(app.test_client(), permalink_path(r))
    n3 = got["3.1"]
    assert n3["pubStatus"] == "usable" and n3["version"] == "1"
    assert n3["headlines"][0]["value"] == "Neue Radwege im Rheiderland"
    assert n3["headlines"][1] == {"role": "subheadline", "value": "Kreistag beschließt Ausbau"}
    assert n3["located"] == "Leer"
    assert n3["embargoedUntil"].endswith("Z")
    assert n3["infoSources"][0]["name"] == "Landkreis Leer"
    assert n3["by"] == "Anna Eilers"
    assert n3["people"][0]["contactInfo"][1]["value"] == "anna.eilers@landkreis-leer.example"
    html = n3["bodies"][0]
    assert html["contentType"] == "text/html" and "<strong>12 Kilometern</strong>" in html["value"]
    assert {s["uri"].split("/vokabular/")[1] for s in n3["subjects"]} == {
        "landkreis-leer/thema/verkehr", "landkreis-leer/region/rheiderland"}
    picture, attachment = n3["associations"]
    assert picture["descriptions"] == [
        {"role": "caption", "contentType": "text/plain", "value": "Der neue Radweg bei Bunde"},
        {"role": "alt", "contentType": "text/plain",
         "value": "Ein asphaltierter Radweg zwischen Feldern"}]
    assert picture["by"] == "Foto: Landkreis Leer"
    assert picture["usageTerms"] == "Abdruck honorarfrei"
    assert attachment["renditions"][0]["title"] == "Lageplan.pdf"
    n2 = got["2.2"]
    assert n2["embargoed"] == n3["embargoedUntil"] and n2["pubstatus"] == "usable"
    assert n2["standard"]["version"] == "2.2"

    item = got["newsml"]
    meta = item.find(f"{NAR}itemMeta")
    assert meta.find(f"{NAR}pubStatus").get("qcode") == "stat:usable"
    assert meta.find(f"{NAR}embargoed").text == n3["embargoedUntil"]
    assert meta.find(f"{NAR}provider/{NAR}name").text == "Landkreis Leer"
    assert item.get("version") == "1" and item.get("guid") == n3["uri"]
    xhtml = etree.tostring(item.find(f"{NAR}contentSet")).decode()
    assert 'alt="Ein asphaltierter Radweg zwischen Feldern"' in xhtml
    assert "Foto: Landkreis Leer" in xhtml

    nitf = got["nitf"]
    ref = nitf.find(f".//{NITF}media-reference")
    assert ref.get("alternate-text") == "Ein asphaltierter Radweg zwischen Feldern"
    assert nitf.find(f".//{NITF}media-producer").text == "Foto: Landkreis Leer"
    assert nitf.find(f".//{NITF}hl1").text == "Neue Radwege im Rheiderland"
    assert nitf.find(f".//{NITF}date.release") is not None


def test_correction_is_a_new_version_with_a_signal(app, demo):
    r = corrected(published())
    client = app.test_client()
    got = _all_valid(client, permalink_path(r))
    assert got["3.1"]["version"] == "2" and "Korrektur" in got["3.1"]["edNote"]
    assert "14 Kilometern" in got["3.1"]["bodies"][1]["value"]
    meta = got["newsml"].find(f"{NAR}itemMeta")
    assert meta.find(f"{NAR}signal").get("qcode") == "sig:correction"
    assert got["nitf"].find(f".//{NITF}ed-msg").get("msg-type") == "correction"
    first = _all_valid(client, permalink_path(r) + "/version/1")
    assert first["3.1"]["version"] == "1" and "12 Kilometern" in first["3.1"]["bodies"][1]["value"]
    assert client.get(permalink_path(r) + "/version/9/ninjs.json").status_code == 404


def test_withdrawn_release_is_served_as_canceled_without_its_text(app, demo):
    r = withdrawn(published())
    got = _all_valid(app.test_client(), permalink_path(r))
    assert got["3.1"]["pubStatus"] == "canceled" and got["2.2"]["pubstatus"] == "canceled"
    assert "bodies" not in got["3.1"] and "associations" not in got["3.1"]
    assert "zurückgezogen" in got["3.1"]["edNote"]
    meta = got["newsml"].find(f"{NAR}itemMeta")
    assert meta.find(f"{NAR}pubStatus").get("qcode") == "stat:canceled"
    assert got["newsml"].find(f"{NAR}contentSet") is None
    assert got["nitf"].find(f".//{NITF}docdata").get("management-status") == "canceled"


@pytest.mark.parametrize("name", ["ninjs.json", "ninjs-2.2.json", "newsml.xml", "nitf.xml"])
def test_not_served_during_the_embargo_nor_for_drafts(app, demo, name):
    e = draft(headline="Noch gesperrt")
    e.embargo_until = datetime.now(UTC) + timedelta(hours=3)
    db.session.commit()
    services.publish_release(e, None)
    db.session.commit()
    client = app.test_client()
    assert client.get(f"{permalink_path(e)}/{name}").status_code == 404
    d = draft(headline="Entwurf")
    assert client.get(f"/presse/landkreis-leer/{d.year or 2026}/99-entwurf/{name}"
                      ).status_code == 404


def test_old_slug_redirects_to_the_current_one(app, demo):
    r = published(embargo=False)
    resp = app.test_client().get(
        f"/presse/landkreis-leer/{r.year}/{r.number}-alt/newsml.xml")
    assert resp.status_code == 301
    assert resp.headers["Location"].endswith(f"{permalink_path(r)}/newsml.xml")


def test_release_page_and_api_link_the_formats(app, demo):
    r = published(embargo=False)
    client = app.test_client()
    page = client.get(permalink_path(r)).get_data(as_text=True)
    for name in ("ninjs.json", "ninjs-2.2.json", "newsml.xml", "nitf.xml"):
        assert f'{permalink_path(r)}/{name}"' in page
    api = client.get(f"/api/v1/releases/{r.public_id}", query_string={"format": "ninjs"})
    assert api.status_code == 200 and api.json["uri"].endswith(r.public_id)
    assert api.headers["Access-Control-Allow-Origin"] == "*"
    xml = client.get(f"/api/v1/releases/{r.public_id}", query_string={"format": "newsml"})
    _valid_xml(xml.data, "NewsML-G2_2.35-spec-All-Power.xsd")
    bad = client.get(f"/api/v1/releases/{r.public_id}", query_string={"format": "rtf"})
    assert bad.status_code == 400 and "ninjs" in bad.json["error"]["message"]


def test_subject_uris_resolve_to_the_portal_listing(app, demo):
    r = published(embargo=False)
    client = app.test_client()
    doc = client.get(f"{permalink_path(r)}/ninjs.json").json
    uris = [s["uri"] for s in doc["subjects"]]
    base = app.extensions["pressdesk.settings"].base_url
    resp = client.get(uris[0].removeprefix(base))
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/thema/verkehr")
    assert client.get(uris[1].removeprefix(base)).headers["Location"].endswith(
        "/region/rheiderland")
    assert client.get("/vokabular/stadt-lingen/thema/verkehr").status_code == 404


def test_office_atom_feed_links_the_items_for_ingest(app, demo):
    from lxml import etree as et

    r = published(embargo=False)
    client = app.test_client()
    feed = client.get("/presse/landkreis-leer/feed.atom")
    assert feed.status_code == 200
    atom = "{http://www.w3.org/2005/Atom}"
    [entry] = et.fromstring(feed.data).iter(f"{atom}entry")
    links = {link.get("type"): link.get("href") for link in entry.iter(f"{atom}link")
             if link.get("rel") == "alternate"}
    assert links["application/json"].endswith(f"{permalink_path(r)}/ninjs.json")
    assert links["application/vnd.iptc.g2.newsitem+xml"].endswith(
        f"{permalink_path(r)}/newsml.xml")
    etag = feed.headers["ETag"]
    assert client.get("/presse/landkreis-leer/feed.atom",
                      headers={"If-None-Match": etag}).status_code == 304


def test_items_answer_304_until_they_change(app, demo):
    r = published(embargo=False)
    client = app.test_client()
    url = f"{permalink_path(r)}/newsml.xml"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    from pressdesk.releases.models import Release

    corrected(db.session.get(Release, r.id))
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.headers["ETag"] != etag


def test_openapi_names_the_format_parameter(app, demo):
    from pressdesk.formats.services import FORMATS

    spec = app.test_client().get("/api/v1/openapi.json").json
    [param] = [x for x in spec["paths"]["/releases/{id}"]["get"]["parameters"]
               if x["name"] == "format"]
    assert set(param["schema"]["enum"]) == set(FORMATS)
