"""``/api/v1/appointments``: the press appointments of public invitations, soonest first.

Read from the one presentation (``invitations.values.PublicAppointment``), as the portal's
"Termine" page and the calendar feeds are.
"""

from __future__ import annotations

from flask import Response, request

from pressdesk.api.serialize import appointment
from pressdesk.api.views import ApiError, _json, bp
from pressdesk.invitations import listing
from pressdesk.portal import services as portal
from pressdesk.security import public
from pressdesk.text import strip_controls
from pressdesk.urls import external_url


@bp.route("/appointments")
@public
def appointments() -> Response:
    slug = request.args.get("stelle")
    office_id = None
    if slug is not None:
        # a control character (NUL: PostgreSQL refuses it in text) names no office
        o = portal.office_by_slug(slug) if strip_controls(slug) == slug else None
        if o is None:
            raise ApiError(404, "No such office.")
        office_id = o.id
    items = listing.upcoming(office_id, limit=200)
    return _json({"items": [appointment(a) for a in items], "total": len(items),
                  "links": {"self": external_url("api.appointments", **request.args),
                            "ical": external_url("invitations.feed_all")}})


@bp.route("/appointments/<public_id>", endpoint="appointment")
@public
def appointment_detail(public_id: str) -> Response:
    a = listing.public_appointment(public_id)
    if a is None:
        raise ApiError(404, "No such public appointment.")
    return _json(appointment(a))
