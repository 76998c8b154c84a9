"""Users and roles of the current office, for its admins. Thin: parse, call members, render."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from pressdesk.accounts import members
from pressdesk.accounts.models import Membership, Role
from pressdesk.accounts.services import current_office, require_role
from pressdesk.labels import ROLE_LABELS
from pressdesk.refusal import Refusal

bp = Blueprint("members", __name__, url_prefix="/desk/members")

ROLE_CHOICES = [(Role.EDITOR.value, _l("Redaktion")), (Role.PUBLISHER.value, _l("Veröffentlichung")),
                (Role.ADMIN.value, _l("Administration"))]


class AddMemberForm(FlaskForm):
    email = StringField(_l("E-Mail-Adresse"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Length(max=200)])
    role = SelectField(_l("Rolle"), choices=ROLE_CHOICES)
    password = PasswordField(_l("Anfangspasswort (freiwillig, nur für neue Konten)"),
                             validators=[Length(max=1000)])


class RoleForm(FlaskForm):
    role = SelectField(_l("Rolle"), choices=ROLE_CHOICES)


class ToggleForm(FlaskForm):
    """Only the CSRF token."""


def _membership_or_404(membership_id: int) -> Membership:
    m = members.office_membership(current_office(), membership_id)
    if m is None:
        abort(404)
    return m


@bp.route("/", methods=["GET", "POST"])
def index() -> ResponseReturnValue:
    require_role(Role.ADMIN)
    office = current_office()
    form = AddMemberForm()
    if form.validate_on_submit():
        with Refusal(members.MemberError) as change:
            m = members.add_member(office, current_user, form.email.data or "",
                                   form.name.data or "", Role(form.role.data),
                                   form.password.data or "")
        if change.ok:
            flash(_("{name} gehört jetzt zur Pressestelle.").format(name=m.user.name), "success")
            if not m.user.has_password:
                flash(_("Eine Einladung mit dem Link zum Festlegen des Passworts ist an {email} "
                        "unterwegs (gültig 7 Tage).").format(email=m.user.email), "info")
            return redirect(url_for(".index"))
    return render_template("admin/members.html", office=office, members=members.members(office),
                           form=form, role_form=RoleForm(), toggle_form=ToggleForm(),
                           role_labels=ROLE_LABELS, Role=Role), \
        (422 if form.is_submitted() else 200)


@bp.route("/<int:membership_id>/role", methods=["POST"])
def change_role(membership_id: int) -> ResponseReturnValue:
    require_role(Role.ADMIN)
    m = _membership_or_404(membership_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    with Refusal(members.MemberError) as change:
        members.change_role(current_office(), current_user, m, Role(form.role.data))
    if change.ok:
        flash(_("Rolle von {name} gespeichert.").format(name=m.user.name), "success")
    return redirect(url_for(".index"))


@bp.route("/<int:membership_id>/<any(activate, deactivate):action>", methods=["POST"])
def toggle(membership_id: int, action: str) -> ResponseReturnValue:
    require_role(Role.ADMIN)
    m = _membership_or_404(membership_id)
    if not ToggleForm().validate_on_submit():
        abort(400)
    with Refusal(members.MemberError) as change:
        members.set_active(current_office(), current_user, m, action == "activate")
    if change.ok:
        flash((_("{name} ist wieder aktiv.") if action == "activate" else
               _("{name} ist deaktiviert und hat keinen Zugang mehr zu dieser Pressestelle."))
              .format(name=m.user.name), "success")
    return redirect(url_for(".index"))


@bp.route("/<int:membership_id>/invite", methods=["POST"])
def invite(membership_id: int) -> ResponseReturnValue:
    require_role(Role.ADMIN)
    m = _membership_or_404(membership_id)
    if not ToggleForm().validate_on_submit():
        abort(400)
    with Refusal(members.MemberError) as change:
        members.invite_again(current_office(), current_user, m)
    if change.ok:
        flash(_("Neue Einladung an {email} gesendet.").format(email=m.user.email), "success")
    return redirect(url_for(".index"))


@bp.route("/<int:membership_id>/two-factor/reset", methods=["POST"])
def reset_two_factor(membership_id: int) -> ResponseReturnValue:
    require_role(Role.ADMIN)
    m = _membership_or_404(membership_id)
    if not ToggleForm().validate_on_submit():
        abort(400)
    with Refusal(members.MemberError) as change:
        members.reset_two_factor(current_office(), current_user, m)
    if change.ok:
        flash(_("Der zweite Faktor von {name} ist zurückgesetzt; die Person richtet ihn bei der "
                "nächsten Anmeldung neu ein.").format(name=m.user.name), "success")
    return redirect(url_for(".index"))
