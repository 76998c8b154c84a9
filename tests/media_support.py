"""Helpers for the media, admin and i18n tests (branch media)."""

from __future__ import annotations

from sqlalchemy import select

from pressdesk.accounts.models import Role
from pressdesk.accounts.services import create_user
from pressdesk.audit.models import AuditEntry
from pressdesk.extensions import db
from tests.conftest import csrf_token, login
from tests.helpers import office

ADMIN = "admin@pressdesk.example"
PASSWORD = "pressdesk-demo"


def member(slug: str, role: Role, email: str | None = None, name: str = "Test Person") -> str:
    email = email or f"{role.value}.{slug}@pressdesk.example"
    create_user(email, name, PASSWORD, office(slug), role)
    db.session.commit()
    return email


def logged_in(app, email: str = ADMIN, slug: str = "landkreis-leer"):  # type: ignore[no-untyped-def]
    """A client logged in as ``email``; the demo admin (member of every office) works in ``slug``."""
    client = app.test_client()
    resp = login(client, email)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    if email == ADMIN:
        resp = client.post("/desk/office", data={"office_id": office(slug).id,
                                                 "csrf_token": token_of(client, "/desk/")})
        assert resp.status_code == 302
    return client


def token_of(client, path: str) -> str:  # type: ignore[no-untyped-def]
    return csrf_token(client.get(path).get_data(as_text=True))


def audit_actions(slug: str) -> list[str]:
    db.session.remove()
    return list(db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.office_id == office(slug).id)
        .order_by(AuditEntry.id)))
