"""The office's audit log: newest first, paginated."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from sqlalchemy import func, select

from pressdesk.accounts.models import Role
from pressdesk.accounts.services import current_office, require_role
from pressdesk.audit.models import AuditEntry
from pressdesk.extensions import db
from pressdesk.labels import AUDIT_ACTION_LABELS

bp = Blueprint("audit", __name__, url_prefix="/desk/audit")

PER_PAGE = 50

def page_of(office_id: int, page: int, per_page: int = PER_PAGE) -> tuple[list[AuditEntry], int]:
    total = db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.office_id == office_id)) or 0
    rows = db.session.scalars(
        select(AuditEntry).where(AuditEntry.office_id == office_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset((page - 1) * per_page).limit(per_page)).all()
    return list(rows), total


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    require_role(Role.PUBLISHER)
    office = current_office()
    page = request.args.get("page", 1, type=int)
    if page < 1:
        abort(404)
    rows, total = page_of(office.id, page, PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    if page > pages:
        abort(404)
    return render_template("admin/audit.html", office=office, rows=rows, total=total, page=page,
                           pages=pages, labels=AUDIT_ACTION_LABELS)
