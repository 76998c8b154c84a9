"""The API's front door: ``/api/v1`` answers with a JSON index, unknown API paths with JSON
errors, and ``/api/v1/docs`` is a readable reference rendered from the OpenAPI document."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pressdesk.api.openapi import spec


def test_api_root_is_a_json_index_whose_links_work(app, demo):
    client = app.test_client()
    for path in ("/api/v1", "/api/v1/"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        assert resp.mimetype == "application/json" and resp.headers["ETag"]
        index = resp.get_json()
        assert index["name"] == "pressdesk API" and index["version"]
        for name in ("self", "documentation", "openapi", "offices", "releases"):
            target = client.get(urlsplit(index["links"][name]).path)
            assert target.status_code == 200, (name, target.status_code)
        assert index["templates"]["release"].endswith("/api/v1/releases/{id}")
    assert client.get("/api/v1", headers={"If-None-Match": resp.headers["ETag"]}
                      ).status_code == 304


def test_unknown_api_paths_answer_json_not_html(app, demo):
    client = app.test_client()
    for path in ("/api/v1/gibt-es-nicht", "/api/v2", "/api"):
        resp = client.get(path)
        assert resp.status_code == 404 and resp.mimetype == "application/json", path
        assert resp.get_json() == {"error": {"status": 404, "message": "Not Found."}}
    assert client.get("/gibt-es-nicht").mimetype == "text/html"  # the portal's own 404 page


def test_api_docs_page_shows_every_operation_parameter_and_schema(app, demo):
    client = app.test_client()
    home = client.get("/").get_data(as_text=True)
    assert '<a href="/api/v1/docs">JSON-API</a>' in home  # linked in the footer
    resp = client.get("/api/v1/docs")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    doc = spec()
    for path, item in doc["paths"].items():
        op = item["get"]
        assert f'id="op-{op["operationId"]}"' in html and f"<code>GET {path}</code>" in html
        for prm in op.get("parameters", []):
            assert f"<code>{prm['name']}</code>" in html, prm["name"]
    for name in doc["components"]["schemas"]:
        assert f'id="schema-{name}"' in html
    # Every internal reference points at a schema on the page.
    for target in re.findall(r'href="#(schema-[A-Za-z]+)"', html):
        assert f'id="{target}"' in html
    # Our own template: nothing loaded from elsewhere (no CDN), the CSP stays as everywhere.
    assert not re.search(r'<(?:script|link)[^>]+(?:src|href)="https?://(?!127\.0\.0\.1)', html)
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]


def test_api_docs_page_is_valid_html(app, demo, tmp_path):
    from tests.test_html_validity import nu_check

    page = app.test_client().get("/api/v1/docs").get_data(as_text=True)
    assert not nu_check({"api_docs": page}, tmp_path)
