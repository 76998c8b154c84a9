"""Login, logout, one's own password, choosing the office and the language."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from pressdesk.accounts import services
from pressdesk.accounts.forms import LoginForm, PasswordChangeForm
from pressdesk.accounts.models import User
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
                session[services.SESSION_KEY] = services.start_session(user)
                login_user(user)
                return redirect(_safe_next(request.args.get("next")))
            services.record_failure(email, client)
            # Deliberate: the failure must count although the 401 rolls the request back.
            db.commit()
            flash(_("E-Mail-Adresse oder Passwort ist falsch."), "error")
            status = 401
    return render_template("accounts/login.html", form=form), status


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
