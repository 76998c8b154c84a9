"""The search page: form, filters, highlighted results, paging, a feed of the search."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from pressdesk.extensions import db
from pressdesk.feeds import services as feed_services
from pressdesk.feeds.builder import FORMATS
from pressdesk.offices.models import Office
from pressdesk.portal import services as portal
from pressdesk.portal.views import feed_links
from pressdesk.releases.models import Region, Topic
from pressdesk.search import params
from pressdesk.search.services import HITS_LOAD
from pressdesk.security import public

bp = Blueprint("search", __name__)
PER_PAGE = 20


@bp.route("/suche")
@public
def search() -> ResponseReturnValue:
    p = params.parse(request.args)
    results = p.search(per_page=PER_PAGE, load=HITS_LOAD) if p.searched else None
    offices = db.session.scalars(select(Office).order_by(Office.name)).all()
    # The feed of this search carries every filter but not the page.
    feed_scope = feed_services.scope_search(p)
    return render_template(
        "portal/search.html", p=p, results=results, offices=offices,
        topics=portal.vocabulary(Topic), regions=portal.vocabulary(Region),
        feed_url=url_for("feeds.search_feed", fmt="atom") + p.query_string(page=1),
        # the feed's own URL (its filters only: a feed is always newest first)
        feed_urls={fmt: feed_scope.url(fmt, external=False) for fmt in FORMATS},
        page_href=lambda n: url_for("search.search") + p.query_string(page=n),
        feed_links=feed_links()), 200
