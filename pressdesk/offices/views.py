"""Office settings for admins: sender identity, contact defaults, imprint, vocabularies."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from pressdesk.accounts.models import Role
from pressdesk.accounts.services import current_office, require_role
from pressdesk.extensions import db
from pressdesk.offices import logo, services
from pressdesk.offices.forms import DeleteTermForm, OfficeSettingsForm, TermForm
from pressdesk.releases import workflow
from pressdesk.releases.models import Region, Topic

bp = Blueprint("offices", __name__, url_prefix="/desk/settings")


def _kind(kind: str) -> str:
    if kind not in services.TERM_MODELS:
        abort(404)
    return kind


def _page(form: OfficeSettingsForm, status: int = 200) -> ResponseReturnValue:
    office = current_office()
    return render_template(
        "admin/settings.html", office=office, form=form,
        topics=services.terms(office, "topic"), regions=services.terms(office, "region"),
        term_form=TermForm(), delete_form=DeleteTermForm(),
        approvers=workflow.may_approve(office.id), logo_url=logo.logo_url(office),
        four_eyes_short=workflow.four_eyes_short(office.id, office.require_four_eyes)), status


@bp.route("/", methods=["GET", "POST"])
def settings_page() -> ResponseReturnValue:
    require_role(Role.ADMIN)
    office = current_office()
    form = OfficeSettingsForm(obj=office)
    if form.validate_on_submit():
        try:
            changed = services.update_settings(office, current_user, {
                k: getattr(form, k).data for k in services.SETTINGS_FIELDS})
        except services.OfficeError as exc:
            flash(str(exc), "error")
            return _page(form, 422)  # an error answer: the request rolls back
        upload = form.logo.data
        try:
            if upload and upload.filename:
                logo.set_logo(office, current_user, upload.read(logo.MAX_BYTES + 1))
                changed.append(_("Logo"))
            elif form.remove_logo.data and office.logo_id:
                logo.remove_logo(office, current_user)
                changed.append(_("Logo"))
        except logo.LogoError as exc:
            # The other fields stay as typed; nothing of this post is saved (422 rolls back).
            form.logo.errors = [str(exc)]
            flash(_("Bitte prüfen Sie die markierten Angaben."), "error")
            return _page(form, 422)
        flash(_("Einstellungen gespeichert.") if changed else _("Keine Änderungen."), "success")
        return redirect(url_for(".settings_page"))
    return _page(form, 422 if form.is_submitted() else 200)


def _term(kind: str, term_id: int | None) -> tuple[str, Topic | Region | None]:
    require_role(Role.ADMIN)
    kind = _kind(kind)
    if term_id is None:
        return kind, None
    term = services.office_term(current_office(), kind, term_id)
    if term is None:
        abort(404)
    return kind, term


def _save_term(kind: str, term_id: int | None) -> Response:
    """Add (``term_id`` None) or rename a topic or region: one form, one answer."""
    kind, term = _term(kind, term_id)
    form = TermForm()
    if not form.validate_on_submit():
        flash(_("Bitte einen Namen angeben."), "error")
        return redirect(url_for(".settings_page", _anchor=f"{kind}s"))
    office, name = current_office(), form.name.data or ""
    try:
        if term is None:
            term = services.add_term(office, current_user, kind, name)
            ok = _("„{name}“ hinzugefügt.").format(name=term.name)
        else:
            services.rename_term(office, current_user, kind, term, name)
            ok = _("Gespeichert.")
    except services.OfficeError as exc:
        db.rollback()  # the answer is a redirect: undo before the request commits
        flash(str(exc), "error")
    else:
        flash(ok, "success")
    return redirect(url_for(".settings_page", _anchor=f"{kind}s"))


@bp.route("/<kind>/new", methods=["POST"])
def add_term(kind: str) -> ResponseReturnValue:
    return _save_term(kind, None)


@bp.route("/<kind>/<int:term_id>", methods=["POST"])
def rename_term(kind: str, term_id: int) -> ResponseReturnValue:
    return _save_term(kind, term_id)


@bp.route("/<kind>/<int:term_id>/delete", methods=["POST"])
def delete_term(kind: str, term_id: int) -> ResponseReturnValue:
    kind, term = _term(kind, term_id)
    assert term is not None
    if not DeleteTermForm().validate_on_submit():
        abort(400)
    name = term.name
    services.delete_term(current_office(), current_user, kind, term)
    flash(_("„{name}“ gelöscht.").format(name=name), "success")
    return redirect(url_for(".settings_page", _anchor=f"{kind}s"))
