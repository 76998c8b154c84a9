"""Write audit entries in the caller's transaction, so the log and the change commit together."""

from __future__ import annotations

from pressdesk.accounts.models import User
from pressdesk.audit.models import AuditEntry
from pressdesk.extensions import db


def record(office_id: int, user: User | None, action: str, target_type: str = "",
           target_id: int | None = None, detail: str = "") -> AuditEntry:
    entry = AuditEntry(office_id=office_id, user_id=getattr(user, "id", None),
                       user_name=getattr(user, "name", "") or "System", action=action,
                       target_type=target_type, target_id=target_id, detail=detail)
    db.session.add(entry)
    return entry
