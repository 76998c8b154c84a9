"""``/api/v1``: read-only JSON for data users and councils' own sites.

Stable ids: offices by slug, releases and images by public id (never the database id).
Page paging with ``links`` (and an RFC 8288 ``Link`` header); CORS open for GET.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select

from pressdesk.api import serialize
from pressdesk.api.openapi import spec
from pressdesk.extensions import db
from pressdesk.offices.models import Office
from pressdesk.portal import services as portal
from pressdesk.releases.models import Release
from pressdesk.search.services import SORTS, SearchError, search_releases
from pressdesk.security import public
from pressdesk.urls import external_url

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_PER_PAGE = 100


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> tuple[Response, int]:
    return jsonify({"error": {"status": exc.status, "message": exc.message}}), exc.status


@bp.after_request
def _cors(resp: Response) -> Response:
    resp.headers["Access-Control-Allow-Origin"] = "*"
    resp.headers["Access-Control-Allow-Methods"] = "GET, OPTIONS"
    resp.headers["Access-Control-Allow-Headers"] = "Accept, If-None-Match, If-Modified-Since"
    resp.headers["Access-Control-Expose-Headers"] = "Link, ETag"
    resp.headers["Access-Control-Max-Age"] = "86400"
    resp.headers.setdefault("Cache-Control", "public, max-age=60")
    return resp


def _int(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"'{name}' must be an integer.") from None
    if not low <= value <= high:
        raise ApiError(400, f"'{name}' must be between {low} and {high}.")
    return value


def _since() -> datetime | None:
    raw = request.args.get("since")
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, "'since' must be an ISO 8601 date or date-time.") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@bp.route("/openapi.json")
@public
def openapi() -> Response:
    return jsonify(spec())


@bp.route("/offices")
@public
def offices() -> Response:
    rows = db.session.scalars(select(Office).order_by(Office.name)).all()
    return jsonify({"items": [serialize.office(o) for o in rows], "total": len(rows),
                    "links": {"self": external_url("api.offices")}})


@bp.route("/offices/<slug>")
@public
def office(slug: str) -> Response:
    o = portal.office_by_slug(slug)
    if o is None:
        raise ApiError(404, "No such office.")
    return jsonify(serialize.office(o))


@bp.route("/releases")
@public
def releases() -> Response:
    args: dict[str, Any] = {k: request.args.get(k) or None for k in ("office", "topic", "region")}
    args["office"] = args["office"] or request.args.get("stelle") or None
    page = _int("page", 1, 1, 10_000)
    per_page = _int("per_page", 20, 1, MAX_PER_PAGE)
    sort = request.args.get("sort") or ("relevance" if request.args.get("q") else "date")
    if sort not in SORTS:
        raise ApiError(400, "'sort' must be 'relevance' or 'date'.")
    if args["office"] and portal.office_by_slug(args["office"]) is None:
        raise ApiError(404, "No such office.")
    try:
        result = search_releases(request.args.get("q"), sort=sort, page=page, per_page=per_page,
                                 prefix=request.args.get("prefix") in ("1", "true"),
                                 since=_since(), **args)
    except SearchError as exc:
        raise ApiError(400, str(exc)) from None
    query = {k: v for k, v in request.args.items() if k not in ("page", "per_page", "stelle")}
    if args["office"]:
        query["office"] = args["office"]

    def link(n: int) -> str:
        return external_url("api.releases", **query, page=n, per_page=per_page)

    links = {"self": link(page), "first": link(1), "last": link(result.pages)}
    if page > 1:
        links["prev"] = link(page - 1)
    if page < result.pages:
        links["next"] = link(page + 1)
    resp = jsonify({"items": [serialize.release_summary(h.release) for h in result.items],
                    "total": result.total, "more": result.more, "page": page, "per_page": per_page,
                    "pages": result.pages, "links": links})
    resp.headers["Link"] = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items())
    return resp


@bp.route("/releases/<public_id>")
@public
def release(public_id: str) -> Response:
    r = db.session.scalar(portal.public_releases().where(Release.public_id == public_id))
    if r is None:
        raise ApiError(404, "No such public release.")
    return jsonify(serialize.release(r))
