"""The formats beside each permalink, and the published keys."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, redirect, url_for
from flask.typing import ResponseReturnValue

from pressdesk.formats import keys as signing_keys
from pressdesk.formats import services
from pressdesk.releases.presenter import PublicRelease
from pressdesk.security import public

bp = Blueprint("formats", __name__)

_BASE = "/presse/<office_slug>/<int:year>/<int:number>-<slug>"


@public
def item(office_slug: str, year: int, number: int, slug: str, fmt: str,
         version: int | None = None) -> ResponseReturnValue:
    release = services.find(office_slug, year, number) or abort(404)
    if slug != release.slug:
        extra: dict[str, Any] = {"version": version} if version is not None else {}
        return redirect(url_for(services.endpoint(fmt, version is not None),
                                office_slug=office_slug, year=year, number=number,
                                slug=release.slug, **extra), 301)
    v = services.version_of(release, version) or abort(404)
    return services.response(services.presented(v), fmt)


for _fmt, (_mime, _filename) in services.FORMATS.items():
    bp.add_url_rule(f"{_BASE}/{_filename}", services.endpoint(_fmt).split(".")[1], item,
                    defaults={"fmt": _fmt})
    bp.add_url_rule(f"{_BASE}/version/<int:version>/{_filename}",
                    services.endpoint(_fmt, True).split(".")[1], item, defaults={"fmt": _fmt})


@bp.app_template_global("format_links")
def format_links(p: PublicRelease) -> dict[str, str]:
    """The release page's links to the newsroom formats."""
    return services.links(p)


@bp.route("/.well-known/pressdesk-keys.json")
@public
def keys() -> ResponseReturnValue:
    """The offices' public signing keys (JWKS), retired ones included."""
    resp = jsonify(signing_keys.jwks())
    resp.headers["Cache-Control"] = "public, max-age=300"
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp
