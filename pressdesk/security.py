"""Security defaults: login required unless a view is marked public, headers on every answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, redirect, request, url_for
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_login import current_user

F = TypeVar("F", bound=Callable[..., Any])

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def public(view: F) -> F:
    """Mark a view as reachable without login. Everything else requires a login."""
    setattr(view, "pressdesk_public", True)  # noqa: B010  (a function attribute mypy cannot see)
    return view


def frameable(view: F) -> F:
    """Allow other sites to frame this view (the embeddable office widget); nothing else is."""
    setattr(view, "pressdesk_frameable", True)  # noqa: B010
    return view


def stateless(view: F) -> F:
    """Mark a public view whose answer is the same for everyone (feeds): the session cookie is
    neither refreshed nor set there, so shared caches may keep it (no ``Vary: Cookie``)."""
    setattr(view, "pressdesk_stateless", True)  # noqa: B010
    return view


class _Sessions(SecureCookieSessionInterface):
    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        view = app.view_functions.get(request.endpoint or "")
        if getattr(view, "pressdesk_stateless", False) and not session.modified:
            return
        super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    app.session_interface = _Sessions()

    @app.before_request
    def _require_login() -> Any:
        if request.endpoint is None or request.endpoint == "static":
            return None
        view = app.view_functions.get(request.endpoint)
        if view is not None and getattr(view, "pressdesk_public", False):
            return None
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
        return None

    @app.after_request
    def _headers(resp: Response) -> Response:
        h = resp.headers
        view = app.view_functions.get(request.endpoint or "")
        if view is not None and getattr(view, "pressdesk_frameable", False):
            h.setdefault("Content-Security-Policy",
                         CSP.replace("frame-ancestors 'none'", "frame-ancestors *"))
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if "frame-ancestors *" not in h.get("Content-Security-Policy", ""):
            h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return resp
