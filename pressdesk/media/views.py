"""The media desk: outlets, distribution lists, CSV import and export.

Admins change things; publishers may look. Every query goes through the current office.
"""

from __future__ import annotations

import io
from typing import TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from pressdesk.accounts.models import Role
from pressdesk.accounts.services import current_office, current_role, require_role
from pressdesk.db import utcnow
from pressdesk.media import csvio, selfservice, services, signup
from pressdesk.media.forms import (
    ConfirmImportForm,
    DecideSignupForm,
    DeleteForm,
    ImportForm,
    ListForm,
    OutletForm,
    OutletSettingsForm,
)
from pressdesk.media.models import DistributionList, Outlet
from pressdesk.refusal import Refusal
from pressdesk.text import german_date

bp = Blueprint("media", __name__, url_prefix="/desk/media")


@bp.record_once
def _connect(state: BlueprintSetupState) -> None:
    selfservice.connect_receivers()


T = TypeVar("T")


def _found(row: T | None) -> T:
    if row is None:
        abort(404)
    return row


def _outlet_or_404(outlet_id: int) -> Outlet:
    return _found(services.office_outlet(current_office(), outlet_id))


def _list_or_404(list_id: int) -> DistributionList:
    return _found(services.office_list(current_office(), list_id))


def _outlet_change() -> Refusal:
    # Someone saved the same address a moment ago; the unique constraint caught it.
    return Refusal(services.MediaError,
                   conflict=_("Diese Adresse wurde gerade von jemand anderem eingetragen."))


def _data(form: OutletForm) -> services.OutletData:
    return services.OutletData(
        name=form.name.data or "", kind=form.kind.data or "", email=form.email.data or "",
        extra=(form.extra_emails.data or "").replace(",", " ").replace(";", " ").split(),
        region=form.region.data or "", prefers_attachments=form.images.data == "attachments",
        max_attachment_kb=form.max_attachment_kb.data or 10240, active=bool(form.active.data),
        attach_format=form.attach_format.data or "")


def _can_edit() -> bool:
    return current_role() == Role.ADMIN


@bp.route("/")
def outlets() -> ResponseReturnValue:
    require_role(Role.PUBLISHER)
    office = current_office()
    rows = services.outlets(office)
    memberships = services.list_names_by_outlet(office)
    return render_template("media/outlets.html", office=office, outlets=rows,
                           memberships=memberships, can_edit=_can_edit(), labels=csvio.KIND_LABELS)


@bp.route("/outlets/new", methods=["GET", "POST"])
def new_outlet() -> ResponseReturnValue:
    require_role(Role.ADMIN)
    office = current_office()
    form = OutletForm()
    if form.validate_on_submit():
        with _outlet_change() as change:
            outlet = services.create_outlet(office, current_user, _data(form))
        if change.ok:
            flash(_("„{name}“ wurde angelegt.").format(name=outlet.name), "success")
            return redirect(url_for(".outlets"))
    return render_template("media/outlet_form.html", form=form, outlet=None), \
        (422 if form.is_submitted() else 200)


@bp.route("/outlets/<int:outlet_id>", methods=["GET", "POST"])
def edit_outlet(outlet_id: int) -> ResponseReturnValue:
    require_role(Role.ADMIN)
    office = current_office()
    outlet = _outlet_or_404(outlet_id)
    form = OutletForm(obj=outlet)
    if not form.is_submitted():
        form.extra_emails.data = "\n".join(outlet.extra_list)
        form.images.data = "attachments" if outlet.prefers_attachments else "links"
    if form.validate_on_submit():
        with _outlet_change() as change:
            services.update_outlet(office, current_user, outlet, _data(form))
        if change.ok:
            flash(_("Gespeichert."), "success")
            return redirect(url_for(".outlets"))
    return render_template("media/outlet_form.html", form=form, outlet=outlet,
                           delete_form=DeleteForm()), (422 if form.is_submitted() else 200)


@bp.route("/outlets/<int:outlet_id>/delete", methods=["POST"])
def delete_outlet(outlet_id: int) -> ResponseReturnValue:
    require_role(Role.ADMIN)
    outlet = _outlet_or_404(outlet_id)
    if not DeleteForm().validate_on_submit():
        abort(400)
    name = outlet.name
    services.delete_outlet(current_office(), current_user, outlet)
    flash(_("„{name}“ wurde gelöscht.").format(name=name), "success")
    return redirect(url_for(".outlets"))


# --- lists -------------------------------------------------------------------------------------


@bp.route("/lists", methods=["GET", "POST"])
def lists() -> ResponseReturnValue:
    require_role(Role.PUBLISHER)
    office = current_office()
    form = ListForm()
    if form.is_submitted():
        require_role(Role.ADMIN)
        if form.validate_on_submit():
            with Refusal(services.MediaError) as change:
                dl = services.create_list(office, current_user, form.name.data or "",
                                          bool(form.is_default.data))
            if change.ok:
                flash(_("Verteiler „{name}“ angelegt. Wählen Sie jetzt seine Medien.").format(
                    name=dl.name), "success")
                return redirect(url_for(".edit_list", list_id=dl.id))
    office_lists = services.lists(office)
    return render_template("media/lists.html", office=office, lists=office_lists,
                           counts=services.list_counts([dl.id for dl in office_lists]),
                           form=form, can_edit=_can_edit())


@bp.route("/lists/<int:list_id>", methods=["GET", "POST"])
def edit_list(list_id: int) -> ResponseReturnValue:
    require_role(Role.PUBLISHER)
    office = current_office()
    dl = _list_or_404(list_id)
    form = ListForm(obj=dl)
    all_outlets = services.outlets(office)
    form.outlets.choices = [(o.id, o.name) for o in all_outlets]
    if not form.is_submitted():
        form.outlets.data = [o.id for o in dl.outlets]
    if form.is_submitted():
        require_role(Role.ADMIN)
        if form.validate_on_submit():
            with Refusal(services.MediaError) as change:
                services.update_list(office, current_user, dl, form.name.data or "",
                                     form.outlets.data or [], bool(form.is_default.data))
            if change.ok:
                flash(_("Verteiler gespeichert."), "success")
                return redirect(url_for(".lists"))
            dl = _list_or_404(list_id)
    selected = set(form.outlets.data or [])
    return render_template("media/list_form.html", form=form, dl=dl, outlets=all_outlets,
                           selected=selected, can_edit=_can_edit(), delete_form=DeleteForm(),
                           labels=csvio.KIND_LABELS)


@bp.route("/lists/<int:list_id>/delete", methods=["POST"])
def delete_list(list_id: int) -> ResponseReturnValue:
    require_role(Role.ADMIN)
    dl = _list_or_404(list_id)
    if not DeleteForm().validate_on_submit():
        abort(400)
    with Refusal(services.MediaError) as change:
        services.delete_list(current_office(), current_user, dl)
    if not change.ok:
        return redirect(url_for(".edit_list", list_id=list_id))
    flash(_("Verteiler gelöscht."), "success")
    return redirect(url_for(".lists"))


# --- import / export ---------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
def import_upload() -> ResponseReturnValue:
    require_role(Role.ADMIN)
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            pending = services.prepare_import(current_office(), current_user,
                                              upload.filename or "", upload.read())
        except csvio.CsvError as exc:
            flash(_("Die Datei „{file}“ kann nicht importiert werden: {reason}").format(
                file=upload.filename or "", reason=str(exc)), "error")
        else:
            return redirect(url_for(".import_review", token=pending.token))
    # Shown again after a submission: the file or the form was refused.
    return render_template("media/import.html", form=form, columns=csvio.COLUMNS,
                           kinds=csvio.KIND_LABELS), (422 if form.is_submitted() else 200)


@bp.route("/import/<token>", methods=["GET", "POST"])
def import_review(token: str) -> ResponseReturnValue:
    require_role(Role.ADMIN)
    office = current_office()
    pending = services.load_import(office, token)
    if pending is None:
        flash(_("Dieser Import ist abgelaufen oder wurde schon abgeschlossen. Bitte die Datei "
                "erneut hochladen."), "error")
        return redirect(url_for(".import_upload"))
    form = ConfirmImportForm()
    office_lists = services.lists(office)
    form.list_id.choices = [(0, _("— keiner —"))] + [(dl.id, dl.name) for dl in office_lists]
    if not form.is_submitted():
        # Imported outlets go to the default list unless the admin picks otherwise: outlets in
        # no list would silently receive nothing.
        form.list_id.data = next((dl.id for dl in office_lists if dl.is_default), 0)
    if form.validate_on_submit():
        if request.form.get("action") == "cancel":
            services.discard_import(token)
            flash(_("Import abgebrochen. Es wurde nichts gespeichert."), "info")
            return redirect(url_for(".outlets"))
        if not pending.valid:
            flash(_("Keine gültigen Zeilen zum Importieren."), "error")
        else:
            # A concurrent confirm or edit may save one of these addresses first: then nothing
            # of this import is written; the user checks again and confirms once more.
            with Refusal(services.MediaError, conflict=_(
                    "Die Medienliste wurde gleichzeitig geändert. Es wurde nichts importiert; "
                    "bitte erneut bestätigen.")) as change:
                count, skipped = services.confirm_import(office, current_user, pending,
                                                         form.list_id.data or None)
            if change.ok:
                services.discard_import(token)
                flash(_("{n} Medien importiert.").format(n=count), "success")
                for row in skipped:
                    flash(_("Zeile {line} nicht importiert: {reason}").format(
                        line=row.line, reason="; ".join(row.problems)), "error")
                return redirect(url_for(".outlets"))
    return render_template("media/import_review.html", pending=pending, form=form,
                           labels=csvio.KIND_LABELS)


@bp.route("/export.csv")
def export() -> ResponseReturnValue:
    require_role(Role.PUBLISHER)
    office = current_office()
    data = services.export_csv(office)
    name = f"Medienliste {office.name} {german_date(utcnow())}.csv"
    return send_file(io.BytesIO(data), mimetype="text/csv; charset=utf-8", as_attachment=True,
                     download_name=name, max_age=0)


# --- the press list the outlets keep: sign-ups, review, settings ---------------------------------


@bp.route("/signups")
def signups() -> ResponseReturnValue:
    require_role(Role.PUBLISHER)
    office = current_office()
    return render_template("media/signups.html", office=office,
                           signups=signup.office_signups(office), lists=services.lists(office),
                           form=DecideSignupForm(), can_edit=_can_edit(),
                           vocab=selfservice.vocabulary_names(office))


@bp.route("/signups/<int:signup_id>/<decision>", methods=["POST"])
def decide_signup(signup_id: int, decision: str) -> ResponseReturnValue:
    require_role(Role.ADMIN)
    office = current_office()
    found = _found(signup.office_signup(office, signup_id))
    form = DecideSignupForm()
    if not form.validate_on_submit() or decision not in ("accept", "decline"):
        abort(400)
    with Refusal(signup.SignupError) as change:
        if decision == "accept":
            signup.accept(office, found, current_user, list(form.lists.data or []))
        else:
            signup.decline(office, found, current_user)
    if change.ok:
        flash((_("„{name}“ ist jetzt im Presseverteiler.") if decision == "accept" else
               _("Die Anmeldung von „{name}“ wurde abgelehnt.")).format(name=found.outlet_name),
              "success")
    return redirect(url_for(".signups"))


@bp.route("/review")
def review() -> ResponseReturnValue:
    require_role(Role.PUBLISHER)
    office = current_office()
    marked, quiet = selfservice.review_lists(office)
    return render_template("media/review.html", office=office, marked=marked, quiet=quiet,
                           form=DeleteForm(), can_edit=_can_edit(), review_reasons={
                               "bounce": _("Unzustellbar (harter Bounce)"),
                               "left": _("Person hat gewechselt"),
                               "yearly": _("Keine Antwort auf die jährliche Nachfrage")})


@bp.route("/review/<int:outlet_id>/<action>", methods=["POST"])
def review_action(outlet_id: int, action: str) -> ResponseReturnValue:
    require_role(Role.ADMIN)
    outlet = _outlet_or_404(outlet_id)
    if not DeleteForm().validate_on_submit() or action not in ("keep", "deactivate", "left"):
        abort(400)
    selfservice.review_decision(outlet, current_user, action)
    flash(_("Gespeichert."), "success")
    return redirect(url_for(".review"))


@bp.route("/self-service", methods=["GET", "POST"])
def self_service_settings() -> ResponseReturnValue:
    require_role(Role.ADMIN)
    office = current_office()
    current = signup.office_settings(office)
    form = OutletSettingsForm(obj=current)
    if form.validate_on_submit():
        signup.save_settings(office, current_user, bool(form.signups_open.data),
                             bool(form.yearly_check.data))
        flash(_("Gespeichert."), "success")
        return redirect(url_for(".self_service_settings"))
    return render_template("media/self_service.html", office=office, form=form,
                           signup_url=url_for("outlet_links.signup_page", slug=office.slug,
                                              _external=False))
