"""The outlets' own pages, reached by the signed link in every outlet mail (no login): the
preference page ``/verteiler/<token>`` and leaving the list (a page, and the RFC 8058
one-click POST that mail clients send without a session)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_wtf import FlaskForm
from sqlalchemy import select

from pressdesk.extensions import csrf, db
from pressdesk.media import links, selfservice, signup
from pressdesk.media.forms import OutletPreferencesForm, SignupForm
from pressdesk.media.models import Outlet
from pressdesk.offices.models import Office
from pressdesk.security import public

bp = Blueprint("outlet_links", __name__, url_prefix="/verteiler")


class ConfirmForm(FlaskForm):
    """A button only (CSRF): mail scanners that prefetch links confirm nothing."""


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


@bp.route("/<token>", methods=["GET", "POST"])
@public
def preferences(token: str) -> ResponseReturnValue:
    outlet = _outlet(token)
    if outlet is None:
        return _invalid()
    form = OutletPreferencesForm()
    if outlet.left_at is None and request.method == "POST":
        if form.validate():
            try:
                selfservice.save_preferences(outlet, _choices(form), _client())
            except selfservice.PreferencesError as exc:
                return _prefs_page(outlet, token, form, 400, str(exc))
            flash(gettext("Ihre Einstellungen wurden gespeichert."), "success")
            return redirect(url_for(".preferences", token=token), 303)
        return _prefs_page(outlet, token, form, 400)
    selfservice.seen(outlet)
    form.topics.data = [t.id for t in outlet.topics]
    form.regions.data = [r.id for r in outlet.regions]
    form.format.data = "text" if outlet.text_only else "html"
    form.images.data = "attachments" if outlet.prefers_attachments else "links"
    form.max_attachment_kb.data = outlet.max_attachment_kb
    form.timing.data = "instant" if outlet.digest_hour is None else "digest"
    form.digest_hour.data = 7 if outlet.digest_hour is None else outlet.digest_hour
    form.pause_from.data, form.pause_until.data = outlet.pause_from, outlet.pause_until
    form.pause_digest.data = "digest" if outlet.pause_digest else "drop"
    return _prefs_page(outlet, token, form)


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


def _prefs_page(outlet: Outlet, token: str, form: OutletPreferencesForm, status: int = 200,
                error: str | None = None) -> ResponseReturnValue:
    office = selfservice.office_of(outlet)
    topics, regions = selfservice.vocabulary(office)
    signup_url = (url_for("outlet_links.signup_page", slug=office.slug)
                  if signup.office_settings(office).signups_open else "")
    return render_template("media/public/preferences.html", outlet=outlet, token=token,
                           form=form, office=office, topics=topics, regions=regions,
                           error=error, signup_url=signup_url,
                           yearly=signup.office_settings(office).yearly_check), status


def _choices(form: OutletPreferencesForm) -> selfservice.Preferences:
    return selfservice.Preferences(
        topic_ids=list(form.topics.data or []), region_ids=list(form.regions.data or []),
        text_only=form.format.data == "text", attachments=form.images.data == "attachments",
        max_attachment_kb=form.max_attachment_kb.data or 10240,
        digest_hour=form.digest_hour.data if form.timing.data == "digest" else None,
        pause_from=form.pause_from.data, pause_until=form.pause_until.data,
        pause_digest=form.pause_digest.data != "drop")


@bp.route("/<token>/noch-richtig", methods=["POST"])
@public
def still_right(token: str) -> ResponseReturnValue:
    outlet = _outlet(token)
    if outlet is None:
        return _invalid()
    if not ConfirmForm().validate():
        return _message(gettext("Bitte noch einmal"), gettext(
            "Die Seite war zu lange offen. Bitte öffnen Sie den Link noch einmal."), 400)
    selfservice.still_right(outlet)
    return _message(gettext("Vielen Dank"), gettext(
        "Sie bleiben die Ansprechperson für diese Adresse."),
        back_url=url_for(".preferences", token=token))


# --- Sign-up ------------------------------------------------------------------------------------


def _office_or_404(slug: str) -> Office:
    office = db.session.scalar(select(Office).where(Office.slug == slug))
    if office is None:
        abort(404)
    return office


def _signup_page(office: Office, form: SignupForm, status: int = 200,
                 error: str | None = None) -> ResponseReturnValue:
    topics, regions = selfservice.vocabulary(office)
    return render_template("media/public/signup.html", office=office, form=form, topics=topics,
                           regions=regions, consent=signup.consent_text(office),
                           error=error), status


@bp.route("/anmelden/<slug>", methods=["GET", "POST"])
@public
def signup_page(slug: str) -> ResponseReturnValue:
    office = _office_or_404(slug)
    if not signup.office_settings(office).signups_open:
        return _message(gettext("Keine Anmeldung über das Portal"), gettext(
            "%(office)s nimmt keine Anmeldungen zum Presseverteiler über das Portal an. Bitte "
            "wenden Sie sich direkt an die Pressestelle.", office=office.name), 403)
    form = SignupForm()
    if request.method == "GET":
        return _signup_page(office, form)
    if not form.validate():
        return _signup_page(office, form, 400)
    data = signup.SignupData(
        outlet_name=form.outlet_name.data or "", person_name=form.person_name.data or "",
        role=form.role.data or "", email=form.email.data or "",
        topic_ids=list(form.topics.data or []), region_ids=list(form.regions.data or []))
    try:
        signup.request_signup(office, data, signup.consent_text(office), _client())
    except signup.Throttled as exc:
        return _signup_page(office, form, 429, str(exc))
    except signup.SignupError as exc:
        return _signup_page(office, form, 400, str(exc))
    return _message(gettext("Bitte prüfen Sie Ihr Postfach"), gettext(
        "Wir haben Ihnen eine E-Mail geschickt. Bitte bestätigen Sie darin Ihre Adresse; danach "
        "entscheidet die Pressestelle über die Aufnahme."))


@bp.route("/bestaetigen/<token>", methods=["GET", "POST"])
@public
def confirm_signup(token: str) -> ResponseReturnValue:
    try:
        found = signup.signup_for_token(token)
    except signup.SignupError as exc:
        return _message(gettext("Link nicht gültig"), str(exc), 400)
    form = ConfirmForm()
    if request.method == "POST" and form.validate():
        signup.confirm(found)
        return _message(gettext("Adresse bestätigt"), gettext(
            "Vielen Dank. Die Pressestelle entscheidet nun über die Aufnahme; Sie erhalten dann "
            "eine E-Mail."))
    return render_template("media/public/confirm.html", signup=found, form=form)


@bp.app_template_global("outlet_preferences_url")
def outlet_preferences_url() -> str:
    """For the shared outlet mail: the preference URL with the link-token mark in it."""
    return links.marked_preferences_url()
