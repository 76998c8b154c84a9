"""The OpenAPI 3.1 description of ``/api/v1``, served at ``/api/v1/openapi.json``."""

from __future__ import annotations

from typing import Any

from pressdesk.paging import MAX_PAGE, MAX_PER_PAGE, PER_PAGE_PARAM
from pressdesk.paging import PARAM as PAGE_PARAM
from pressdesk.urls import external_url

_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_DT = {"type": ["string", "null"], "format": "date-time"}
_TAG = {"type": "object", "required": ["id", "name"],
        "properties": {"id": _STR, "name": _STR}}
_LINKS = {"type": "object", "additionalProperties": {"type": "string", "format": "uri"}}
_ERROR = {"description": "Error", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Error"}}}}


def _param(name: str, description: str, schema: dict[str, Any],
           where: str = "query", required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "description": description,
            "schema": schema}


SCHEMAS: dict[str, Any] = {
    "Index": {"type": "object", "required": ["name", "version", "links"], "properties": {
        "name": _STR, "version": _STR, "description": _STR, "links": _LINKS,
        "templates": {"type": "object", "additionalProperties": _STR}}},
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["status", "message"],
        "properties": {"status": {"type": "integer"}, "message": _STR}}}},
    "Office": {
        "type": "object", "required": ["id", "name", "links"],
        "properties": {
            "id": {"type": "string", "description": "Stable id (the office's slug)."},
            "name": _STR, "description": _STR, "imprint": _STR,
            "contact": {"$ref": "#/components/schemas/Contact"}, "links": _LINKS,
        },
    },
    "Contact": {"type": "object", "properties": {"name": _STR, "phone": _STR, "email": _STR}},
    "ReleaseSummary": {
        "type": "object",
        "required": ["id", "office", "headline", "published_at", "version", "links"],
        "properties": {
            "id": {"type": "string", "description": "Stable public id (32 hex digits)."},
            "reference": {"type": "string", "examples": ["PM 12/2026"]},
            "office": _TAG, "headline": _STR, "subline": _STR,
            "dateline": {"type": "string", "examples": ["Leer, 23.11.2026"]}, "lead": _STR,
            "published_at": {**_DT, "description": "When the release became public (after a "
                                                   "Sperrfrist: its end)."},
            "updated_at": _DT, "version": {"type": "integer"},
            "topics": {"type": "array", "items": _TAG},
            "regions": {"type": "array", "items": _TAG},
            "links": _LINKS,
        },
    },
    "Image": {
        "type": "object", "required": ["id", "url", "original_url"],
        "properties": {
            "id": _STR, "caption": _STR, "credit": _STR, "alt": _STR, "rights": _STR,
            "width": {"type": "integer"}, "height": {"type": "integer"},
            "content_type": {"type": "string", "enum": ["image/jpeg", "image/png"],
                             "description": "Of the original."},
            "url": {"type": "string", "format": "uri", "description": "Web rendition (JPEG)."},
            "original_url": {"type": "string", "format": "uri",
                             "description": "Print-quality original as uploaded (JPEG or "
                                            "PNG; the URL ends in its extension)."},
        },
    },
    "Attachment": {"type": "object", "required": ["id", "name", "url"], "properties": {
        "id": _STR, "name": _STR, "content_type": _STR,
        "size": {"type": "integer", "description": "Bytes."},
        "url": {"type": "string", "format": "uri"}}},
    "Release": {
        "allOf": [{"$ref": "#/components/schemas/ReleaseSummary"}, {
            "type": "object",
            "properties": {
                "body_markdown": _STR,
                "body_html": {"type": "string", "description": "Sanitised HTML."},
                "images": {"type": "array", "items": {"$ref": "#/components/schemas/Image"}},
                "attachments": {"type": "array",
                                "items": {"$ref": "#/components/schemas/Attachment"}},
                "contact": {"$ref": "#/components/schemas/Contact",
                            "description": "The release's contact, else the office's."},
                "versions": {"type": "array", "items": {"type": "object", "properties": {
                    "version": {"type": "integer"},
                    "kind": {"type": "string", "enum": ["publish", "correction", "withdrawal"]},
                    "headline": _STR, "created_at": _DT}}},
                "appointment": {"description": "The press appointment of an invitation, "
                                               "else null.",
                                "oneOf": [{"$ref": "#/components/schemas/Appointment"},
                                          {"type": "null"}]},
            },
        }],
    },
    "Appointment": {
        "type": "object",
        "required": ["id", "uid", "sequence", "title", "office", "starts_at", "ends_at", "place",
                     "cancelled", "links"],
        "properties": {
            "id": {"type": "string", "description": "Stable public id (32 hex digits)."},
            "uid": {"type": "string", "description": "The iCalendar UID of the event."},
            "sequence": {"type": "integer", "description": "iCalendar SEQUENCE: raised with "
                                                           "every change that was sent."},
            "title": _STR, "office": _TAG,
            "starts_at": {"type": "string", "format": "date-time"},
            "ends_at": {"type": "string", "format": "date-time"},
            "place": {"type": "object", "properties": {
                "name": _STR, "address": _STR, "latitude": {"type": ["number", "null"]},
                "longitude": {"type": ["number", "null"]}}},
            "programme": {"type": "string", "description": "What happens, who attends."},
            "accreditation": {"type": "object", "properties": {
                "required": {"type": "boolean"}, "until": _DT}},
            "access_notes": _STR,
            "contact_on_the_day": {"type": "object",
                                   "properties": {"name": _STR, "phone": _STR}},
            "rsvp_until": _DT, "cancelled": {"type": "boolean"}, "links": _LINKS,
        },
    },
    "ReleasePage": {
        "type": "object", "required": ["items", "total", "page", "per_page", "pages", "links"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/ReleaseSummary"}},
            "total": {"type": "integer", "description": "Matches, counted up to 1,000."},
            "more": {"type": "boolean",
                     "description": "More matches than `total`; narrow the search to see them."},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"}, "pages": {"type": "integer"}, "links": _LINKS,
        },
    },
}


_ETAG = {"description": "Validator of this answer; send it back in If-None-Match.",
         "schema": _STR}
_NOT_MODIFIED = {"description": "Not modified: If-None-Match matched the answer's ETag.",
                 "headers": {"ETag": _ETAG}}


def _conditional(paths: dict[str, Any]) -> dict[str, Any]:
    """Every GET answers with an ETag and 304 to a matching If-None-Match (api/views.py)."""
    for item in paths.values():
        responses = item["get"]["responses"]
        responses["200"].setdefault("headers", {})["ETag"] = _ETAG
        responses["304"] = _NOT_MODIFIED
    return paths


def api_index() -> dict[str, Any]:
    """The answer of ``/api/v1`` itself: where the documents and the collections are."""
    return {
        "name": "pressdesk API",
        "version": API_VERSION,
        "description": DESCRIPTION,
        "links": {
            "self": external_url("api.index"),
            "documentation": external_url("api.docs"),
            "openapi": external_url("api.openapi"),
            "offices": external_url("api.offices"),
            "releases": external_url("api.releases"),
        },
        "templates": {
            "office": external_url("api.offices") + "/{id}",
            "release": external_url("api.releases") + "/{id}",
        },
    }


API_VERSION = "1.0.0"
DESCRIPTION = ("Read-only access to the public press releases of every office. "
               "Ids are stable; CORS is open for GET.")


def spec() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "pressdesk API", "version": API_VERSION, "description": DESCRIPTION,
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "servers": [{"url": external_url("api.offices").rsplit("/offices", 1)[0]}],
        "paths": _conditional({
            "/": {"get": {
                "operationId": "apiIndex", "summary": "What this API offers",
                "responses": {"200": {"description": "Links to the documentation, the OpenAPI "
                                      "document and the collections", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Index"}}}}},
            }},
            "/offices": {"get": {
                "operationId": "listOffices", "summary": "All press offices",
                "responses": {"200": {"description": "The offices", "content": {
                    "application/json": {"schema": {"type": "object", "properties": {
                        "items": {"type": "array",
                                  "items": {"$ref": "#/components/schemas/Office"}},
                        "total": {"type": "integer"}, "links": _LINKS}}}}}},
            }},
            "/offices/{id}": {"get": {
                "operationId": "getOffice", "summary": "One press office",
                "parameters": [_param("id", "Office id (slug)", _STR, "path", True)],
                "responses": {"200": {"description": "The office", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Office"}}}},
                    "404": _ERROR},
            }},
            "/releases": {"get": {
                "operationId": "listReleases", "summary": "Public releases, newest first or by relevance",
                "parameters": [
                    _param("stelle", "Office id (slug)", _STR),
                    _param("thema", "Topic id (slug)", _STR),
                    _param("region", "Region id (slug)", _STR),
                    _param("seit", "Only releases that became public after this ISO 8601 "
                           "date-time (or date, meaning its midnight UTC)",
                           {"type": "string", "anyOf": [{"format": "date-time"},
                                                        {"format": "date"}]}),
                    _param("von", "Public on or after this day (Europe/Berlin)",
                           {"type": "string", "format": "date"}),
                    _param("bis", "Public on or before this day (Europe/Berlin)",
                           {"type": "string", "format": "date"}),
                    _param("q", "German full-text search; every word must match", _STR),
                    _param("wortanfang", "Treat search words as word beginnings",
                           {"type": "string", "enum": ["0", "1", "ja", "true", "false"]}),
                    _param("sortierung", "Default: relevanz with q, else datum (newest first)",
                           {"type": "string", "enum": ["relevanz", "datum"]}),
                    _param(PAGE_PARAM, "Page number",
                           {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}),
                    _param(PER_PAGE_PARAM, "Items per page",
                           {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}),
                ],
                "responses": {"200": {
                    "description": "One page of releases; the Link header repeats `links`.",
                    "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/ReleasePage"}}}},
                    "400": _ERROR, "404": _ERROR},
            }},
            "/releases/{id}": {"get": {
                "operationId": "getRelease", "summary": "One public release with images",
                "parameters": [
                    _param("id", "Release public id", _STR, "path", True),
                    # the newsroom formats of pressdesk.formats (docs/formats.md)
                    _param("format", "A newsroom format instead of this JSON: ninjs (3.1), "
                           "ninjs-2.2, newsml (NewsML-G2 2.35), nitf (3.6), jws (detached "
                           "signature of the ninjs), signed (ninjs and signature)",
                           {"type": "string", "enum": ["ninjs", "ninjs-2.2", "newsml", "nitf",
                                                       "jws", "signed"]})],
                "responses": {"200": {"description": "The release", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Release"}},
                    "application/vnd.iptc.g2.newsitem+xml": {"schema": _STR},
                    "application/vnd.iptc.nitf+xml": {"schema": _STR},
                    "application/jose": {"schema": _STR}}},
                    "400": _ERROR, "404": _ERROR},
            }},
            "/appointments": {"get": {
                "operationId": "listAppointments",
                "summary": "Upcoming press appointments of public invitations, soonest first",
                "parameters": [_param("stelle", "Office id (slug)", _STR)],
                "responses": {"200": {"description": "The appointments (at most 200)",
                                      "content": {"application/json": {"schema": {
                                          "type": "object", "required": ["items", "total"],
                                          "properties": {
                                              "items": {"type": "array", "items": {
                                                  "$ref": "#/components/schemas/Appointment"}},
                                              "total": {"type": "integer"},
                                              "links": _LINKS}}}}},
                              "404": _ERROR},
            }},
            "/appointments/{id}": {"get": {
                "operationId": "getAppointment", "summary": "One press appointment",
                "parameters": [_param("id", "Appointment public id", _STR, "path", True)],
                "responses": {"200": {"description": "The appointment", "content": {
                    "application/json": {"schema": {
                        "$ref": "#/components/schemas/Appointment"}}}},
                    "404": _ERROR},
            }},
        }),
        "components": {"schemas": SCHEMAS},
    }
