"""Public subscription pages: subscribe, confirm (a button, so mail scanners that prefetch links
confirm nothing), preferences via a signed link, and RFC 8058 one-click unsubscribe."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from sqlalchemy import select

from pressdesk.extensions import csrf, db
from pressdesk.offices.models import Office
from pressdesk.releases.models import Region, Topic
from pressdesk.security import public
from pressdesk.subscriptions import services
from pressdesk.subscriptions.forms import ConfirmForm, PreferencesForm, SubscribeForm
from pressdesk.subscriptions.models import SubscriberStatus

bp = Blueprint("subscriptions", __name__, url_prefix="/benachrichtigungen")


@bp.record_once
def _connect(state: BlueprintSetupState) -> None:
    from pressdesk.subscriptions import alerts

    alerts.connect_receivers()


def _client() -> str:
    return request.remote_addr or "unknown"


def _catalogue() -> list[tuple[Office, list[Topic], list[Region]]]:
    offices = db.session.scalars(select(Office).order_by(Office.name)).all()
    topics = db.session.scalars(select(Topic).order_by(Topic.name)).all()
    regions = db.session.scalars(select(Region).order_by(Region.name)).all()
    return [(o, [t for t in topics if t.office_id == o.id],
             [g for g in regions if g.office_id == o.id]) for o in offices]


def _choice(form: Any) -> services.Choice:
    return services.clean_choice(form.offices.data or [], form.topics.data or [],
                                 form.query.data or "", form.frequency.data or "",
                                 form.regions.data or [])


def _prefill(form: Any) -> None:
    """A subscribe link from an office, topic or region page (``?office=``, ``?thema=``,
    ``?region=``, slugs) ticks that choice: a topic or region of every office that has one of
    that name, as its portal page lists them all."""
    slug = request.args.get("office", "")
    office = db.session.scalar(select(Office).where(Office.slug == slug)) if slug else None
    form.offices.data = [office.id] if office else []
    topic, region = request.args.get("thema", ""), request.args.get("region", "")
    form.topics.data = list(db.session.scalars(
        select(Topic.id).where(Topic.slug == topic))) if topic else []
    form.regions.data = list(db.session.scalars(
        select(Region.id).where(Region.slug == region))) if region else []
    form.query.data = request.args.get("q", "")[:200]


def _page(template: str, status: int = 200, **ctx: Any) -> ResponseReturnValue:
    return render_template(f"subscriptions/{template}", catalogue=_catalogue(), **ctx), status


@bp.route("", methods=["GET", "POST"])
@public
def subscribe() -> ResponseReturnValue:
    form = SubscribeForm()
    shown = services.consent_text()
    if request.method == "GET":
        _prefill(form)
        return _page("subscribe.html", form=form, consent=shown)
    if not form.validate():
        return _page("subscribe.html", 400, form=form, consent=shown)
    try:
        services.request_subscription(form.email.data or "", _choice(form), _client(),
                                      request.user_agent.string, shown_text=shown)
    except services.Throttled as exc:
        return _page("subscribe.html", 429, form=form, consent=shown, error=str(exc))
    except services.SubscriptionError as exc:
        return _page("subscribe.html", 400, form=form, consent=shown, error=str(exc))
    # The same answer whether the address is new, pending or active: it reveals nothing.
    return _page("message.html", title=gettext("Bitte prüfen Sie Ihr Postfach"), message=gettext(
        "Wir haben Ihnen eine E-Mail geschickt. Erst wenn Sie den Link darin bestätigen, senden "
        "wir Ihnen Benachrichtigungen."))


@bp.route("/bestaetigen/<token>", methods=["GET", "POST"])
@public
def confirm(token: str) -> ResponseReturnValue:
    form = ConfirmForm()
    try:
        sub = services.subscriber_for_token(token, "confirm")
        if request.method == "POST" and form.validate():
            sub = services.confirm(token, _client(), request.user_agent.string)
            return _page("message.html", title=gettext("Abonnement bestätigt"), message=gettext(
                "Vielen Dank. Sie erhalten ab jetzt Benachrichtigungen."),
                manage_url=services.manage_url(sub))
    except services.SubscriptionError as exc:
        return _page("message.html", 400, title=gettext("Link nicht gültig"), message=str(exc)
                     + " " + gettext("Bitte melden Sie sich erneut an."), retry=True)
    return _page("confirm.html", form=form, selection=services.describe(sub))


@bp.route("/einstellungen/<token>", methods=["GET", "POST"])
@public
def preferences(token: str) -> ResponseReturnValue:
    try:
        sub = services.subscriber_for_token(token, "manage")
    except services.SubscriptionError as exc:
        return _page("message.html", 400, title=gettext("Link nicht gültig"), message=str(exc),
                     retry=True)
    if sub.status != SubscriberStatus.ACTIVE.value:
        return _page("message.html", 410, title=gettext("Kein aktives Abonnement"), message=gettext(
            "Für diese Adresse besteht kein aktives Abonnement."), retry=True)
    form = PreferencesForm()
    error = None
    if request.method == "POST":
        if form.validate():
            try:
                services.change_preferences(sub, _choice(form), _client())
                flash(gettext("Ihre Einstellungen wurden gespeichert."), "success")
                return redirect(url_for(".preferences", token=token), 303)
            except services.SubscriptionError as exc:
                error = str(exc)  # the 400 answer rolls back
        return _page("preferences.html", 400, form=form, sub=sub, error=error, token=token,
                     unsubscribe_url=services.unsubscribe_url(sub))
    form.offices.data = [o.id for o in sub.offices]
    form.topics.data = [t.id for t in sub.topics]
    form.regions.data = [g.id for g in sub.regions]
    form.query.data = sub.query
    form.frequency.data = sub.frequency
    return _page("preferences.html", form=form, sub=sub, token=token,
                 unsubscribe_url=services.unsubscribe_url(sub))


@bp.route("/abbestellen/<token>", methods=["GET", "POST"])
@public
@csrf.exempt  # RFC 8058: mail clients POST here without a session; the signed token authorises
def unsubscribe(token: str) -> ResponseReturnValue:
    try:
        sub = services.subscriber_for_token(token, "unsubscribe")
    except services.SubscriptionError as exc:
        return _page("message.html", 400, title=gettext("Link nicht gültig"), message=str(exc))
    if request.method == "POST":
        one_click = request.form.get("List-Unsubscribe") == "One-Click"
        services.unsubscribe(sub, _client(), "one-click (RFC 8058)" if one_click else "page")
        return _page("message.html", title=gettext("Abgemeldet"), message=gettext(
            "Sie erhalten ab sofort keine Benachrichtigungen mehr an diese Adresse."), retry=True)
    return _page("unsubscribe.html", sub=sub, token=token)
