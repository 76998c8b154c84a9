"""The office's audit log: newest first, paginated."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from pressdesk import paging
from pressdesk.accounts.models import Role
from pressdesk.accounts.services import current_office, require_role
from pressdesk.audit.models import AuditEntry
from pressdesk.extensions import db
from pressdesk.labels import AUDIT_ACTION_LABELS

bp = Blueprint("audit", __name__, url_prefix="/desk/audit")

PER_PAGE = 50

def page_of(office_id: int, page: int, per_page: int = PER_PAGE) -> paging.Page[AuditEntry]:
    return paging.paginate(
        db.session, select(AuditEntry).where(AuditEntry.office_id == office_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()), page, per_page)


@bp.route("/")
def index() -> ResponseReturnValue:
    require_role(Role.PUBLISHER)
    office = current_office()
    page = page_of(office.id, paging.page_number(request.args), PER_PAGE)
    if page.past_end:
        abort(404)
    return render_template("admin/audit.html", office=office, rows=page.items, total=page.total,
                           page=page, labels=AUDIT_ACTION_LABELS)
