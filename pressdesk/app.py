"""The application factory: config -> extensions -> Celery -> blueprints -> CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, session

from pressdesk.config import load_settings

PACKAGE_DIR = Path(__file__).resolve().parent
LOCALES = ("de", "en")


def _template_folder() -> str:
    # Installed wheel: templates are packaged inside pressdesk/; checkout: top-level templates/.
    inside = PACKAGE_DIR / "templates"
    return str(inside if inside.is_dir() else PACKAGE_DIR.parent / "templates")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        "pressdesk",
        template_folder=_template_folder(),
        static_folder=str(PACKAGE_DIR / "static"),
        instance_relative_config=True,
    )
    s = load_settings(app.instance_path, config)
    app.extensions["pressdesk.settings"] = s
    app.config.update(
        SECRET_KEY=s.secret_key,
        MAX_CONTENT_LENGTH=s.max_upload_mb * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=s.session_cookie_secure or s.base_url.startswith("https"),
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE="de",
        BABEL_DEFAULT_TIMEZONE="Europe/Berlin",
        BABEL_TRANSLATION_DIRECTORIES=str(PACKAGE_DIR / "translations"),
        TESTING=s.testing,
    )

    trust_proxies(app, s.trusted_proxies)

    from pressdesk.db import init_request_transactions
    from pressdesk.extensions import babel, csrf, db, login_manager

    db.configure(s.database_url)
    # First after_request registered = the last to run: every other hook's changes are included.
    init_request_transactions(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)

    from pressdesk.celery_app import celery_init_app

    celery_init_app(app, s)

    from pressdesk import security

    security.init_app(app)

    from pressdesk.accounts.admin import bp as members_bp
    from pressdesk.accounts.views import bp as accounts_bp
    from pressdesk.api.views import bp as api_bp
    from pressdesk.audit.views import bp as audit_bp
    from pressdesk.delivery.views import bp as delivery_bp
    from pressdesk.feeds.views import bp as feeds_bp
    from pressdesk.formats.views import bp as formats_bp
    from pressdesk.invitations.views import bp as invitations_bp
    from pressdesk.media.public import bp as outlet_links_bp
    from pressdesk.media.views import bp as media_bp
    from pressdesk.offices.views import bp as offices_bp
    from pressdesk.portal.views import bp as portal_bp
    from pressdesk.releases.views import bp as releases_bp
    from pressdesk.releases.views import files_bp as release_files_bp
    from pressdesk.search.views import bp as search_bp
    from pressdesk.subscriptions.views import bp as subscriptions_bp

    for bp in (accounts_bp, releases_bp, delivery_bp, portal_bp, feeds_bp, media_bp, offices_bp,
               members_bp, audit_bp, search_bp, api_bp, subscriptions_bp, release_files_bp,
               formats_bp, invitations_bp, outlet_links_bp):
        app.register_blueprint(bp)

    from pressdesk import templating

    templating.init_app(app)

    from pressdesk.cli import register_cli

    register_cli(app)

    _register_errors(app)

    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        db.session.remove()

    return app


def trust_proxies(app: Flask, hops: int) -> None:
    """Behind ``hops`` reverse proxies, take the client address, scheme and host from their
    X-Forwarded-* headers (werkzeug's ProxyFix); without proxies those headers are ignored, so
    a client cannot choose the address the throttles count it under."""
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Flask's documented way to wrap the WSGI app; mypy sees a method being replaced.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def _select_locale() -> str:
    from flask import has_request_context

    # Services called from the CLI, workers or tests have no session: German.
    chosen = session.get("lang") if has_request_context() else None
    if chosen in LOCALES:
        return str(chosen)
    # German unless the user picked English in the footer switcher.
    return "de"


ERRORS = {
    400: ("Ungültige Anfrage", "Die Anfrage war unvollständig oder abgelaufen. Bitte erneut versuchen."),
    403: ("Kein Zugriff", "Dafür fehlt Ihnen die Berechtigung."),
    404: ("Nicht gefunden", "Diese Seite gibt es nicht (mehr)."),
    410: ("Zurückgezogen", "Diese Mitteilung wurde von der Pressestelle zurückgezogen."),
    413: ("Datei zu groß", "Die hochgeladene Datei überschreitet die erlaubte Größe."),
    429: ("Zu viele Anfragen", "Bitte warten Sie einen Moment und versuchen Sie es erneut."),
}


def _register_errors(app: Flask) -> None:
    from flask import jsonify, render_template, request
    from flask_babel import gettext
    from flask_wtf.csrf import CSRFError

    def render(code: int, message: str | None = None) -> tuple[Any, int]:
        title, default = ERRORS[code]
        if request.path == "/api" or request.path.startswith("/api/"):
            # Programs under /api get the API's JSON error, never an HTML page.
            from werkzeug.http import HTTP_STATUS_CODES

            return jsonify({"error": {"status": code,
                                      "message": f"{HTTP_STATUS_CODES[code]}."}}), code
        return render_template("error.html", code=code, title=gettext(title),
                               message=message or gettext(default)), code

    for code in ERRORS:
        app.register_error_handler(code, lambda e, c=code: render(c))
    app.register_error_handler(
        CSRFError, lambda e: render(400, gettext(
            "Das Formular ist abgelaufen. Bitte laden Sie die Seite neu und senden Sie es erneut.")))
