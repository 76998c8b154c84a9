"""The outlets' own pages, reached by the signed link in every outlet mail (no login): the
preference page ``/verteiler/<token>`` and leaving the list (a page, and the RFC 8058
one-click POST that mail clients send without a session)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from pressdesk.extensions import csrf
from pressdesk.media import links, selfservice
from pressdesk.media.models import Outlet
from pressdesk.security import public

bp = Blueprint("outlet_links", __name__, url_prefix="/verteiler")


def _client() -> str:
    return request.remote_addr or "unknown"


def _message(title: str, message: str, status: int = 200, **ctx: Any) -> ResponseReturnValue:
    return render_template("media/public/message.html", title=title, message=message,
                           **ctx), status


def _invalid() -> ResponseReturnValue:
    return _message(gettext("Link nicht gültig"), gettext(
        "Dieser Link ist nicht gültig. Bitte verwenden Sie den Link aus der letzten E-Mail "
        "der Pressestelle, vollständig und unverändert."), 400)


def _outlet(token: str) -> Outlet | None:
    try:
        return links.outlet_for(token)
    except links.LinkInvalid:
        return None


@bp.route("/<token>", methods=["GET"])
@public
def preferences(token: str) -> ResponseReturnValue:
    outlet = _outlet(token)
    if outlet is None:
        return _invalid()
    return render_template("media/public/preferences.html", outlet=outlet, token=token)


@bp.route("/<token>/abmelden", methods=["GET", "POST"])
@public
@csrf.exempt  # RFC 8058: mail clients POST here without a session; the signed token authorises
def leave(token: str) -> ResponseReturnValue:
    outlet = _outlet(token)
    if outlet is None:
        return _invalid()
    if request.method == "POST":
        one_click = request.form.get("List-Unsubscribe") == "One-Click"
        already = outlet.left_at is not None
        selfservice.leave(outlet, "one-click (RFC 8058)" if one_click else "page", _client())
        return _message(gettext("Abgemeldet"), gettext(
            "%(email)s war bereits abgemeldet. Es werden keine Pressemitteilungen mehr an diese "
            "Adresse gesendet.", email=outlet.email) if already else gettext(
            "%(email)s ist aus dem Presseverteiler von %(office)s ausgetragen. Ab sofort werden "
            "keine Pressemitteilungen mehr an diese Adresse gesendet.", email=outlet.email,
            office=selfservice.office_of(outlet).name))
    return render_template("media/public/leave.html", outlet=outlet, token=token)


@bp.app_template_global("outlet_preferences_url")
def outlet_preferences_url() -> str:
    """For the shared outlet mail: the preference URL with the link-token mark in it."""
    return links.marked_preferences_url()
