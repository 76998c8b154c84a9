"""Office settings for admins: sender identity, contact defaults, imprint, vocabularies."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from pressdesk.accounts.models import Role
from pressdesk.accounts.services import current_office, require_role
from pressdesk.extensions import db
from pressdesk.offices import services
from pressdesk.offices.forms import DeleteTermForm, OfficeSettingsForm, TermForm

bp = Blueprint("offices", __name__, url_prefix="/desk/settings")


def _kind(kind: str) -> str:
    if kind not in services.TERM_MODELS:
        abort(404)
    return kind


def _page(form: OfficeSettingsForm, status: int = 200):  # type: ignore[no-untyped-def]
    office = current_office()
    return render_template(
        "admin/settings.html", office=office, form=form,
        topics=services.terms(office, "topic"), regions=services.terms(office, "region"),
        term_form=TermForm(), delete_form=DeleteTermForm()), status


@bp.route("/", methods=["GET", "POST"])
def settings_page():  # type: ignore[no-untyped-def]
    require_role(Role.ADMIN)
    office = current_office()
    form = OfficeSettingsForm(obj=office)
    if form.validate_on_submit():
        try:
            changed = services.update_settings(office, current_user, {
                k: getattr(form, k).data for k in services.SETTINGS_FIELDS})
        except services.OfficeError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return _page(form, 422)
        db.session.commit()
        flash(_("Einstellungen gespeichert.") if changed else _("Keine Änderungen."), "success")
        return redirect(url_for(".settings_page"))
    return _page(form, 422 if form.is_submitted() else 200)


@bp.route("/<kind>/new", methods=["POST"])
def add_term(kind: str):  # type: ignore[no-untyped-def]
    require_role(Role.ADMIN)
    kind = _kind(kind)
    form = TermForm()
    if not form.validate_on_submit():
        flash(_("Bitte einen Namen angeben."), "error")
    else:
        try:
            term = services.add_term(current_office(), current_user, kind, form.name.data or "")
        except services.OfficeError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("„{name}“ hinzugefügt.").format(name=term.name), "success")
    return redirect(url_for(".settings_page", _anchor=f"{kind}s"))


@bp.route("/<kind>/<int:term_id>", methods=["POST"])
def rename_term(kind: str, term_id: int):  # type: ignore[no-untyped-def]
    require_role(Role.ADMIN)
    kind = _kind(kind)
    office = current_office()
    term = services.office_term(office, kind, term_id)
    if term is None:
        abort(404)
    form = TermForm()
    if not form.validate_on_submit():
        flash(_("Bitte einen Namen angeben."), "error")
    else:
        try:
            services.rename_term(office, current_user, kind, term, form.name.data or "")
        except services.OfficeError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Gespeichert."), "success")
    return redirect(url_for(".settings_page", _anchor=f"{kind}s"))


@bp.route("/<kind>/<int:term_id>/delete", methods=["POST"])
def delete_term(kind: str, term_id: int):  # type: ignore[no-untyped-def]
    require_role(Role.ADMIN)
    kind = _kind(kind)
    office = current_office()
    term = services.office_term(office, kind, term_id)
    if term is None:
        abort(404)
    if not DeleteTermForm().validate_on_submit():
        abort(400)
    name = term.name
    services.delete_term(office, current_user, kind, term)
    db.session.commit()
    flash(_("„{name}“ gelöscht.").format(name=name), "success")
    return redirect(url_for(".settings_page", _anchor=f"{kind}s"))
