"""The search page: form, filters, highlighted results, paging, a feed of the search."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import select

from pressdesk.extensions import db
from pressdesk.offices.models import Office
from pressdesk.portal import services as portal
from pressdesk.portal.views import feed_links
from pressdesk.releases.models import Region, Topic
from pressdesk.search import params
from pressdesk.search.services import search_releases
from pressdesk.security import public

bp = Blueprint("search", __name__)
PER_PAGE = 20


@bp.route("/suche")
@public
def search():  # type: ignore[no-untyped-def]
    p = params.parse(request.args)
    searched = any(p.raw[k] for k in ("q", "stelle", "thema", "region", "von", "bis"))
    results = search_releases(p.q, page=p.page, per_page=PER_PAGE, **p.kwargs()) if searched else None
    offices = db.session.scalars(select(Office).order_by(Office.name)).all()
    query = request.query_string.decode("latin-1")
    return render_template(
        "portal/search.html", p=p, results=results, offices=offices,
        topics=portal.vocabulary(Topic), regions=portal.vocabulary(Region),
        feed_url="/suche/feed.atom" + (f"?{query}" if query else ""),
        feed_links=feed_links()), 200
