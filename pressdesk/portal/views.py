"""The public portal: home, office pages, release permalinks, images."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, send_file, url_for
from sqlalchemy import select

from pressdesk.extensions import db
from pressdesk.offices.models import Office
from pressdesk.portal import services
from pressdesk.releases.images import image_path
from pressdesk.releases.markup import render_markdown
from pressdesk.releases.models import Release, ReleaseImage
from pressdesk.security import public
from pressdesk.urls import external_url

bp = Blueprint("portal", __name__)


def feed_links(office: Office | None = None) -> list[tuple[str, str, str]]:
    links = []
    if office is not None:
        links += [
            ("application/rss+xml", f"{office.name} (RSS)",
             external_url("feeds.office_feed", office_slug=office.slug, fmt="rss")),
            ("application/atom+xml", f"{office.name} (Atom)",
             external_url("feeds.office_feed", office_slug=office.slug, fmt="atom")),
        ]
    links += [
        ("application/rss+xml", "Alle Pressestellen (RSS)",
         external_url("feeds.all_feed", fmt="rss")),
        ("application/atom+xml", "Alle Pressestellen (Atom)",
         external_url("feeds.all_feed", fmt="atom")),
    ]
    return links


@bp.route("/")
@public
def home():  # type: ignore[no-untyped-def]
    offices = db.session.scalars(select(Office).order_by(Office.name)).all()
    return render_template("portal/home.html", releases=services.latest(), offices=offices,
                           feed_links=feed_links())


@bp.route("/presse/<office_slug>")
@public
def office(office_slug: str):  # type: ignore[no-untyped-def]
    office = services.office_by_slug(office_slug) or abort(404)
    return render_template("portal/office.html", office=office,
                           releases=services.latest(office.id, 50), feed_links=feed_links(office))


@bp.route("/presse/<office_slug>/<int:year>/<int:number>-<slug>")
@public
def release(office_slug: str, year: int, number: int, slug: str):  # type: ignore[no-untyped-def]
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
    version = rel.versions[-1]
    return render_template("portal/release.html", release=rel, version=version,
                           body_html=render_markdown(version.body), preview=False,
                           feed_links=feed_links(office))


@bp.route("/bilder/<public_id>/<rendition>.jpg")
@public
def image(public_id: str, rendition: str):  # type: ignore[no-untyped-def]
    if rendition not in ("web", "original"):
        abort(404)
    img = db.session.scalar(
        select(ReleaseImage).join(Release)
        .where(ReleaseImage.public_id == public_id, services.visible())
    )
    if img is None:
        abort(404)
    path = image_path(img, rendition)
    if not path.exists():
        abort(404)
    return send_file(path, max_age=86400, conditional=True,
                     download_name=f"{img.release.slug or 'bild'}-{img.position + 1}{path.suffix}")
