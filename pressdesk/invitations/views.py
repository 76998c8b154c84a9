"""Press invitations on the desk (the appointment page of a release, the replies) and in
public (the appointment's calendar file, the calendar feeds, the "Termine" page, RSVP).

Thin views: parse, call ``services`` / ``rsvp``, render. Desk views look the release up in the
current office only; every change goes through the release workflow's checks.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from pressdesk.accounts.services import current_office
from pressdesk.extensions import db
from pressdesk.invitations import ical, listing, rsvp, services
from pressdesk.invitations.forms import AppointmentForm, ReplyForm
from pressdesk.invitations.models import Invitation
from pressdesk.invitations.values import PublicAppointment
from pressdesk.offices.models import Office
from pressdesk.releases import services as releases
from pressdesk.releases import workflow
from pressdesk.releases.forms import ActionForm
from pressdesk.releases.models import Release, ReleaseStatus
from pressdesk.releases.views import _release_or_404, _user
from pressdesk.security import public, stateless
from pressdesk.text import BERLIN

bp = Blueprint("invitations", __name__)


@bp.app_template_global("rsvp_url")
def rsvp_url(a: PublicAppointment, answer: str) -> str:
    """An outlet's one-click reply link, with the per-recipient token mark the delivery fills
    in (``personalise``)."""
    from pressdesk.delivery.render import LINK_TOKEN_MARK
    from pressdesk.urls import external_url

    return external_url("invitations.reply", public_id=a.id, token=LINK_TOKEN_MARK,
                        antwort=answer)


def _local(dt: datetime | None) -> str:
    """A UTC time as the datetime-local input shows it (German time)."""
    return dt.astimezone(BERLIN).strftime("%Y-%m-%dT%H:%M") if dt else ""


def _fill(form: AppointmentForm, inv: Invitation) -> None:
    for name in ("starts_at", "ends_at", "accreditation_until", "rsvp_until"):
        getattr(form, name).data = _local(getattr(inv, name))
    for name in ("place_name", "address", "programme", "access_notes", "day_contact_name",
                 "day_contact_phone"):
        getattr(form, name).data = getattr(inv, name)
    form.accreditation_required.data = inv.accreditation_required
    form.latitude.data = Decimal(str(inv.latitude)) if inv.latitude is not None else None
    form.longitude.data = Decimal(str(inv.longitude)) if inv.longitude is not None else None


def _input(form: AppointmentForm) -> services.AppointmentInput:
    parse = workflow.parse_berlin
    return services.AppointmentInput(
        starts_at=parse(form.starts_at.data), ends_at=parse(form.ends_at.data),
        place_name=form.place_name.data or "", address=form.address.data or "",
        latitude=float(form.latitude.data) if form.latitude.data is not None else None,
        longitude=float(form.longitude.data) if form.longitude.data is not None else None,
        programme=form.programme.data or "",
        accreditation_required=bool(form.accreditation_required.data),
        accreditation_until=parse(form.accreditation_until.data),
        access_notes=form.access_notes.data or "",
        day_contact_name=form.day_contact_name.data or "",
        day_contact_phone=form.day_contact_phone.data or "", rsvp_until=parse(form.rsvp_until.data))


def _page(release: Release, form: AppointmentForm, status: int = 200) -> tuple[str, int]:
    inv = services.invitation_of(release)
    actions = workflow.allowed(release, _user())
    published = release.status == ReleaseStatus.PUBLISHED.value
    # After publication an appointment can be changed, never attached any more.
    can_change = ("correct" if published else "edit") in actions and (
        inv is not None and not inv.cancelled if published else True)
    return render_template(
        "invitations/desk.html", release=release, inv=inv, form=form, action_form=ActionForm(),
        published=published, can_change=can_change,
        can_cancel=inv is not None and not inv.cancelled and (
            "correct" in actions if published else "edit" in actions),
        replies=rsvp.replies(inv) if inv is not None else [],
        counts=rsvp.counts(inv) if inv is not None else {},
        four_eyes=release.office.require_four_eyes,
        follow_up_choices=rsvp.follow_up_choices(inv) if inv is not None and published else [],
        may_mail="correct" in actions,
    ), status


@bp.route("/desk/releases/<int:release_id>/termin", methods=["GET", "POST"])
def desk(release_id: int) -> ResponseReturnValue:
    """The appointment of a release: attach it, change it (after publication: a correction
    with a calendar update), call it off; the replies."""
    release = _release_or_404(release_id)
    inv = services.invitation_of(release)
    form = AppointmentForm()
    if not form.is_submitted() and inv is not None:
        _fill(form, inv)
    if form.is_submitted():
        if not form.validate():
            return _page(release, form, 400)
        try:
            version = services.save(release, _user(), _input(form))
        except releases.ReleaseError as exc:
            db.rollback()
            flash(str(exc), "error")
            return _page(release, form, 400)
        if version is not None:
            flash(_("Termin geändert. Die Redaktionen erhalten eine „Korrektur:“-E-Mail mit "
                    "der Kalender-Aktualisierung."), "success")
            return redirect(url_for("delivery.report", version_id=version.id))
        if release.correction_pending_at is not None:
            flash(_("Die Änderung wartet auf die Freigabe durch eine zweite Person "
                    "(Vier-Augen-Prinzip)."), "info")
        else:
            flash(_("Termin gespeichert."), "success")
        return redirect(url_for(".desk", release_id=release.id))
    return _page(release, form)


@bp.route("/desk/releases/<int:release_id>/termin/absagen", methods=["POST"])
def cancel(release_id: int) -> ResponseReturnValue:
    release = _release_or_404(release_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        version = services.cancel(release, _user())
    except releases.ReleaseError as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".desk", release_id=release.id))
    if version is not None:
        flash(_("Termin abgesagt. Die Redaktionen erhalten die Absage mit der "
                "Kalender-Absage (CANCEL)."), "success")
        return redirect(url_for("delivery.report", version_id=version.id))
    if release.correction_pending_at is not None:
        flash(_("Die Absage wartet auf die Freigabe durch eine zweite Person "
                "(Vier-Augen-Prinzip)."), "info")
    else:
        flash(_("Termin entfernt."), "success")
    return redirect(url_for(".desk", release_id=release.id))


# --- public ---------------------------------------------------------------------------------


def _calendar_response(data: bytes, filename: str) -> Response:
    resp = Response(data, content_type=f"{ical.CONTENT_TYPE}; charset=utf-8")
    resp.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return resp


@bp.route("/termine/<public_id>.ics")
@public
def calendar_file(public_id: str) -> ResponseReturnValue:
    """One appointment as an .ics file, as the public may see it (a visible release)."""
    a = listing.public_appointment(public_id)
    if a is None:
        abort(404)
    return _calendar_response(ical.feed([a], a.title), "termin.ics")


def _office_or_404(office_slug: str) -> Office:
    from pressdesk.portal.services import office_by_slug

    office = office_by_slug(office_slug)
    if office is None:
        abort(404)
    return office


def _feed(items: list[PublicAppointment], name: str, scope: str) -> Response:
    """A calendar feed with a strong ETag over what it lists; 304 when it is unchanged."""
    digest = hashlib.sha256(scope.encode())
    for a in items:
        digest.update(f"|{a.uid}|{a.sequence}|{a.cancelled}|{a.stamp.isoformat()}|{a.title}"
                      .encode())
    etag = digest.hexdigest()[:32]
    if request.if_none_match.contains(etag):
        resp = Response(status=304)
    else:
        resp = _calendar_response(ical.feed(items, name), "termine.ics")
    resp.set_etag(etag)
    resp.headers["Cache-Control"] = "public, max-age=300"
    return resp


@bp.route("/termine/kalender.ics")
@public
@stateless
def feed_all() -> ResponseReturnValue:
    """Every office's appointments, for a calendar subscription (``webcal://``)."""
    return _feed(listing.feed_items(), _("Pressetermine aller Pressestellen"), "all")


@bp.route("/termine/<office_slug>/kalender.ics")
@public
@stateless
def feed_office(office_slug: str) -> ResponseReturnValue:
    office = _office_or_404(office_slug)
    return _feed(listing.feed_items(office.id), _("Pressetermine: %(office)s", office=office.name),
                 f"office:{office.id}")


def webcal(url: str) -> str:
    """The ``webcal://`` form of a feed URL (calendar programs subscribe to it)."""
    return "webcal://" + url.split("://", 1)[1]


@bp.route("/termine")
@public
def upcoming() -> ResponseReturnValue:
    """The portal page of upcoming appointments of all offices."""
    from pressdesk.urls import external_url

    feed = external_url("invitations.feed_all")
    return render_template("invitations/upcoming.html", office=None,
                           items=listing.upcoming(limit=200), feed_url=feed,
                           webcal_url=webcal(feed))


@bp.route("/termine/<office_slug>")
@public
def office_upcoming(office_slug: str) -> ResponseReturnValue:
    from pressdesk.urls import external_url

    office = _office_or_404(office_slug)
    feed = external_url("invitations.feed_office", office_slug=office.slug)
    return render_template("invitations/upcoming.html", office=office,
                           items=listing.upcoming(office.id, limit=200), feed_url=feed,
                           webcal_url=webcal(feed))


# --- RSVP (public, from the outlet's mail) -----------------------------------------------------


def _refused_page(exc: rsvp.ReplyRefused) -> tuple[str, int]:
    return render_template("error.html", code=exc.status, title=exc.title,
                           message=exc.message), exc.status


@bp.route("/termine/<public_id>/antwort/<token>", methods=["GET", "POST"])
@public
def reply(public_id: str, token: str) -> ResponseReturnValue:
    """GET: the confirmation page of a one-click reply (nothing is recorded: mail scanners
    follow links). POST (with CSRF): record it; changeable until the deadline."""
    form = ReplyForm()
    try:
        ctx = rsvp.check_link(public_id, token)
        rsvp.check_open(ctx)
        answer = rsvp.check_answer(request.values.get("antwort"))
    except rsvp.ReplyRefused as exc:
        return _refused_page(exc)
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("invitations/reply.html", ctx=ctx, answer=answer, form=form,
                                   done=False), 400
        try:
            rsvp.record(ctx, answer, form.name.data or "")
        except rsvp.ReplyRefused as exc:
            db.rollback()
            return _refused_page(exc)
        return render_template("invitations/reply.html", ctx=ctx, answer=answer, form=form,
                               done=True)
    if ctx.reply is not None and not form.name.data:
        form.name.data = ctx.reply.name
    return render_template("invitations/reply.html", ctx=ctx, answer=answer, form=form,
                           done=False)


# --- the office's replies -----------------------------------------------------------------------


def _invitation_or_404(release: Release) -> Invitation:
    inv = services.invitation_of(release)
    if inv is None:
        abort(404)
    return inv


@bp.route("/desk/releases/<int:release_id>/termin/antworten.csv")
def replies_csv(release_id: int) -> ResponseReturnValue:
    release = _release_or_404(release_id)
    inv = _invitation_or_404(release)
    resp = Response(rsvp.csv_export(inv), content_type="text/csv; charset=utf-8")
    resp.headers["Content-Disposition"] = 'attachment; filename="antworten.csv"'
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def _publisher_action(release: Release) -> Invitation:
    """Reminder and follow-up mail speak for the office: a publisher's step."""
    if not ActionForm().validate_on_submit():
        abort(400)
    workflow.check(release, _user(), "correct")  # publisher+, a published release
    return _invitation_or_404(release)


@bp.route("/desk/releases/<int:release_id>/termin/erinnerung", methods=["POST"])
def remind(release_id: int) -> ResponseReturnValue:
    release = _release_or_404(release_id)
    try:
        inv = _publisher_action(release)
    except workflow.WorkflowError as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".desk", release_id=release.id))
    n = rsvp.send_reminders(inv)
    flash(_("Erinnerung an %(n)d Redaktionen verschickt.", n=n) if n else
          _("Alle Zusagen wurden schon erinnert; niemand Neues."), "success" if n else "info")
    return redirect(url_for(".desk", release_id=release.id))


@bp.route("/desk/releases/<int:release_id>/termin/nachbericht", methods=["POST"])
def follow_up(release_id: int) -> ResponseReturnValue:
    release = _release_or_404(release_id)
    try:
        inv = _publisher_action(release)
        chosen = releases.office_release(current_office(),
                                         int(request.form.get("release", "0") or 0))
        if chosen is None:
            raise rsvp.ReplyRefused(400, "", _("Bitte eine veröffentlichte Mitteilung dieser "
                                               "Pressestelle wählen."))
        n = rsvp.send_follow_ups(inv, chosen)
    except (workflow.WorkflowError, rsvp.ReplyRefused, ValueError) as exc:
        db.rollback()
        flash(exc.message if isinstance(exc, rsvp.ReplyRefused) else str(exc), "error")
        return redirect(url_for(".desk", release_id=release.id))
    flash(_("Nachbericht an %(n)d Redaktionen verschickt.", n=n) if n else
          _("Alle Absagen haben den Nachbericht schon erhalten; niemand Neues."),
          "success" if n else "info")
    return redirect(url_for(".desk", release_id=release.id))
