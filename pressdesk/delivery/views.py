"""Delivery report per release version, its live JSON, pause/resume/cancel/retry, suppressions."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from pressdesk.accounts.models import Role
from pressdesk.accounts.services import current_office, current_role, require_role
from pressdesk.audit.services import record
from pressdesk.db import utcnow
from pressdesk.delivery import controls, engine
from pressdesk.delivery import report as delivery_report
from pressdesk.delivery import suppressions as suppression_list
from pressdesk.delivery.explain import explain
from pressdesk.delivery.models import Delivery, Kind, SendControl, Suppression
from pressdesk.extensions import db
from pressdesk.labels import state_label
from pressdesk.releases.models import Release, ReleaseVersion
from pressdesk.text import german_datetime

bp = Blueprint("delivery", __name__, url_prefix="/desk")

REPORT_STATES = ("sent", "queued", "sending", "retrying", "failed", "suppressed", "bounced",
                 "cancelled")


def _version_or_404(version_id: int) -> ReleaseVersion:
    version = db.session.scalar(
        select(ReleaseVersion).join(Release)
        .where(ReleaseVersion.id == version_id, Release.office_id == current_office().id)
    )
    if version is None:
        abort(404)
    return version


def _rows(version: ReleaseVersion) -> list[Delivery]:
    return list(db.session.scalars(
        # Outlets only: reader subscribers' addresses are not the press office's to see.
        select(Delivery).where(Delivery.version_id == version.id, Delivery.kind == Kind.OUTLET.value)
        .order_by(Delivery.name, Delivery.id)
    ))


@bp.route("/versions/<int:version_id>/deliveries")
def report(version_id: int) -> ResponseReturnValue:
    version = _version_or_404(version_id)
    control = db.session.get(SendControl, version.id)
    return render_template("delivery/report.html", explain=explain, version=version, release=version.release,
                           rows=_rows(version), counts=delivery_report.counts_by_state([version.id]),
                           states=REPORT_STATES, control=control,
                           can_control=current_role().rank >= Role.PUBLISHER.rank,
                           is_admin=current_role() is Role.ADMIN)


def _explanation(state: str, technical: str) -> dict[str, str] | None:
    ex = explain(state, technical)
    return None if ex is None else {"what": ex.what, "retried": ex.retried, "whom": ex.whom}


def _label(state: str) -> str:
    return state_label(state)


@bp.route("/versions/<int:version_id>/progress.json")
def progress(version_id: int) -> ResponseReturnValue:
    """Counts, the pause/cancel state and every row's state, for the live report."""
    version = _version_or_404(version_id)
    control = db.session.get(SendControl, version.id)
    now = utcnow()
    q = select(Delivery.id, Delivery.state, Delivery.attempts, Delivery.sent_at,
               Delivery.updated_at, Delivery.last_error).where(
                   Delivery.version_id == version.id, Delivery.kind == Kind.OUTLET.value)
    since = request.args.get("since", "")
    if since:  # only rows changed since the previous poll (long lists)
        try:
            after = datetime.fromisoformat(since)
        except ValueError:
            abort(400)
        if after.tzinfo is None:
            abort(400)
        q = q.where(Delivery.updated_at >= after)
    rows = db.session.execute(q).all()
    counts = delivery_report.counts_by_state([version.id])
    return jsonify({
        "counts": counts,
        "total": sum(counts.values()),
        # A little overlap with the next poll: a row marked during this query is not missed.
        "now": (now - timedelta(seconds=2)).isoformat(),
        "control": control.state if control else "active",
        "rows": [{"id": r.id, "state": r.state, "label": _label(r.state), "attempts": r.attempts,
                  "time": german_datetime(r.sent_at or r.updated_at) if (r.sent_at or r.updated_at)
                  else "", "error": r.last_error,
                  "explanation": _explanation(r.state, r.last_error)} for r in rows],
    })


def _control(version_id: int, action: str) -> ResponseReturnValue:
    require_role(Role.PUBLISHER)
    version = _version_or_404(version_id)
    user_id = current_user.id
    if action == "pause":
        controls.pause(version.id, current_user.name, user_id)
        message = _("Der Versand ist angehalten.")
    elif action == "resume":
        controls.resume(version.id, user_id)
        message = _("Der Versand läuft weiter.")
    elif action == "cancel":
        n = controls.cancel(version.id, current_user.name, user_id)
        message = _("Der Versand ist abgebrochen (%(n)d Empfänger nicht mehr beliefert).", n=n)
    else:
        n = controls.retry_failed(version.id)
        message = _("%(n)d fehlgeschlagene Empfänger werden erneut versucht.", n=n)
    record(version.release.office_id, current_user, f"delivery.{action}", "release_version",
           version.id, version.release.reference)
    flash(message, "success")
    return redirect(url_for("delivery.report", version_id=version.id))


@bp.post("/versions/<int:version_id>/pause")
def pause(version_id: int) -> ResponseReturnValue:
    return _control(version_id, "pause")


@bp.post("/versions/<int:version_id>/resume")
def resume(version_id: int) -> ResponseReturnValue:
    return _control(version_id, "resume")


@bp.post("/versions/<int:version_id>/cancel")
def cancel(version_id: int) -> ResponseReturnValue:
    return _control(version_id, "cancel")


@bp.post("/versions/<int:version_id>/retry-failed")
def retry_failed(version_id: int) -> ResponseReturnValue:
    return _control(version_id, "retry")


def _outlet_row_or_404(delivery_id: int) -> Delivery:
    row = db.session.scalar(
        select(Delivery).where(Delivery.id == delivery_id, Delivery.kind == Kind.OUTLET.value,
                               Delivery.office_id == current_office().id)
    )
    if row is None:
        abort(404)
    return row


@bp.route("/deliveries/<int:delivery_id>.eml")
def message(delivery_id: int) -> ResponseReturnValue:
    """The raw source, byte for byte as it went (or goes) to the outlet."""
    row = _outlet_row_or_404(delivery_id)
    return Response(engine.message_as_sent(row), mimetype="text/plain; charset=utf-8")


@bp.route("/deliveries/<int:delivery_id>")
def message_view(delivery_id: int) -> ResponseReturnValue:
    """The message as the outlet reads it: headers, decoded text part, the HTML part framed."""
    row = _outlet_row_or_404(delivery_id)
    shown = delivery_report.decoded(engine.message_as_sent(row))
    return render_template("delivery/message.html", row=row, version=row.version, m=shown,
                           release=row.version.release if row.version else None)


@bp.route("/deliveries/<int:delivery_id>/html")
def message_html(delivery_id: int) -> ResponseReturnValue:
    """The HTML part alone, for the message view's sandboxed frame: inline styles yes (mail
    HTML needs them), scripts never, the hosted images shown."""
    row = _outlet_row_or_404(delivery_id)
    resp = make_response(delivery_report.decoded(engine.message_as_sent(row)).html)
    resp.headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self' data: http: https:; style-src 'unsafe-inline'; "
        "frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox")
    resp.headers["X-Frame-Options"] = "SAMEORIGIN"
    return resp


@bp.route("/suppressions")
def suppressions() -> ResponseReturnValue:
    rows = db.session.scalars(
        select(Suppression).where(Suppression.office_id == current_office().id)
        .order_by(Suppression.created_at.desc())
    ).all()
    return render_template("delivery/suppressions.html", rows=rows,
                           is_admin=current_role() is Role.ADMIN)


@bp.post("/suppressions/<int:suppression_id>/lift")
def lift(suppression_id: int) -> ResponseReturnValue:
    require_role(Role.ADMIN)
    office = current_office()
    row = suppression_list.lift_suppression(office.id, suppression_id)
    if row is None:
        abort(404)
    record(office.id, current_user, "suppression.lifted", "suppression", suppression_id, row.email)
    flash(_("Die Sperre für %(email)s ist aufgehoben.", email=row.email), "success")
    return redirect(url_for("delivery.suppressions"))
