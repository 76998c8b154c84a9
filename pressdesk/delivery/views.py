"""Delivery report per release version and the message as sent."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, render_template
from sqlalchemy import select

from pressdesk.accounts.services import current_office
from pressdesk.delivery import services
from pressdesk.delivery.models import Delivery
from pressdesk.extensions import db
from pressdesk.releases.models import Release, ReleaseVersion

bp = Blueprint("delivery", __name__, url_prefix="/desk")


def _version_or_404(version_id: int) -> ReleaseVersion:
    version = db.session.scalar(
        select(ReleaseVersion).join(Release)
        .where(ReleaseVersion.id == version_id, Release.office_id == current_office().id)
    )
    if version is None:
        abort(404)
    return version


@bp.route("/versions/<int:version_id>/deliveries")
def report(version_id: int):  # type: ignore[no-untyped-def]
    version = _version_or_404(version_id)
    rows = db.session.scalars(
        # Outlets only: reader subscribers' addresses are not the press office's to see.
        select(Delivery).where(Delivery.version_id == version.id, Delivery.kind == "outlet")
        .order_by(Delivery.name)
    ).all()
    return render_template("desk/deliveries.html", version=version, release=version.release,
                           rows=rows, counts=services.counts_by_state([version.id]))


@bp.route("/versions/<int:version_id>/progress.json")
def progress(version_id: int):  # type: ignore[no-untyped-def]
    version = _version_or_404(version_id)
    return jsonify(services.counts_by_state([version.id]))


@bp.route("/deliveries/<int:delivery_id>.eml")
def message(delivery_id: int):  # type: ignore[no-untyped-def]
    row = db.session.scalar(
        select(Delivery).where(Delivery.id == delivery_id, Delivery.kind == "outlet",
                               Delivery.office_id == current_office().id)
    )
    if row is None:
        abort(404)
    return Response(services.message_as_sent(row), mimetype="text/plain; charset=utf-8")
