"""Rendered portal pages for anonymous readers, from the one document store (``pagecache``).

A page is keyed by the data state the feeds use (``feeds.services.state`` of everything public)
with a digest of the offices' settings, its URL and its language, so a publish, correction,
withdrawal, embargo end or office edit is a new key: no stale page. Never cached: a logged-in
user's page, a page with flashed messages, anything but a plain 200 HTML answer, an answer that
sets a cookie. The pages carry forms (language switch) with
the reader's CSRF token: the stored page holds a placeholder, each answer puts in the reader's own
token, so no token is ever shared. The ETag includes a digest of the reader's token; answers are
``private, no-cache``: the browser revalidates and gets a 304 while nothing changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, g, make_response, request, session
from flask.sansio.app import App
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from pressdesk import pagecache
from pressdesk.config import settings
from pressdesk.extensions import db

F = TypeVar("F", bound=Callable[..., Any])

# What the stored page holds where the reader's token goes (never a real token).
PLACEHOLDER = "\x00pressdesk-csrf\x00"
_PLACEHOLDER_HTML = b"\x00pressdesk-csrf\x00"


def install_csrf_placeholder(app: App) -> None:
    """While a page is rendered for the store, ``csrf_token()`` yields the placeholder."""
    real = app.jinja_env.globals.get("csrf_token", generate_csrf)
    if getattr(real, "pressdesk_placeholder", False) or not callable(real):
        return

    def csrf_token(*args: Any, **kwargs: Any) -> str:
        if g.get("pressdesk_page_render"):
            return PLACEHOLDER
        return str(real(*args, **kwargs))

    csrf_token.pressdesk_placeholder = True  # type: ignore[attr-defined]  # a marker attribute
    app.jinja_env.globals["csrf_token"] = csrf_token
    # Flask-WTF also puts it into every template context; registered later, this one wins.
    app.context_processor(lambda: {"csrf_token": csrf_token})


def cacheable() -> bool:
    return (request.method == "GET" and not current_user.is_authenticated
            and "_flashes" not in session)


def state_signature() -> str:
    """The data state every portal page depends on: the feeds' release state and the offices'
    settings (names, descriptions, contacts, imprints are on the pages too); both cheap and
    micro-cached for ``PRESSDESK_FEED_STATE_TTL`` like the feeds' state."""
    from pressdesk.feeds import services as feeds

    scope = feeds.cached_scope("all", feeds.scope_all)
    assert scope is not None  # scope_all always resolves
    return feeds.state(scope).signature + "|" + offices_digest()


def offices_digest() -> str:
    """A digest of every office row: an office's settings change the pages without any
    release changing (a few hundred rows at most, read at most once per TTL)."""
    from pressdesk.offices.models import Office

    ttl = settings().feed_state_ttl
    cache_ = pagecache.micro_cache("pressdesk.page_offices") if ttl > 0 else None
    hit = cache_.get("offices") if cache_ is not None else None
    if isinstance(hit, str):
        return hit
    rows = db.session.execute(select(Office.__table__).order_by(Office.id)).all()
    digest = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()[:16]
    if cache_ is not None:
        cache_.set("offices", digest)
    return digest


def office_changed() -> None:
    """An office's settings or logo change: once committed, this process forgets the offices'
    digest at once (other processes within ``PRESSDESK_FEED_STATE_TTL``), so the next page is
    rendered anew."""
    from pressdesk.db import after_commit

    after_commit(db.session(), lambda: pagecache.micro_cache("pressdesk.page_offices").clear())


def page_key(signature: str) -> str:
    text = "|".join(("page", signature, str(get_locale() or "de"), request.full_path,
                     settings().base_url))
    return "page:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def _token_digest() -> str:
    raw = session.get("csrf_token")
    return hashlib.sha256(str(raw).encode()).hexdigest()[:8] if raw else "none"


def _finish(body: bytes, key: str) -> Response:
    token = generate_csrf()  # the reader's own (put into the session when new)
    resp = Response(body.replace(_PLACEHOLDER_HTML, token.encode()),
                    content_type="text/html; charset=utf-8")
    _headers(resp, key)
    return resp


def _headers(resp: Response, key: str) -> None:
    resp.set_etag(key.removeprefix("page:") + "-" + _token_digest())
    # The body carries this reader's CSRF token: browsers may keep it, shared caches may not.
    resp.headers["Cache-Control"] = "private, no-cache"
    resp.vary.add("Cookie")


def cached_page(view: F) -> F:
    """Serve the view's page from the store when the reader is anonymous (see module doc)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not cacheable():
            return view(*args, **kwargs)
        key = page_key(state_signature())
        etag = key.removeprefix("page:") + "-" + _token_digest()
        if request.if_none_match.contains_weak(etag):
            resp = Response(status=304)
            _headers(resp, key)
            return resp
        store = pagecache.store()
        hit = store.get(key)
        if hit is not None:
            return _finish(hit[0], key)
        before = dict(session)
        g.pressdesk_page_render = True
        try:
            resp = make_response(view(*args, **kwargs))
        finally:
            g.pressdesk_page_render = False
        if (resp.status_code != 200 or resp.mimetype != "text/html" or resp.is_streamed
                or "Set-Cookie" in resp.headers or dict(session) != before):
            # Not a shared page: render again the ordinary way if the placeholder got in.
            if _PLACEHOLDER_HTML in resp.get_data():
                return view(*args, **kwargs)
            return resp
        body = resp.get_data()
        store.set(key, body, b"")
        return _finish(body, key)

    return wrapper  # type: ignore[return-value]  # same signature as the view
