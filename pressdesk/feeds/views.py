"""Feed endpoints: answer 304 from a cheap state query, else serve cached (gzipped) bytes."""

from __future__ import annotations

from email.utils import format_datetime

from flask import Blueprint, Response, abort, request
from flask.blueprints import BlueprintSetupState

from pressdesk import paging
from pressdesk.config import settings
from pressdesk.feeds import opml, services
from pressdesk.feeds.builder import FORMATS, MIME
from pressdesk.portal import services as portal
from pressdesk.search import params as search_params
from pressdesk.security import public, stateless

bp = Blueprint("feeds", __name__)


@bp.record_once
def _connect(state: BlueprintSetupState) -> None:
    from pressdesk.feeds import websub

    websub.connect_receivers()


def _page() -> int:
    raw = request.args.get(paging.PARAM, "1")  # a bad page is a missing document: 404
    if not raw.isdigit() or not 1 <= int(raw) <= 100_000:
        abort(404)
    return int(raw)


def _serve(fmt: str, scope: services.Scope) -> Response:
    if fmt not in FORMATS:
        abort(404)
    page = _page()
    st = services.state(scope)
    etag = services.etag_for(st, fmt, page)
    use_gzip = request.accept_encodings["gzip"] > 0
    # If-None-Match compares weakly (RFC 9110 13.1.2); either encoding of this state is current.
    inm = request.if_none_match
    if inm.contains_weak(etag) or inm.contains_weak(services.gzip_etag(etag)) or (
        not inm and st.known and request.if_modified_since
        and request.if_modified_since >= st.last_modified.replace(microsecond=0)
    ):
        resp = Response(status=304)
    else:
        try:
            raw, gz = services.rendered(scope, fmt, page, st, etag)
        except services.PageNotFound:
            abort(404)
        resp = Response(gz if use_gzip else raw, content_type=f"{MIME[fmt]}; charset=utf-8")
        if use_gzip:
            resp.headers["Content-Encoding"] = "gzip"
    s = settings()
    resp.set_etag(services.gzip_etag(etag) if use_gzip else etag)
    if st.known:
        resp.headers["Last-Modified"] = format_datetime(st.last_modified, usegmt=True)
    resp.headers["Cache-Control"] = f"public, max-age={s.feed_max_age}"
    resp.headers["Vary"] = "Accept-Encoding"
    resp.headers["Access-Control-Allow-Origin"] = "*"  # feeds are public; readers run in browsers
    if s.websub_hub:
        resp.headers.add("Link", f'<{s.websub_hub}>; rel="hub"')
        resp.headers.add("Link", f'<{scope.url(fmt, page)}>; rel="self"')
    return resp


def _office_scope(office_slug: str) -> services.Scope | None:
    office = portal.office_by_slug(office_slug)
    return services.scope_office(office) if office else None


def _topic_scope(office_slug: str, topic_slug: str) -> services.Scope | None:
    office = portal.office_by_slug(office_slug)
    topic = services.topic_by_slug(office, topic_slug) if office else None
    return services.scope_topic(office, topic) if office and topic else None


def _region_scope(office_slug: str, region_slug: str) -> services.Scope | None:
    office = portal.office_by_slug(office_slug)
    region = services.region_by_slug(office, region_slug) if office else None
    return services.scope_region(office, region) if office and region else None


@bp.route("/feed.<fmt>")
@public
@stateless
def all_feed(fmt: str) -> Response:
    return _serve(fmt, services.cached_scope("all", services.scope_all) or abort(404))


@bp.route("/presse/<office_slug>/feed.<fmt>")
@public
@stateless
def office_feed(office_slug: str, fmt: str) -> Response:
    scope = services.cached_scope(f"office/{office_slug}", lambda: _office_scope(office_slug))
    return _serve(fmt, scope or abort(404))


@bp.route("/presse/<office_slug>/themen/<topic_slug>/feed.<fmt>")
@public
@stateless
def topic_feed(office_slug: str, topic_slug: str, fmt: str) -> Response:
    scope = services.cached_scope(f"topic/{office_slug}/{topic_slug}",
                                  lambda: _topic_scope(office_slug, topic_slug))
    return _serve(fmt, scope or abort(404))


@bp.route("/presse/<office_slug>/regionen/<region_slug>/feed.<fmt>")
@public
@stateless
def region_feed(office_slug: str, region_slug: str, fmt: str) -> Response:
    scope = services.cached_scope(f"region/{office_slug}/{region_slug}",
                                  lambda: _region_scope(office_slug, region_slug))
    return _serve(fmt, scope or abort(404))


@bp.route("/thema/<slug>/feed.<fmt>")
@public
@stateless
def topic_everywhere_feed(slug: str, fmt: str) -> Response:
    def build() -> services.Scope | None:
        name = portal.topic_name(slug)
        return services.scope_topic_everywhere(slug, name) if name else None

    return _serve(fmt, services.cached_scope(f"topics/{slug}", build) or abort(404))


@bp.route("/region/<slug>/feed.<fmt>")
@public
@stateless
def region_everywhere_feed(slug: str, fmt: str) -> Response:
    def build() -> services.Scope | None:
        name = portal.region_name(slug)
        return services.scope_region_everywhere(slug, name) if name else None

    return _serve(fmt, services.cached_scope(f"regions/{slug}", build) or abort(404))


@bp.route("/suche/feed.<fmt>")
@public
@stateless
def search_feed(fmt: str) -> Response:
    p = search_params.parse(request.args)
    if any(len(request.args.get(name, "")) > search_params.MAX_QUERY
           for name in search_params.NAMES.values()):
        abort(400)  # the page cuts a long query; a feed URL must say what it searches
    return _serve(fmt, services.scope_search(p))


@bp.route("/feeds.opml")
@public
@stateless
def opml_file() -> Response:
    resp = Response(opml.build_opml(), content_type="text/x-opml; charset=utf-8")
    resp.headers["Cache-Control"] = f"public, max-age={settings().feed_max_age}"
    return resp
