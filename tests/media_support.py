"""Helpers for the media, admin and i18n tests: extra members, the audit trail."""

from __future__ import annotations

from sqlalchemy import select

from pressdesk.accounts.models import Role
from pressdesk.accounts.services import create_user
from pressdesk.audit.models import AuditEntry
from pressdesk.extensions import db
from tests.helpers import PASSWORD, office


def member(slug: str, role: Role, email: str | None = None, name: str = "Test Person") -> str:
    email = email or f"{role.value}.{slug}@pressdesk.example"
    create_user(email, name, PASSWORD, office(slug), role)
    db.session.commit()
    return email


def audit_actions(slug: str) -> list[str]:
    db.session.remove()
    return list(db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.office_id == office(slug).id)
        .order_by(AuditEntry.id)))
