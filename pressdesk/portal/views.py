"""The public portal: home, office pages, release permalinks, images."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from pressdesk import paging
from pressdesk.extensions import db
from pressdesk.feeds import services as feed_services
from pressdesk.offices import logo
from pressdesk.offices.models import Office
from pressdesk.portal import meta, pages, services
from pressdesk.portal.thumbs import lead_images
from pressdesk.releases.images import send_image
from pressdesk.releases.models import Region, Release, ReleaseImage, Topic
from pressdesk.releases.presenter import present, public_time
from pressdesk.security import frameable, public, stateless
from pressdesk.text import strip_controls
from pressdesk.urls import external_url

bp = Blueprint("portal", __name__)


@bp.record_once
def _install(state: BlueprintSetupState) -> None:
    pages.install_csrf_placeholder(state.app)
    state.app.jinja_env.globals["release_meta"] = meta  # the release page and its preview


@bp.url_value_preprocessor
def _no_control_characters(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    """A slug or id with a control character (NUL: PostgreSQL refuses it in text) names
    nothing: 404 before any query."""
    if values and any(isinstance(v, str) and strip_controls(v) != v for v in values.values()):
        abort(404)


def feed_links(office: Office | None = None, own: list[tuple[str, str, str]] | None = None
               ) -> list[tuple[str, str, str]]:
    """Autodiscovery links: the page's own feeds (``own``) first, then the office's, then all."""
    links = list(own or [])
    if office is not None:
        links += [
            ("application/rss+xml", f"{office.name} (RSS)",
             external_url("feeds.office_feed", office_slug=office.slug, fmt="rss")),
            ("application/atom+xml", f"{office.name} (Atom)",
             external_url("feeds.office_feed", office_slug=office.slug, fmt="atom")),
            ("application/feed+json", f"{office.name} (JSON Feed)",
             external_url("feeds.office_feed", office_slug=office.slug, fmt="json")),
        ]
    links += [
        ("application/rss+xml", "Alle Pressestellen (RSS)",
         external_url("feeds.all_feed", fmt="rss")),
        ("application/atom+xml", "Alle Pressestellen (Atom)",
         external_url("feeds.all_feed", fmt="atom")),
        ("application/feed+json", "Alle Pressestellen (JSON Feed)",
         external_url("feeds.all_feed", fmt="json")),
    ]
    return links


@bp.app_template_filter("public_time")
def public_time_filter(release: Release) -> datetime | None:
    """When a release became public (after a Sperrfrist: its end), as the presenter says."""
    return public_time(release)


@bp.route("/")
@public
@pages.cached_page
def home() -> ResponseReturnValue:
    offices = db.session.scalars(select(Office).order_by(Office.name)).all()
    page = services.page_of(services.public_releases(), paging.page_number(request.args))
    return render_template("portal/home.html", releases=page.items, page=page,
                           versions=services.current_versions(page.items),
                           thumbs=lead_images(page.items), offices=offices,
                           topics=services.vocabulary(Topic), regions=services.vocabulary(Region),
                           feed_links=feed_links())


@bp.route("/presse/<office_slug>")
@public
@pages.cached_page
def office(office_slug: str) -> ResponseReturnValue:
    office = services.office_by_slug(office_slug) or abort(404)
    page = services.page_of(services.public_releases(office.id), paging.page_number(request.args))
    return render_template("portal/office.html", office=office, releases=page.items, page=page,
                           versions=services.current_versions(page.items),
                           thumbs=lead_images(page.items),
                           topics=services.vocabulary(Topic, office.id),
                           regions=services.vocabulary(Region, office.id),
                           embed_url=external_url("portal.embed", office_slug=office.slug),
                           embed_script=external_url("static", filename="embed.js"),
                           logo_url=logo.logo_url(office), feed_links=feed_links(office))


@bp.route("/thema/<slug>")
@public
@pages.cached_page
def topic(slug: str) -> ResponseReturnValue:
    name = services.topic_name(slug) or abort(404)
    page = services.page_of(services.with_topic(slug), paging.page_number(request.args))
    own = feed_services.alternate_links(feed_services.scope_topic_everywhere(slug, name),
                                        f"Thema {name}")
    return render_template("portal/listing.html", kind="topic", slug=slug, name=name,
                           heading=f"Thema: {name}", releases=page.items, page=page,
                           versions=services.current_versions(page.items),
                           thumbs=lead_images(page.items),
                           feed_links=feed_links(own=own))


@bp.route("/region/<slug>")
@public
@pages.cached_page
def region(slug: str) -> ResponseReturnValue:
    name = services.region_name(slug) or abort(404)
    page = services.page_of(services.with_region(slug), paging.page_number(request.args))
    own = feed_services.alternate_links(feed_services.scope_region_everywhere(slug, name),
                                        f"Region {name}")
    return render_template("portal/listing.html", kind="region", slug=slug, name=name,
                           heading=f"Region: {name}", releases=page.items, page=page,
                           versions=services.current_versions(page.items),
                           thumbs=lead_images(page.items),
                           feed_links=feed_links(own=own))


@bp.route("/archiv")
@public
@pages.cached_page
def archive() -> ResponseReturnValue:
    return render_template("portal/archive.html", months=services.archive_months(),
                           feed_links=feed_links())


@bp.route("/archiv/<int:year>/<int:month>")
@public
@pages.cached_page
def archive_month(year: int, month: int) -> ResponseReturnValue:
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        abort(404)
    page = services.page_of(services.in_month(year, month), paging.page_number(request.args))
    return render_template("portal/listing.html", kind="month", year=year, month=month,
                           heading=f"Archiv {MONTHS[month - 1]} {year}", releases=page.items,
                           versions=services.current_versions(page.items),
                           thumbs=lead_images(page.items),
                           page=page, feed_links=feed_links())


MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
          "Oktober", "November", "Dezember")


@bp.app_template_filter("month_name")
def month_name(month: int) -> str:
    return MONTHS[month - 1]


@bp.route("/einbetten/<office_slug>")
@public
@frameable
@pages.cached_page
def embed(office_slug: str) -> ResponseReturnValue:
    """A small page other sites may frame: the office's latest releases, links open on top.

    Options: ``anzahl`` (1–20, default 5) and ``thema`` (a topic slug of the office)."""
    office = services.office_by_slug(office_slug) or abort(404)
    try:
        limit = max(1, min(int(request.args.get("anzahl", 5)), 20))
    except ValueError:
        limit = 5
    topic_slug = request.args.get("thema", "")
    topic = db.session.scalar(select(Topic).where(
        Topic.office_id == office.id, Topic.slug == topic_slug)) if topic_slug else None
    if topic_slug and topic is None:
        abort(404)
    stmt = (services.with_topic(topic.slug).where(Release.office_id == office.id)
            if topic is not None else services.public_releases(office.id))
    page = services.page_of(stmt, 1, limit)
    return render_template("portal/embed.html", office=office, topic=topic,
                           releases=page.items, versions=services.current_versions(page.items))


@bp.route("/presse/<office_slug>/<int:year>/<int:number>-<slug>")
@public
@pages.cached_page
def release(office_slug: str, year: int, number: int, slug: str) -> ResponseReturnValue:
    office = services.office_by_slug(office_slug) or abort(404)
    rel = services.public_release(office, year, number)
    if rel is None:
        # A withdrawn release that had been public answers 410 (Gone) with a short note.
        gone = db.session.scalar(select(Release.id).where(
            Release.office_id == office.id, Release.year == year, Release.number == number,
            Release.status == "withdrawn", Release.went_public_at.is_not(None)))
        abort(410 if gone else 404)
    if slug != rel.slug:  # the number is the identity; the slug is decoration
        return redirect(url_for(".release", office_slug=office.slug, year=year, number=number,
                                slug=rel.slug), 301)
    return render_template("portal/release.html", p=present(rel.versions[-1]), preview=False,
                           feed_links=feed_links(office))


@bp.route("/favicon.ico")
@public
@stateless
def favicon() -> ResponseReturnValue:
    """Where browsers and feed readers look for the icon without reading the page."""
    resp = send_from_directory(current_app.static_folder or "static", "favicon.ico",
                               mimetype="image/vnd.microsoft.icon", max_age=86400)
    return resp


@bp.route("/presse/<office_slug>/logo.png")
@public
@stateless
def office_logo(office_slug: str) -> ResponseReturnValue:
    """The office's logo at its one address (pages, mails and JSON-LD link it). With the ``v``
    of the current file (as every link carries it) it may be kept for a year; without, or with
    an old one (a mail sent before a change), for an hour: the address shows the current logo."""
    from flask import send_file

    office = services.office_by_slug(office_slug) or abort(404)
    path = logo.logo_path(office.logo_id) if office.logo_id else None
    if path is None or not path.exists():
        abort(404)
    resp = send_file(path, mimetype="image/png", conditional=True, max_age=3600,
                     etag=office.logo_id)
    current = request.args.get("v") == office.logo_id[:12]
    resp.headers["Cache-Control"] = ("public, max-age=31536000, immutable" if current
                                     else "public, max-age=3600")
    return resp


@bp.route("/bilder/<public_id>/<rendition>.png", defaults={"ext": "png"})
@bp.route("/bilder/<public_id>/<rendition>.jpg", defaults={"ext": "jpg"})
@public
def image(public_id: str, rendition: str, ext: str = "jpg") -> ResponseReturnValue:
    img = db.session.scalar(
        select(ReleaseImage).join(Release)
        .where(ReleaseImage.public_id == public_id, services.visible())
    )
    return send_image(img, rendition, "public, max-age=86400")
