"""``/api/v1``: read-only JSON for data users and councils' own sites.

Stable ids: offices by slug, releases and images by public id (never the database id).
Page paging with ``links`` (and an RFC 8288 ``Link`` header); CORS open for GET.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from pressdesk import paging
from pressdesk.api import serialize
from pressdesk.api.openapi import api_index, spec
from pressdesk.extensions import db
from pressdesk.formats import services as formats
from pressdesk.offices.models import Office
from pressdesk.portal import services as portal
from pressdesk.releases.models import Release
from pressdesk.releases.presenter import present
from pressdesk.search import params
from pressdesk.search.services import SearchError, SearchResults
from pressdesk.security import public
from pressdesk.text import strip_controls
from pressdesk.urls import external_url

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> tuple[Response, int]:
    return jsonify({"error": {"status": exc.status, "message": exc.message}}), exc.status


@bp.url_value_preprocessor
def _no_control_characters(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    """An id with a control character (NUL: PostgreSQL refuses it in text) names nothing."""
    if values and any(isinstance(v, str) and strip_controls(v) != v for v in values.values()):
        raise ApiError(404, "Not found.")


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
    """``seit``: an ISO 8601 date-time (or date); absent is no filter, empty is an error."""
    raw = request.args.get("seit")
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, "'seit' must be an ISO 8601 date or date-time.") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@bp.route("")
@bp.route("/")
@public
def index() -> Response:
    """What the API offers, for a person or program that starts at ``/api/v1``."""
    return _json(api_index())


@bp.route("/openapi.json")
@public
def openapi() -> Response:
    return jsonify(spec())


@bp.route("/docs")
@public
def docs() -> ResponseReturnValue:
    """The API reference for people, rendered from the OpenAPI document itself."""
    from flask import render_template

    return render_template("api/docs.html", api=spec(), index=api_index())


@bp.route("/offices")
@public
def offices() -> Response:
    rows = db.session.scalars(select(Office).order_by(Office.name)).all()
    return _json({"items": [serialize.office(o) for o in rows], "total": len(rows),
                    "links": {"self": external_url("api.offices")}})


@bp.route("/offices/<slug>")
@public
def office(slug: str) -> Response:
    o = portal.office_by_slug(slug)
    if o is None:
        raise ApiError(404, "No such office.")
    return _json(serialize.office(o))


def _page_links(page: paging.Page[Any], link: Callable[[int], str]) -> dict[str, str]:
    """self/first/last and prev/next; a page past the end points back to the last page."""
    links = {"self": link(page.number), "first": link(1), "last": link(page.last)}
    if page.prev is not None:
        links["prev"] = link(page.prev)
    if page.next is not None:
        links["next"] = link(page.next)
    return links


def _json(data: Any) -> Response:
    """A JSON answer with an ETag; a matching If-None-Match gets 304 Not Modified."""
    resp = jsonify(data)
    resp.add_etag()
    resp.make_conditional(request)  # turns it into a 304 in place when the ETag matches
    return resp


# Field -> message, for the parser's (German, reader-facing) errors.
_PARAM_ERRORS = {"sort": "'sortierung' must be 'relevanz' or 'datum'.",
                 "date_from": "'von' must be an ISO 8601 date (YYYY-MM-DD).",
                 "date_to": "'bis' must be an ISO 8601 date (YYYY-MM-DD).",
                 "page": f"'{paging.PARAM}' must be an integer of at least 1."}


@bp.route("/releases")
@public
def releases() -> Response:
    # The search page's parameters, read by the same parser; newest first unless a query ranks.
    p = params.parse(request.args, default_sort="relevance" if request.args.get("q") else "date")
    bad = [f for f, _message in p.errors if f != "range"]
    if bad:
        raise ApiError(400, _PARAM_ERRORS[bad[0]])
    page = _int(paging.PARAM, 1, 1, paging.MAX_PAGE)
    per_page = _int(paging.PER_PAGE_PARAM, 20, 1, paging.MAX_PER_PAGE)
    if p.office and portal.office_by_slug(p.office) is None:
        raise ApiError(404, "No such office.")
    since = _since()
    if bad != [f for f, _message in p.errors]:  # 'bis' before 'von': an empty range, no error
        result = SearchResults(items=[], total=0, page=page, per_page=per_page)
    else:
        try:
            result = p.search(per_page=per_page, page=page, since=since)
        except SearchError as exc:
            raise ApiError(400, str(exc)) from None
    query = {k: v for k, v in request.args.items()
             if k not in (paging.PARAM, paging.PER_PAGE_PARAM)}

    def link(n: int) -> str:
        return external_url("api.releases", **query,
                            **{paging.PARAM: n, paging.PER_PAGE_PARAM: per_page})

    links = _page_links(result.paging, link)
    _load_for_presenting([h.release for h in result.items])
    resp = _json({"items": [serialize.release_summary(present(h.release.versions[-1]))
                            for h in result.items],
                  "total": result.total, "more": result.more, "page": page,
                  "per_page": per_page, "pages": result.pages, "links": links})
    resp.headers["Link"] = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items())
    return resp


def _load_for_presenting(rows: list[Release]) -> None:
    """Load the images of a page of releases in one query (the listing query skips them)."""
    if rows:
        db.session.scalars(select(Release).where(Release.id.in_([r.id for r in rows]))
                           .options(selectinload(Release.images))).all()


@bp.route("/releases/<public_id>")
@public
def release(public_id: str) -> Response:
    r = db.session.scalar(portal.public_releases().where(Release.public_id == public_id))
    if r is None:
        raise ApiError(404, "No such public release.")
    fmt = request.args.get("format")
    if fmt:  # a newsroom format of the same version (pressdesk.formats)
        if fmt not in formats.FORMATS:
            raise ApiError(400, f"format must be one of {', '.join(formats.FORMATS)}.")
        return formats.response(present(r.versions[-1]), fmt)
    return _json(serialize.release(present(r.versions[-1])))


from pressdesk.api import appointments as _appointments  # noqa: E402,F401  (its routes on bp)
