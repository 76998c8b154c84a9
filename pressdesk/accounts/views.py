"""Login (with the second factor), logout, password links, one's own account page, choosing the
office and the language."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from pressdesk import tokens
from pressdesk.accounts import services
from pressdesk.accounts.forms import (
    CodeForm,
    ConfirmForm,
    ForgotPasswordForm,
    LoginForm,
    NotificationsForm,
    PasswordChangeForm,
    SetPasswordForm,
)
from pressdesk.accounts.models import User
from pressdesk.audit.services import record
from pressdesk.extensions import db, login_manager
from pressdesk.security import public

bp = Blueprint("accounts", __name__)


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    # Every request: the session must still exist server-side, not just carry a valid signature.
    return services.session_user(int(user_id), session.get(services.SESSION_KEY))


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after login would help phishing.
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.netloc and not parts.scheme:
            return target
    return url_for("releases.index")


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("releases.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        client = request.remote_addr or "unknown"
        email = form.email.data or ""
        if services.login_blocked(email, client):
            flash(_("Zu viele fehlgeschlagene Anmeldungen. Bitte warten Sie 15 Minuten."), "error")
            status = 429
        else:
            user = services.find_user(email)
            if services.verify_password(user, form.password.data or ""):
                assert user is not None
                services.clear_failures(email, client)
                session.clear()
                if user.has_totp:
                    # Half way: the password was right, the code is still to come.
                    session[PENDING] = {"u": user.id, "at": time.time(),
                                        "next": _safe_next(request.args.get("next"))}
                    return redirect(url_for(".login_code"))
                return _sign_in(user, _safe_next(request.args.get("next")))
            services.record_failure(email, client)
            # Deliberate: the failure must count although the 401 rolls the request back.
            db.commit()
            flash(_("E-Mail-Adresse oder Passwort ist falsch."), "error")
            status = 401
    return render_template("accounts/login.html", form=form), status


PENDING = "pending_login"
PENDING_SECONDS = 300
# Pages a person who must still set up a second factor may reach.
_SETUP_ENDPOINTS = {"accounts.two_factor", "accounts.change_password", "accounts.logout",
                    "accounts.set_language", "static"}


def _sign_in(user: User, target: str) -> ResponseReturnValue:
    session.clear()
    session[services.SESSION_KEY] = services.start_session(user)
    login_user(user)
    return redirect(target)


@bp.before_app_request
def _second_factor_first() -> ResponseReturnValue | None:
    """An office that requires a second factor: a member without one sets it up before
    anything else (their own password page and logout stay reachable)."""
    if not current_user.is_authenticated or request.endpoint in _SETUP_ENDPOINTS:
        return None
    if request.endpoint is None or current_user.has_totp:
        return None
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "pressdesk_public", False):
        return None  # the portal stays readable; the desk waits
    if services.two_factor_required(current_user):
        if request.method == "GET":
            flash(_("Ihre Pressestelle verlangt einen zweiten Faktor. Richten Sie ihn jetzt ein."),
                  "info")
        return redirect(url_for("accounts.two_factor"))
    return None


def _pending_user() -> User | None:
    pending: Any = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        return None
    user = db.session.get(User, pending.get("u"))
    return user if user is not None and user.active and user.has_totp else None


@bp.route("/login/code", methods=["GET", "POST"])
@public
def login_code() -> ResponseReturnValue:
    """The second step of a login with a second factor: the code of the authenticator app."""
    user = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash(_("Bitte melden Sie sich erneut an: Der Code wurde nicht rechtzeitig eingegeben."),
              "error")
        return redirect(url_for(".login"))
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        client = request.remote_addr or "unknown"
        if services.totp_blocked(user, client):
            flash(_("Zu viele falsche Codes. Bitte warten Sie 15 Minuten."), "error")
            status = 429
        elif services.check_totp(user, form.code.data or "", client):
            return _sign_in(user, str(session.get(PENDING, {}).get("next") or
                                      url_for("releases.index")))
        else:
            db.commit()  # Deliberate: the failure must count although the 401 rolls back.
            form.code.errors = [*form.code.errors, _(
                "Der Code stimmt nicht. Nehmen Sie den aktuellen Code aus Ihrer App; jeder Code "
                "gilt nur einmal.")]
            status = 401
    elif form.is_submitted():
        status = 422
    return render_template("accounts/login_code.html", form=form), status


@bp.route("/passwort-vergessen", methods=["GET", "POST"])
@public
def forgot_password() -> ResponseReturnValue:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        if not services.request_password_reset(form.email.data or "",
                                               request.remote_addr or "unknown"):
            db.commit()  # the count stays although the answer is an error
            flash(_("Zu viele Anfragen. Bitte warten Sie eine Stunde oder wenden Sie sich an "
                    "die Administration Ihrer Pressestelle."), "error")
            return render_template("accounts/forgot.html", form=form), 429
        flash(_("Wenn zu dieser Adresse ein Konto gehört, ist ein Link zum Festlegen eines neuen "
                "Passworts unterwegs. Er gilt eine Stunde und nur einmal."), "success")
        return redirect(url_for(".login"))
    return render_template("accounts/forgot.html", form=form), 422 if form.is_submitted() else 200


def _password_link(purpose: tokens.Purpose, token: str, invitation: bool) -> ResponseReturnValue:
    """The page behind a reset or invitation link: choose a password, then log in."""
    try:
        user = services.user_for_link(purpose, token)
    except tokens.TokenExpired:
        return render_template("accounts/link_invalid.html", expired=True,
                               invitation=invitation), 410
    except tokens.TokenInvalid:
        return render_template("accounts/link_invalid.html", expired=False,
                               invitation=invitation), 404
    form = SetPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.set_password_from_link(user, form.new.data or "")
        except services.PasswordRejected as exc:
            form.new.errors = [*form.new.errors, str(exc)]
            status = 422
        else:
            for m in user.memberships:
                record(m.office_id, user,
                       "account.invitation_accepted" if invitation else "account.password_reset",
                       "user", user.id, user.email)
            flash(_("Ihr Passwort ist gespeichert. Melden Sie sich jetzt damit an."), "success")
            return redirect(url_for(".login"))
    elif form.is_submitted():
        status = 422
    return render_template("accounts/set_password.html", form=form, user=user,
                           invitation=invitation), status


@bp.route("/passwort/neu/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str) -> ResponseReturnValue:
    return _password_link(tokens.PASSWORD_RESET, token, invitation=False)


@bp.route("/einladung/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str) -> ResponseReturnValue:
    return _password_link(tokens.ACCOUNT_INVITE, token, invitation=True)


@bp.route("/desk/account/", methods=["GET", "POST"])
def account() -> ResponseReturnValue:
    """The signed-in person's own settings: workflow mail, password, second factor."""
    user: User = current_user._get_current_object()
    form = NotificationsForm(obj=user)
    if form.validate_on_submit():
        for field in ("notify_submitted", "notify_returned", "notify_approved",
                      "notify_published"):
            setattr(user, field, bool(getattr(form, field).data))
        flash(_("Benachrichtigungen gespeichert."), "success")
        return redirect(url_for(".account"))
    return render_template("accounts/account.html", form=form, confirm_form=ConfirmForm(),
                           required=services.two_factor_required(user)), \
        422 if form.is_submitted() else 200


@bp.route("/desk/account/zweiter-faktor", methods=["GET", "POST"])
def two_factor() -> ResponseReturnValue:
    """Set up the second factor: scan the QR code (or type the key), prove it with one code.
    The secret waits in the signed session cookie until the code proves it was scanned."""
    user: User = current_user._get_current_object()
    form = CodeForm()
    status = 200
    if user.has_totp:
        return redirect(url_for(".account"))
    secret = session.get("totp_setup")
    if not isinstance(secret, str) or not form.is_submitted():
        secret = services.new_totp_secret()
        session["totp_setup"] = secret
    if form.validate_on_submit():
        if services.enable_totp(user, secret, form.code.data or ""):
            session.pop("totp_setup", None)
            services.end_sessions(user, keep=session.get(services.SESSION_KEY))
            for m in user.memberships:
                record(m.office_id, user, "account.two_factor_on", "user", user.id, user.email)
            flash(_("Der zweite Faktor ist eingerichtet. Bei jeder Anmeldung fragt pressdesk "
                    "jetzt nach dem Code aus Ihrer App."), "success")
            return redirect(url_for(".account"))
        form.code.errors = [*form.code.errors, _(
            "Der Code stimmt nicht. Prüfen Sie, ob die Uhr Ihres Telefons richtig geht, und "
            "geben Sie den aktuellen Code ein.")]
        status = 422
    elif form.is_submitted():
        status = 422
    uri = services.totp_uri(secret, user)
    return render_template("accounts/two_factor.html", form=form, secret=secret,
                           qr=services.qr_svg(uri, _("QR-Code für die Authenticator-App")),
                           required=services.two_factor_required(user)), status


@bp.route("/desk/account/zweiter-faktor/aus", methods=["POST"])
def two_factor_off() -> ResponseReturnValue:
    user: User = current_user._get_current_object()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if services.two_factor_required(user):
        flash(_("Ihre Pressestelle verlangt einen zweiten Faktor; er kann nicht abgeschaltet "
                "werden."), "error")
        return redirect(url_for(".account"))
    services.disable_totp(user)
    for m in user.memberships:
        record(m.office_id, user, "account.two_factor_off", "user", user.id, user.email)
    flash(_("Der zweite Faktor ist abgeschaltet."), "success")
    return redirect(url_for(".account"))


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    services.end_session(session.get(services.SESSION_KEY))
    logout_user()
    session.clear()
    return redirect(url_for("portal.home"))


@bp.route("/desk/account/password", methods=["GET", "POST"])
def change_password() -> ResponseReturnValue:
    """The signed-in person's own password; every other session of theirs ends with the change."""
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current.data or "", form.new.data or "",
                                     keep_session=session.get(services.SESSION_KEY))
        except services.PasswordRejected as exc:
            # Shown at the field it is about, like a validator's message.
            form[exc.field].errors = [*form[exc.field].errors, str(exc)]
            status = 422
        else:
            flash(_("Ihr Passwort wurde geändert. Alle anderen Anmeldungen sind beendet."),
                  "success")
            return redirect(url_for("releases.index"))
    elif form.is_submitted():
        status = 422
    return render_template("accounts/password.html", form=form), status


@bp.route("/desk/office", methods=["POST"])
def switch_office() -> ResponseReturnValue:
    office_id = request.form.get("office_id", type=int)
    if office_id is None or current_user.role_in(office_id) is None:
        abort(403)
    session["office_id"] = office_id
    return redirect(url_for("releases.index"))


@bp.route("/lang/<code>", methods=["POST"])
@public
def set_language(code: str) -> ResponseReturnValue:
    if code in ("de", "en"):
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")))
