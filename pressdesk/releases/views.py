"""The editor desk: list, write, preview, review, publish, correct, withdraw. Thin views: parse,
call a service (``services``, ``workflow``, ``images``, ``attachments``), render.

Every release is looked up through ``services.office_release`` (scoped to the current office)
and every state change goes through ``workflow.check`` (roles, 4-eyes) on the server.
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select

from pressdesk.accounts.models import User
from pressdesk.accounts.services import current_office, current_role
from pressdesk.audit.models import AuditEntry
from pressdesk.config import settings
from pressdesk.db import utcnow
from pressdesk.delivery.render import render_message
from pressdesk.delivery.report import counts_by_state
from pressdesk.extensions import db
from pressdesk.labels import action_label, role_label
from pressdesk.media.models import DistributionList
from pressdesk.portal.services import visible
from pressdesk.releases import attachments, images, services, templates, workflow
from pressdesk.releases.forms import (
    ActionForm,
    AttachmentForm,
    EmbargoForm,
    ImageForm,
    PublishForm,
    ReleaseForm,
    ReturnForm,
    TemplateEditForm,
    TemplateForm,
    WithdrawForm,
)
from pressdesk.releases.markup import render_markdown
from pressdesk.releases.models import (
    Region,
    Release,
    ReleaseAttachment,
    ReleaseImage,
    ReleaseStatus,
    Topic,
)
from pressdesk.releases.presenter import present_draft
from pressdesk.security import public
from pressdesk.text import german_date, german_datetime

bp = Blueprint("releases", __name__, url_prefix="/desk")
# Public downloads of attachments of visible releases (no /desk prefix, no login).
files_bp = Blueprint("release_files", __name__)

STATUS_ORDER = ("draft", "in_review", "approved", "scheduled", "published", "withdrawn")


@bp.app_template_filter("release_action_label")
def release_action_label(action: str) -> str:
    return action_label(action)


@bp.app_template_filter("de_input")
def de_input(value: str | None) -> str:
    """A date-and-time field's value as the German form shows it ("2026-11-24T09:30" becomes
    "24.11.2026 09:30"); anything else (what the person typed) stays as it was."""
    import re

    value = value or ""
    iso = re.fullmatch(r"\s*(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::\d{2})?\s*", value)
    if iso:
        y, mo, d, h, mi = iso.groups()
        return f"{d}.{mo}.{y} {h}:{mi}"
    return value


# One name per role everywhere (banner, members page, errors): the labels' own.
bp.add_app_template_global(role_label, "role_label")


@bp.app_errorhandler(workflow.NotAllowed)
def not_allowed(exc: workflow.NotAllowed) -> ResponseReturnValue:
    """A step the user's role (or the 4-eyes rule) forbids, anywhere in the app: a 403 page
    with the reason; the request's unit of work rolls back (error answer)."""
    return render_template("error.html", code=403, title=_("Kein Zugriff"), message=str(exc)), 403


def _user() -> User:
    user = current_user._get_current_object()
    assert isinstance(user, User)
    return user


def _release_or_404(release_id: int) -> Release:
    current_role()  # a member of the current office, else 403
    release = services.office_release(current_office(), release_id)
    if release is None:
        abort(404)
    return release


def _refused(exc: Exception) -> None:
    """A refused step shown as a message on a page that answers 2xx/3xx: undo what the step
    changed before the request commits."""
    db.rollback()
    flash(str(exc), "error")


def _back(release: Release) -> ResponseReturnValue:
    return redirect(url_for(".show", release_id=release.id))


def _form_data(form: ReleaseForm) -> dict[str, str]:
    return {k: getattr(form, k).data or "" for k in services.LIMITS}


def _vocabulary_choices(form: ReleaseForm, office_id: int) -> None:
    form.topics.choices = [(t.id, t.name) for t in db.session.scalars(
        select(Topic).where(Topic.office_id == office_id).order_by(Topic.name))]
    form.regions.choices = [(r.id, r.name) for r in db.session.scalars(
        select(Region).where(Region.office_id == office_id).order_by(Region.name))]


def _lists(office_id: int) -> list[DistributionList]:
    return list(db.session.scalars(
        select(DistributionList).where(DistributionList.office_id == office_id)
        .order_by(DistributionList.name)))


# --- List, write ---------------------------------------------------------------------------------


@bp.errorhandler(413)
def too_large(_exc: Exception) -> ResponseReturnValue:
    """An upload beyond MAX_CONTENT_LENGTH: Werkzeug refuses it before any view ran, so
    nothing was changed; say so, with the limits and the way back."""
    from flask import current_app

    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    limit_text = (f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024
                  else f"{max(1, limit // 1024)} KB")
    release_id = (request.view_args or {}).get("release_id")
    back = url_for(".show", release_id=release_id) if release_id else url_for(".index")
    return render_template("desk/too_large.html", limit=limit_text, back=back,
                           attachment_mb=settings().max_attachment_mb), 413


@bp.route("/")
def index() -> ResponseReturnValue:
    office = current_office()
    status = request.args.get("status", "")
    q = select(Release).where(Release.office_id == office.id)
    if status in STATUS_ORDER:
        q = q.where(Release.status == status)
    releases = db.session.scalars(q.order_by(Release.updated_at.desc()).limit(200)).all()
    counts = dict(db.session.execute(
        select(Release.status, func.count()).where(Release.office_id == office.id)
        .group_by(Release.status)).all())
    authors = _names({r.created_by_id for r in releases})
    return render_template("desk/index.html", releases=releases, office=office, status=status,
                           counts=counts, statuses=STATUS_ORDER, authors=authors)


def _names(user_ids: set[int | None]) -> dict[int, str]:
    ids = {i for i in user_ids if i}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


@bp.route("/releases/new", methods=["GET", "POST"])
def new() -> ResponseReturnValue:
    office = current_office()
    current_role()
    form = ReleaseForm()
    _vocabulary_choices(form, office.id)
    chosen = templates.find(office, request.args.get("vorlage", ""))
    if not form.is_submitted():
        form.dateline_place.data = office.default_place
        form.contact_name.data = office.contact_name
        form.contact_phone.data = office.contact_phone
        form.contact_email.data = office.contact_email
        if chosen is not None:
            for key in ("headline", "subline", "lead", "body"):
                getattr(form, key).data = getattr(chosen, key)
    if form.validate_on_submit():
        # Photos and documents may come with the first save (several at once, dropped or
        # chosen; the same photo texts for each photo).
        files = [f for f in request.files.getlist("files") if f.filename]
        try:
            release = services.create_release(office, _user(), _form_data(form))
            workflow.set_vocabulary(release, form.topics.data or [], form.regions.data or [])
            added = attachments.add_files(
                release, [(f.filename or "", f.read()) for f in files],
                request.form.get("image_caption", ""), request.form.get("image_credit", ""),
                request.form.get("image_alt", ""), images.DEFAULT_RIGHTS)
        except (services.ReleaseError, images.ImageError, attachments.AttachmentError) as exc:
            _refused(exc)
            if files:
                flash(_("Nichts wurde gespeichert. Ihr Text steht noch da; bitte die Dateien "
                        "erneut auswählen."), "info")
        else:
            flash(_("Entwurf gespeichert."), "success")
            if added.images:
                flash(ngettext("%(num)d Bild gespeichert.", "%(num)d Bilder gespeichert.",
                               added.images), "success")
            if added.attachments:
                flash(ngettext("%(num)d Anhang gespeichert.", "%(num)d Anhänge gespeichert.",
                               added.attachments), "success")
            for note in added.notes:
                flash(note, "info")
            return redirect(url_for(".show", release_id=release.id))
    return render_template("desk/edit.html", form=form, release=None, office=office,
                           correction=False, today=german_date(utcnow()),
                           templates=templates.available(office), chosen=chosen,
                           max_attachment_mb=settings().max_attachment_mb), \
        400 if form.is_submitted() else 200


@bp.route("/releases/<int:release_id>/edit", methods=["GET", "POST"])
def edit(release_id: int) -> ResponseReturnValue:
    """Edit a draft; on a published release, the same form makes a correction."""
    release = _release_or_404(release_id)
    correction = release.status == ReleaseStatus.PUBLISHED.value
    try:
        workflow.check(release, _user(), "correct" if correction else "edit")
    except workflow.WorkflowError as exc:
        flash(str(exc), "error")
        return _back(release)
    form = ReleaseForm(obj=release)
    _vocabulary_choices(form, release.office_id)
    if not form.is_submitted():
        form.topics.data = [t.id for t in release.topics]
        form.regions.data = [r.id for r in release.regions]
    if form.validate_on_submit():
        user = _user()
        try:
            if correction:
                version = workflow.correct(release, user, _form_data(form),
                                           form.topics.data or [], form.regions.data or [],
                                           urgent=bool(form.urgent.data))
            else:
                workflow.set_vocabulary(release, form.topics.data or [], form.regions.data or [])
                services.update_release(release, _form_data(form))
                voided = workflow.note_edit(release, user)
        except services.ReleaseError as exc:
            _refused(exc)
        else:
            if correction and version is not None:
                flash(_("Korrektur veröffentlicht. Die Redaktionen erhalten eine "
                        "„Korrektur:“-E-Mail."), "success")
                return redirect(url_for("delivery.report", version_id=version.id))
            if correction and release.correction_pending_at is not None:
                flash(_("Die Korrektur wartet auf die Freigabe durch eine zweite Person "
                        "(Vier-Augen-Prinzip)."), "info")
                return _back(release)
            if correction:
                flash(_("Themen und Regionen gespeichert. Der Text ist unverändert, die "
                        "Redaktionen erhalten keine E-Mail."), "success")
                return _back(release)
            flash(_("Gespeichert."), "success")
            if release.status == ReleaseStatus.SCHEDULED.value and release.scheduled_at:
                flash(_("Bleibt geplant: wird am %(at)s mit diesem Text veröffentlicht.",
                        at=german_datetime(release.scheduled_at)), "info")
            if voided:
                flash(_("Die Freigabe wurde aufgehoben: Der geänderte Text muss erneut "
                        "geprüft werden."), "info")
            return _back(release)
    return render_template("desk/edit.html", form=form, release=release, office=release.office,
                           correction=correction,
                           today=german_date(release.published_at or utcnow())), \
        400 if form.is_submitted() else 200


# --- Show and preview --------------------------------------------------------------------------


def _render_show(release: Release, status: int = 200, **forms: Any) -> tuple[str, int]:
    office = release.office
    lists = _lists(office.id)
    publish_form = forms.get("publish_form") or PublishForm()
    from pressdesk.media.services import list_sizes, unlisted_count  # media imports releases

    sizes = list_sizes([dl.id for dl in lists])
    publish_form.lists.choices = [(dl.id, f"{dl.name} ({sizes[dl.id]})") for dl in lists]
    if publish_form.lists.data is None or not publish_form.is_submitted():
        publish_form.lists.data = [dl.id for dl in lists if dl.is_default]
    counts = {v.id: counts_by_state([v.id]) for v in release.versions}
    history = db.session.scalars(
        select(AuditEntry).where(AuditEntry.office_id == office.id,
                                 AuditEntry.target_type == "release",
                                 AuditEntry.target_id == release.id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(50)).all()
    names = _names({release.created_by_id, release.submitted_by_id, release.approved_by_id})
    actions = workflow.allowed(release, _user())
    return render_template(
        "desk/show.html", release=release, office=office, body_html=render_markdown(release.body),
        actions=actions, counts=counts, history=history, names=names,
        unlisted=unlisted_count(office.id) if "publish" in actions else 0,
        publish_form=publish_form, action_form=ActionForm(),
        withdraw_form=forms.get("withdraw_form") or WithdrawForm(),
        template_form=forms.get("template_form") or TemplateForm(),
        embargo_form=forms.get("embargo_form") or EmbargoForm(),
        return_form=forms.get("return_form") or ReturnForm(),
        image_form=forms.get("image_form") or ImageForm(),
        attachment_form=forms.get("attachment_form") or AttachmentForm(),
        print_min=images.PRINT_MIN, is_print_quality=images.is_print_quality,
        max_attachment_mb=settings().max_attachment_mb,
        approvers=workflow.approvers(release),
        four_eyes_short=workflow.four_eyes_short(office.id, office.require_four_eyes),
    ), status


@bp.route("/releases/<int:release_id>")
def show(release_id: int) -> ResponseReturnValue:
    release = _release_or_404(release_id)
    image_form = ImageForm()
    image_form.rights.data = images.DEFAULT_RIGHTS
    return _render_show(release, image_form=image_form)


@bp.route("/markup-preview", methods=["POST"])
def markup_preview() -> ResponseReturnValue:
    """The body's Markdown as the desk, the portal and the mail render it (the editor's live
    preview; CSRF-checked like every POST)."""
    current_role()
    text = request.form.get("body", "")
    if len(text) > services.LIMITS["body"]:
        abort(413)
    resp = make_response(str(render_markdown(text)))
    resp.headers["Content-Type"] = "text/html; charset=utf-8"
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/releases/<int:release_id>/preview")
def preview(release_id: int) -> ResponseReturnValue:
    release = _release_or_404(release_id)
    return render_template("portal/release.html", p=present_draft(release, desk_files=True),
                           preview=True)


def _preview_message(release: Release) -> EmailMessage:
    from flask import current_app

    return render_message(services.draft_mail(release), current_app.jinja_env)


def _part(msg: EmailMessage, subtype: str) -> str:
    body = msg.get_body((subtype,))
    assert body is not None  # the renderer always writes both parts
    return str(body.get_content())


@bp.route("/releases/<int:release_id>/preview/email")
def preview_email(release_id: int) -> ResponseReturnValue:
    release = _release_or_404(release_id)
    msg = _preview_message(release)
    return render_template(
        "desk/preview_email.html", release=release, subject=str(msg["Subject"]),
        sender=str(msg["From"]), reply_to=str(msg.get("Reply-To", "")),
        text=_part(msg, "plain"), action_form=ActionForm(),
        can_test="test_mail" in workflow.allowed(release, _user()),
        colleagues=workflow.test_colleagues(release, _user()),
        max_colleagues=workflow.MAX_TEST_COLLEAGUES)


@bp.route("/releases/<int:release_id>/preview/email.html")
def preview_email_html(release_id: int) -> ResponseReturnValue:
    """The HTML part alone, for the preview's sandboxed frame. Email HTML needs inline styles,
    so this answer (and only this) gets its own CSP: styles yes, scripts never."""
    release = _release_or_404(release_id)
    html = _part(_preview_message(release), "html")
    resp = make_response(html)
    resp.headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self' data: http: https:; style-src 'unsafe-inline'; "
        "frame-ancestors 'self'; base-uri 'none'; form-action 'none'")
    resp.headers["X-Frame-Options"] = "SAMEORIGIN"
    return resp


@bp.route("/releases/<int:release_id>/test-mail", methods=["POST"])
def test_mail(release_id: int) -> ResponseReturnValue:
    release = _release_or_404(release_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        to = workflow.send_test(release, _user(), request.form.getlist("colleagues", type=int))
    except services.ReleaseError as exc:
        _refused(exc)
    else:
        flash(_("Testmail an %(to)s gesendet. Sie zählt nicht als Versand.", to=", ".join(to)),
              "success")
    return redirect(url_for(".preview_email", release_id=release.id))


# --- Workflow buttons --------------------------------------------------------------------------


def _act(release_id: int, fn: Callable[[Release, User], object], ok: str) -> ResponseReturnValue:
    release = _release_or_404(release_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        fn(release, _user())
    except services.ReleaseError as exc:
        _refused(exc)
    else:
        flash(ok, "success")
    return _back(release)


@bp.route("/releases/<int:release_id>/submit", methods=["POST"])
def submit(release_id: int) -> ResponseReturnValue:
    return _act(release_id, workflow.submit, _("Zur Prüfung eingereicht."))


@bp.route("/releases/<int:release_id>/approve", methods=["POST"])
def approve(release_id: int) -> ResponseReturnValue:
    return _act(release_id, workflow.approve, _("Freigegeben."))


@bp.route("/releases/<int:release_id>/reject", methods=["POST"])
def reject(release_id: int) -> ResponseReturnValue:
    """Return for changes, with the comment the author sees (the form keeps a typed comment
    when the step is refused)."""
    release = _release_or_404(release_id)
    form = ReturnForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        workflow.reject(release, _user(), form.comment.data or "")
    except services.ReleaseError as exc:
        _refused(exc)
        return _render_show(release, status=400, return_form=form)
    flash(_("Zurück an die Redaktion gegeben. Sie sieht Ihren Kommentar bei der Mitteilung."),
          "success")
    return _back(release)


@bp.route("/releases/<int:release_id>/unschedule", methods=["POST"])
def unschedule(release_id: int) -> ResponseReturnValue:
    return _act(release_id, workflow.unschedule, _("Planung aufgehoben."))


@bp.route("/releases/<int:release_id>/correction/approve", methods=["POST"])
def approve_correction(release_id: int) -> ResponseReturnValue:
    release = _release_or_404(release_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        version = workflow.approve_correction(release, _user())
    except services.ReleaseError as exc:
        _refused(exc)
        return _back(release)
    flash(_("Korrektur freigegeben und veröffentlicht. Die Redaktionen erhalten eine "
            "„Korrektur:“-E-Mail."), "success")
    return redirect(url_for("delivery.report", version_id=version.id))


@bp.route("/releases/<int:release_id>/correction/discard", methods=["POST"])
def discard_correction(release_id: int) -> ResponseReturnValue:
    return _act(release_id, workflow.discard_correction, _("Korrektur verworfen."))


@bp.route("/releases/<int:release_id>/publish/confirm", methods=["POST"])
def confirm_publish(release_id: int) -> ResponseReturnValue:
    """The publish form's first submit: name the lists and count the addresses before anything
    is sent. The page's own form (the same values, hidden) posts to ``publish``; no JavaScript
    is needed for the question."""
    release = _release_or_404(release_id)
    lists = _lists(release.office_id)
    form = PublishForm()
    form.lists.choices = [(dl.id, dl.name) for dl in lists]
    if not form.validate_on_submit():
        abort(400)
    later = form.when.data == "later"
    try:
        workflow.check(release, _user(), "schedule" if later else "publish")
        list_ids = workflow.check_lists(form.lists.data)
        embargo = workflow.parse_berlin(form.embargo_until.data)
        at = workflow.parse_berlin(form.scheduled_at.data) if later else None
        if later and at is None:
            raise workflow.WorkflowError(_("Bitte den Veröffentlichungszeitpunkt angeben."))
    except services.ReleaseError as exc:
        _refused(exc)
        return _render_show(release, status=400, publish_form=form)
    chosen = [dl for dl in lists if dl.id in list_ids]
    recipients = services.recipients_for(release.office, list_ids, release=release,
                                         defer_links=True)  # counted only
    return render_template(
        "desk/confirm_publish.html", release=release, form=form, lists=chosen,
        recipients=len(recipients), outlets=len({r.outlet_id for r in recipients}),
        embargo=embargo, at=at)


@bp.route("/releases/<int:release_id>/publish", methods=["POST"])
def publish(release_id: int) -> ResponseReturnValue:
    release = _release_or_404(release_id)
    form = PublishForm()
    form.lists.choices = [(dl.id, dl.name) for dl in _lists(release.office_id)]
    if not form.validate_on_submit():
        abort(400)
    user = _user()
    try:
        embargo = workflow.parse_berlin(form.embargo_until.data)
        if form.when.data == "later":
            at = workflow.parse_berlin(form.scheduled_at.data)
            if at is None:
                raise workflow.WorkflowError(_("Bitte den Veröffentlichungszeitpunkt angeben."))
            workflow.schedule(release, user, at, form.lists.data or [], embargo)
        else:
            version = workflow.publish(release, user, form.lists.data or [], embargo)
    except services.ReleaseError as exc:
        _refused(exc)
        return _render_show(release, status=400, publish_form=form)
    if form.when.data == "later":
        assert release.scheduled_at is not None
        flash(_("Geplant: wird am %(at)s veröffentlicht.",
                at=german_datetime(release.scheduled_at)), "success")
        return _back(release)
    if embargo:
        flash(_("Versand an die Redaktionen läuft, mit SPERRFRIST bis %(at)s. Im Portal "
                "erscheint die Mitteilung erst danach.", at=german_datetime(embargo)), "success")
    else:
        flash(_("Veröffentlicht. Der Versand an die Redaktionen läuft."), "success")
    return redirect(url_for("delivery.report", version_id=version.id))


@bp.route("/releases/<int:release_id>/withdraw", methods=["POST"])
def withdraw(release_id: int) -> ResponseReturnValue:
    release = _release_or_404(release_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        version = workflow.withdraw(release, _user(), form.reason.data or "")
    except services.ReleaseError as exc:
        _refused(exc)
        return _back(release)
    flash(_("Zurückgezogen. Die Redaktionen erhalten eine „Zurückgezogen:“-E-Mail; im Portal "
            "ist die Mitteilung nicht mehr abrufbar."), "success")
    return redirect(url_for("delivery.report", version_id=version.id))


# --- Copies, templates, deleting a draft, moving the Sperrfrist ---------------------------------


@bp.route("/releases/<int:release_id>/duplicate", methods=["POST"])
def duplicate(release_id: int) -> ResponseReturnValue:
    release = _release_or_404(release_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    workflow.check(release, _user(), "duplicate")
    try:
        copy = services.duplicate_release(release, _user())
    except (services.ReleaseError, images.ImageError, attachments.AttachmentError) as exc:
        _refused(exc)
        return _back(release)
    flash(_("Kopie als neuer Entwurf angelegt. Das Original bleibt unverändert."), "success")
    return redirect(url_for(".edit", release_id=copy.id))


@bp.route("/releases/<int:release_id>/delete", methods=["GET", "POST"])
def delete(release_id: int) -> ResponseReturnValue:
    """A draft that was never published: a page asks first (no JavaScript needed), its form
    deletes."""
    release = _release_or_404(release_id)
    try:
        workflow.check(release, _user(), "delete")
    except workflow.WorkflowError as exc:
        flash(str(exc), "error")
        return _back(release)
    form = ActionForm()
    if request.method == "GET":
        return render_template("desk/confirm_delete.html", release=release, form=form)
    if not form.validate_on_submit():
        abort(400)
    headline = release.headline
    try:
        services.delete_draft(release, _user())
    except services.ReleaseError as exc:
        _refused(exc)
        return redirect(url_for(".index"))
    flash(_("Entwurf „%(headline)s“ gelöscht.", headline=headline), "success")
    return redirect(url_for(".index"))


@bp.route("/releases/<int:release_id>/as-template", methods=["POST"])
def save_template(release_id: int) -> ResponseReturnValue:
    release = _release_or_404(release_id)
    form = TemplateForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        row = templates.save_from(release, _user(), form.name.data or "")
    except services.ReleaseError as exc:
        _refused(exc)
        return _render_show(release, status=400, template_form=form)
    flash(_("Vorlage „%(name)s“ gespeichert. Sie steht unter „Neue Mitteilung“ zur Wahl.",
            name=row.name), "success")
    return _back(release)


@bp.route("/vorlagen/")
def template_list() -> ResponseReturnValue:
    office = current_office()
    current_role()
    return render_template("desk/templates.html", office=office, builtin=templates.BUILTIN,
                           rows=templates.office_rows(office), form=ActionForm())


@bp.route("/vorlagen/<int:template_id>/edit", methods=["GET", "POST"])
def edit_template(template_id: int) -> ResponseReturnValue:
    """Name and text of one of the office's own templates (built-in ones are not edited)."""
    office = current_office()
    current_role()
    row = templates.office_row(office, template_id) or abort(404)
    form = TemplateEditForm(obj=row)
    if form.validate_on_submit():
        try:
            changed = templates.update(office, _user(), row, form.name.data or "",
                                       {k: getattr(form, k).data or ""
                                        for k in templates.TEXT_FIELDS})
        except services.ReleaseError as exc:
            _refused(exc)
        else:
            flash(_("Vorlage „%(name)s“ gespeichert.", name=row.name) if changed
                  else _("Nichts geändert."), "success" if changed else "info")
            return redirect(url_for(".template_list", _anchor=f"vorlage-{row.id}"))
    return render_template("desk/template_edit.html", office=office, row=row, form=form), \
        400 if form.is_submitted() else 200


@bp.route("/vorlagen/<int:template_id>/delete", methods=["POST"])
def delete_template(template_id: int) -> ResponseReturnValue:
    office = current_office()
    current_role()
    if not ActionForm().validate_on_submit():
        abort(400)
    row = templates.office_row(office, template_id)
    if row is None:
        abort(404)
    name = row.name
    templates.delete(office, _user(), row)
    flash(_("Vorlage „%(name)s“ gelöscht.", name=name), "success")
    return redirect(url_for(".template_list"))


@bp.route("/releases/<int:release_id>/embargo", methods=["POST"])
def change_embargo(release_id: int) -> ResponseReturnValue:
    """Move the Sperrfrist of a sent release (the new time in the form) or lift it
    (``lift=1``); the outlets get a notice."""
    release = _release_or_404(release_id)
    form = EmbargoForm()
    if not form.validate_on_submit():
        abort(400)
    lift = request.form.get("lift") == "1"
    try:
        until = None if lift else workflow.parse_berlin(form.embargo_until.data)
        if not lift and until is None:
            raise workflow.WorkflowError(_("Bitte die neue Sperrfrist angeben."))
        notices = workflow.change_embargo(release, _user(), until)
    except services.ReleaseError as exc:
        _refused(exc)
        return _render_show(release, status=400, embargo_form=form)
    if lift:
        flash(_("Sperrfrist aufgehoben: Die Mitteilung ist jetzt öffentlich. %(n)s Redaktionen "
                "erhalten einen Hinweis.", n=notices), "success")
    else:
        assert until is not None
        flash(_("Sperrfrist verschoben auf %(at)s. %(n)s Redaktionen erhalten einen Hinweis.",
                at=german_datetime(until), n=notices), "success")
    return _back(release)


# --- Images and attachments --------------------------------------------------------------------


def _check_upload(release: Release) -> ResponseReturnValue | None:
    try:
        workflow.check(release, _user(), "upload")
    except workflow.WorkflowError as exc:
        flash(str(exc), "error")
        return _back(release)
    return None


def _upload(release_id: int, form: ImageForm | AttachmentForm,
            store: Callable[[Release, str, bytes, Any], list[str]],
            ok: Callable[[int], str]) -> ResponseReturnValue:
    """The one upload path for images and attachments: check the step, let ``store(release,
    filename, data, form)`` judge the file or files (raising ``ValueError`` with a message for
    the user), note the edit, answer with ``ok(number of files)``. Returns what ``store``
    returned as extra messages."""
    release = _release_or_404(release_id)
    if (refused := _check_upload(release)) is not None:
        return refused
    if not form.validate_on_submit():
        abort(400)
    file = request.files.get("file")
    try:
        notes = store(release, (file.filename or "") if file else "",
                      file.read() if file else b"", form)
        workflow.note_edit(release, _user())
    except (images.ImageError, attachments.AttachmentError) as exc:
        _refused(exc)
        return _render_show(release, status=400, **{f"{form.kind}_form": form})  # typed texts
    flash(ok(len([f for f in request.files.getlist("file") if f.filename]) or 1), "success")
    for note in notes:
        flash(note, "info")
    return _back(release)


def _remove(release_id: int, kind: str, item_id: int, ok: str) -> ResponseReturnValue:
    release = _release_or_404(release_id)
    if (refused := _check_upload(release)) is not None:
        return refused
    if not ActionForm().validate_on_submit():
        abort(400)
    if kind == "image":
        img = next((i for i in release.images if i.id == item_id), None) or abort(404)
        images.remove_image(release, img)
    else:
        att = next((a for a in release.attachments if a.id == item_id), None) or abort(404)
        attachments.remove_attachment(release, att)
    workflow.note_edit(release, _user())
    flash(ok, "success")
    return _back(release)


def _store_image(release: Release, filename: str, data: bytes, form: ImageForm) -> list[str]:
    """One or several photos at once (the same texts for each; every one can be changed
    afterwards)."""
    files = [f for f in request.files.getlist("file") if f.filename] or None
    for f in files or ():
        f.stream.seek(0)  # the one upload path read the first file already
    notes: list[str] = []
    for name, content in ([(f.filename or "", f.read()) for f in files] if files
                          else [(filename, data)]):
        _img, warning = images.add_image(release, name, content, form.caption.data or "",
                                         form.credit.data or "", form.alt.data or "",
                                         form.rights.data or "")
        if warning:
            notes.append(f"{name}: {warning}" if files and len(files) > 1 else warning)
    return notes


def _store_attachment(release: Release, filename: str, data: bytes, _form: Any) -> list[str]:
    """One or several documents at once."""
    files = [f for f in request.files.getlist("file") if f.filename]
    for f in files:
        f.stream.seek(0)  # the one upload path read the first file already
    attachments.add_attachments(release, [(f.filename or "", f.read()) for f in files]
                                if files else [(filename, data)])
    return []


@bp.route("/releases/<int:release_id>/images", methods=["POST"])
def upload_image(release_id: int) -> ResponseReturnValue:
    return _upload(release_id, ImageForm(), _store_image, lambda n: ngettext(
        "%(num)d Bild gespeichert.", "%(num)d Bilder gespeichert.", n))


@bp.route("/releases/<int:release_id>/images/<int:image_id>/delete", methods=["POST"])
def delete_image(release_id: int, image_id: int) -> ResponseReturnValue:
    return _remove(release_id, "image", image_id, _("Bild entfernt."))


def _image_or_404(release: Release, image_id: int) -> ReleaseImage:
    img = next((i for i in release.images if i.id == image_id), None)
    if img is None:
        abort(404)
    return img


@bp.route("/releases/<int:release_id>/images/<int:image_id>", methods=["POST"])
def edit_image(release_id: int, image_id: int) -> ResponseReturnValue:
    """Caption, credit, alt text and rights after the upload."""
    release = _release_or_404(release_id)
    if (refused := _check_upload(release)) is not None:
        return refused
    form = ImageForm()
    if not form.validate_on_submit():
        abort(400)
    img = _image_or_404(release, image_id)
    try:
        images.update_texts(img, form.caption.data or "", form.credit.data or "",
                            form.alt.data or "", form.rights.data or "")
        workflow.note_edit(release, _user())
    except images.ImageError as exc:
        _refused(exc)
        return _back(release)
    flash(_("Bildangaben gespeichert."), "success")
    return redirect(url_for(".show", release_id=release.id, _anchor=f"bild-{img.id}"))


@bp.route("/releases/<int:release_id>/images/<int:image_id>/<any(up, down, lead):where>",
          methods=["POST"])
def move_image(release_id: int, image_id: int, where: str) -> ResponseReturnValue:
    """One place up or down, or first ("Titelbild": first in the portal and the mail)."""
    release = _release_or_404(release_id)
    if (refused := _check_upload(release)) is not None:
        return refused
    if not ActionForm().validate_on_submit():
        abort(400)
    img = _image_or_404(release, image_id)
    images.move(release, img, {"up": img.position - 1, "down": img.position + 1, "lead": 0}[where])
    workflow.note_edit(release, _user())
    flash(_("Titelbild gewählt.") if where == "lead" else _("Reihenfolge gespeichert."),
          "success")
    return redirect(url_for(".show", release_id=release.id, _anchor="bilder"))


@bp.route("/releases/<int:release_id>/attachments", methods=["POST"])
def upload_attachment(release_id: int) -> ResponseReturnValue:
    return _upload(release_id, AttachmentForm(), _store_attachment, lambda n: ngettext(
        "%(num)d Anhang gespeichert.", "%(num)d Anhänge gespeichert.", n))


@bp.route("/releases/<int:release_id>/attachments/<int:attachment_id>/delete", methods=["POST"])
def delete_attachment(release_id: int, attachment_id: int) -> ResponseReturnValue:
    return _remove(release_id, "attachment", attachment_id, _("Anhang entfernt."))


@bp.route("/images/<public_id>/<rendition>.png", defaults={"ext": "png"})
@bp.route("/images/<public_id>/<rendition>.jpg", defaults={"ext": "jpg"})
def desk_image(public_id: str, rendition: str, ext: str = "jpg") -> ResponseReturnValue:
    """Images of any release of the current office, drafts included (members only)."""
    img = db.session.scalar(
        select(ReleaseImage).join(Release)
        .where(ReleaseImage.public_id == public_id, Release.office_id == current_office().id))
    return images.send_image(img, rendition, "private, no-store")


@bp.route("/attachments/<public_id>")
def desk_attachment(public_id: str) -> ResponseReturnValue:
    att = db.session.scalar(
        select(ReleaseAttachment).join(Release)
        .where(ReleaseAttachment.public_id == public_id,
               Release.office_id == current_office().id))
    if att is None:
        abort(404)
    return _send_attachment(att, private=True)


def _send_attachment(att: ReleaseAttachment, private: bool) -> Response:
    path = attachments.attachment_path(att)
    if not path.exists():
        abort(404)
    resp = send_file(path, mimetype=att.content_type, as_attachment=True,
                     download_name=att.filename, conditional=True)
    resp.headers["Cache-Control"] = "private, no-store" if private else "public, max-age=86400"
    return resp


@files_bp.route("/anhaenge/<public_id>/<path:filename>")
@public
def public_attachment(public_id: str, filename: str) -> ResponseReturnValue:
    """Attachments of releases the public may see (same rule as the portal)."""
    att = db.session.scalar(
        select(ReleaseAttachment).join(Release)
        .where(ReleaseAttachment.public_id == public_id, visible()))
    if att is None:
        abort(404)
    return _send_attachment(att, private=False)


FileRow = TypeVar("FileRow", ReleaseImage, ReleaseAttachment)


def _published_file(model: type[FileRow], token: str) -> FileRow:
    public_id = services.unsign_file_id(token)
    if public_id is None:
        abort(404)
    row: FileRow | None = db.session.scalar(
        select(model).join(Release)
        .where(model.public_id == public_id, Release.status == ReleaseStatus.PUBLISHED.value))
    if row is None:
        abort(404)
    return row


@files_bp.route("/redaktionen/bilder/<token>/<rendition>.png", defaults={"ext": "png"})
@files_bp.route("/redaktionen/bilder/<token>/<rendition>.jpg", defaults={"ext": "jpg"})
@public
def outlet_image(token: str, rendition: str, ext: str = "jpg") -> ResponseReturnValue:
    """Images for the outlets' email of a published release, embargo or not (signed link)."""
    resp = images.send_image(_published_file(ReleaseImage, token), rendition,
                             "private, max-age=3600")
    resp.headers["X-Robots-Tag"] = "noindex"
    return resp


@files_bp.route("/redaktionen/anhaenge/<token>/<path:filename>")
@public
def outlet_attachment(token: str, filename: str) -> ResponseReturnValue:
    resp = _send_attachment(_published_file(ReleaseAttachment, token), private=True)
    resp.headers["X-Robots-Tag"] = "noindex"
    return resp
