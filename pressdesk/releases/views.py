"""The editor desk: list, write, preview, publish. Thin: parse, call a service, render."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from pressdesk.accounts.services import current_office
from pressdesk.delivery.services import counts_by_state
from pressdesk.extensions import db
from pressdesk.media.models import DistributionList
from pressdesk.releases import services
from pressdesk.releases.forms import PublishForm, ReleaseForm
from pressdesk.releases.markup import render_markdown
from pressdesk.releases.models import Release

bp = Blueprint("releases", __name__, url_prefix="/desk")


def _release_or_404(release_id: int) -> Release:
    release = services.office_release(current_office(), release_id)
    if release is None:
        abort(404)
    return release


def _form_data(form: ReleaseForm) -> dict[str, str]:
    return {k: getattr(form, k).data or "" for k in services.LIMITS}


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    office = current_office()
    releases = db.session.scalars(
        select(Release).where(Release.office_id == office.id)
        .order_by(Release.updated_at.desc()).limit(200)
    ).all()
    return render_template("desk/index.html", releases=releases, office=office)


@bp.route("/releases/new", methods=["GET", "POST"])
def new():  # type: ignore[no-untyped-def]
    office = current_office()
    form = ReleaseForm()
    if not form.is_submitted():
        form.dateline_place.data = office.default_place
    if form.validate_on_submit():
        try:
            release = services.create_release(office, current_user, _form_data(form))
        except services.ReleaseError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Entwurf gespeichert."), "success")
            return redirect(url_for(".show", release_id=release.id))
    return render_template("desk/edit.html", form=form, release=None, office=office)


@bp.route("/releases/<int:release_id>/edit", methods=["GET", "POST"])
def edit(release_id: int):  # type: ignore[no-untyped-def]
    release = _release_or_404(release_id)
    form = ReleaseForm(obj=release)
    if form.validate_on_submit():
        try:
            services.update_release(release, _form_data(form))
        except services.ReleaseError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Gespeichert."), "success")
            return redirect(url_for(".show", release_id=release.id))
    return render_template("desk/edit.html", form=form, release=release,
                           office=release.office)


@bp.route("/releases/<int:release_id>")
def show(release_id: int):  # type: ignore[no-untyped-def]
    release = _release_or_404(release_id)
    office = release.office
    lists = db.session.scalars(
        select(DistributionList).where(DistributionList.office_id == office.id)
        .order_by(DistributionList.name)
    ).all()
    form = PublishForm()
    form.lists.choices = [(dl.id, f"{dl.name} ({len(dl.outlets)})") for dl in lists]
    form.lists.data = [dl.id for dl in lists if dl.is_default]
    counts = counts_by_state([v.id for v in release.versions]) if release.versions else {}
    return render_template("desk/show.html", release=release, form=form,
                           body_html=render_markdown(release.body), counts=counts)


@bp.route("/releases/<int:release_id>/preview")
def preview(release_id: int):  # type: ignore[no-untyped-def]
    release = _release_or_404(release_id)
    return render_template("portal/release.html", release=release, version=release,
                           body_html=render_markdown(release.body), preview=True)


@bp.route("/releases/<int:release_id>/publish", methods=["POST"])
def publish(release_id: int):  # type: ignore[no-untyped-def]
    release = _release_or_404(release_id)
    lists = db.session.scalars(
        select(DistributionList).where(DistributionList.office_id == release.office_id)
    ).all()
    form = PublishForm()
    form.lists.choices = [(dl.id, dl.name) for dl in lists]
    if not form.validate_on_submit():
        abort(400)
    try:
        version = services.publish_release(release, current_user, form.lists.data or None)
    except services.ReleaseError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".show", release_id=release.id))
    flash(_("Veröffentlicht. Der Versand an die Redaktionen läuft."), "success")
    return redirect(url_for("delivery.report", version_id=version.id))
