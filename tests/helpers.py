"""Shared test helpers: the demo logins, a logged-in client, CSRF tokens, and data built through
the real services."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from pressdesk.accounts.services import find_user
from pressdesk.extensions import db
from pressdesk.offices.models import Office
from pressdesk.releases import services
from pressdesk.releases.models import Release

# The demo logins (pressdesk.demo.loader); every one has the same password.
PASSWORD = "pressdesk-demo"
ADMIN = "admin@pressdesk.example"  # member (admin) of every office
EDITOR = "redaktion.leer@pressdesk.example"
PUBLISHER = "leitung.leer@pressdesk.example"
LINGEN_EDITOR = "redaktion.lingen@pressdesk.example"
LINGEN_PUBLISHER = "leitung.lingen@pressdesk.example"

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token in page"
    return match.group(1)


def token_of(client: FlaskClient, path: str) -> str:
    """A CSRF token from the page at ``path``."""
    return csrf_token(client.get(path).get_data(as_text=True))


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> TestResponse:
    """Post the login form as a browser would; returns the answer (302 on success)."""
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": token_of(client, "/login")})


def logged_in(app: Flask, email: str = ADMIN, slug: str = "landkreis-leer") -> FlaskClient:
    """A client logged in as ``email``. The demo admin, a member of every office, is switched
    to the office ``slug``; everyone else works in the office they belong to."""
    client = app.test_client()
    resp = login(client, email)
    assert resp.status_code == 302, f"login failed for {email}: {resp.get_data(as_text=True)}"
    if email == ADMIN:
        resp = client.post("/desk/office", data={"office_id": office(slug).id,
                                                 "csrf_token": token_of(client, "/desk/")})
        assert resp.status_code == 302
    return client


def post(client: FlaskClient, url: str, data: dict[str, Any] | None = None,
         page: str = "/desk/", **kwargs: Any) -> TestResponse:
    """POST a form with a CSRF token taken from ``page``."""
    return client.post(url, data={"csrf_token": token_of(client, page), **(data or {})}, **kwargs)


def office(slug: str) -> Office:
    found = db.session.scalar(select(Office).where(Office.slug == slug))
    assert found is not None, slug
    return found


def draft(slug: str = "landkreis-leer", **fields: str) -> Release:
    data = {"headline": "Neue Radwege im Rheiderland", "subline": "Kreistag beschließt Ausbau",
            "dateline_place": "Leer", "lead": "Der Landkreis baut zwölf Kilometer Radwege.",
            "body": "Die Arbeiten beginnen im **Frühjahr**.\n\n- Bunde\n- Weener"}
    data.update(fields)
    office_ = office(slug)
    author = find_user(f"redaktion.{slug.split('-')[-1]}@pressdesk.example")
    release = services.create_release(office_, author, data)
    db.commit()  # the test is the unit of work: later requests and worker threads see it
    return release
