"""Feed endpoints: answer 304 from a cheap query before building anything."""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.utils import format_datetime
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, request
from sqlalchemy import func, select

from pressdesk.config import settings
from pressdesk.db import utcnow
from pressdesk.extensions import db
from pressdesk.feeds.builder import FeedEntry, FeedMeta, build
from pressdesk.offices.models import Office
from pressdesk.portal import services as portal
from pressdesk.releases.markup import render_markdown
from pressdesk.releases.models import Release, ReleaseVersion
from pressdesk.releases.services import permalink
from pressdesk.security import public
from pressdesk.urls import external_url

bp = Blueprint("feeds", __name__)
FEED_SIZE = 30
MIME = {"rss": "application/rss+xml; charset=utf-8", "atom": "application/atom+xml; charset=utf-8"}


def tag_uri(release: Release) -> str:
    host = urlsplit(settings().base_url).hostname or "pressdesk.example"
    created = release.created_at.strftime("%Y-%m-%d")
    return f"tag:{host},{created}:release/{release.public_id}"


def _state(office_id: int | None) -> tuple[datetime | None, int]:
    """Newest change and count of the feed's scope: what the ETag is made of."""
    q = (select(func.max(ReleaseVersion.created_at), func.count(func.distinct(Release.id)))
         .join(Release, ReleaseVersion.release_id == Release.id)
         .where(portal.visible()))
    if office_id is not None:
        q = q.where(Release.office_id == office_id)
    newest, count = db.session.execute(q).one()
    if newest is not None and newest.tzinfo is None:  # aggregate bypasses the column type
        from datetime import UTC

        newest = newest.replace(tzinfo=UTC)
    return newest, count


def _serve(fmt: str, scope: str, office: Office | None) -> Response:
    if fmt not in MIME:
        abort(404)
    newest, count = _state(office.id if office else None)
    etag = hashlib.sha256(f"{scope}|{fmt}|{newest}|{count}|{settings().base_url}".encode()
                          ).hexdigest()[:32]
    last_modified = newest or datetime(2026, 1, 1, tzinfo=utcnow().tzinfo)
    if request.if_none_match.contains(etag) or (
        not request.if_none_match and request.if_modified_since
        and request.if_modified_since >= last_modified.replace(microsecond=0)
    ):
        resp = Response(status=304)
    else:
        resp = Response(_render(fmt, office, last_modified), mimetype=MIME[fmt].split(";")[0])
        resp.content_type = MIME[fmt]
    resp.set_etag(etag)
    resp.headers["Last-Modified"] = format_datetime(last_modified, usegmt=True)
    resp.headers["Cache-Control"] = "public, max-age=60"
    return resp


def _render(fmt: str, office: Office | None, updated: datetime) -> bytes:
    releases = portal.latest(office.id if office else None, FEED_SIZE)
    entries = []
    for r in releases:
        v = r.versions[-1]
        entries.append(FeedEntry(
            id=tag_uri(r), title=v.headline, link=permalink(r),
            summary=v.subline or v.lead[:300], content_html=str(render_markdown(
                (f"**{v.dateline}** – " if v.dateline else "") + v.lead + "\n\n" + v.body)),
            published=r.versions[0].created_at, updated=v.created_at, author=r.office.name,
        ))
    host = urlsplit(settings().base_url).hostname or "pressdesk.example"
    if office is None:
        meta = FeedMeta(id=f"tag:{host},2026:feed/all", title="Pressemitteilungen aller Pressestellen",
                        subtitle="Neue Pressemitteilungen auf pressdesk",
                        home_url=external_url("portal.home"),
                        self_url=external_url("feeds.all_feed", fmt=fmt), updated=updated)
    else:
        meta = FeedMeta(id=f"tag:{host},2026:feed/office/{office.slug}",
                        title=f"Pressemitteilungen: {office.name}",
                        subtitle=office.description[:200] or office.name,
                        home_url=external_url("portal.office", office_slug=office.slug),
                        self_url=external_url("feeds.office_feed", office_slug=office.slug,
                                                     fmt=fmt), updated=updated)
    return build(fmt, meta, entries)


@bp.route("/feed.<fmt>")
@public
def all_feed(fmt: str) -> Response:
    return _serve(fmt, "all", None)


@bp.route("/presse/<office_slug>/feed.<fmt>")
@public
def office_feed(office_slug: str, fmt: str) -> Response:
    office = portal.office_by_slug(office_slug) or abort(404)
    return _serve(fmt, f"office:{office.slug}", office)
