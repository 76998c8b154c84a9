"""The office's audit log: newest first, paginated."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from pressdesk import paging
from pressdesk.accounts.models import Role
from pressdesk.accounts.services import current_office, require_role
from pressdesk.audit.models import AuditEntry
from pressdesk.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/desk/audit")

PER_PAGE = 50

# Readable German labels; actions not listed here show their technical name.
ACTION_LABELS = {
    "release.created": _l("Mitteilung angelegt"), "release.updated": _l("Mitteilung geändert"),
    "release.submitted": _l("Zur Freigabe eingereicht"), "release.approved": _l("Freigegeben"),
    "release.rejected": _l("Zurückgewiesen"), "release.scheduled": _l("Veröffentlichung geplant"),
    "release.published": _l("Veröffentlicht"), "release.corrected": _l("Korrigiert"),
    "release.withdrawn": _l("Zurückgezogen"), "release.embargo_ended": _l("Sperrfrist abgelaufen"),
    "deliveries.retried": _l("Versand wiederholt"),
    "outlet.created": _l("Medium angelegt"), "outlet.updated": _l("Medium geändert"),
    "outlet.deleted": _l("Medium gelöscht"), "outlets.imported": _l("Medien importiert"),
    "list.created": _l("Verteiler angelegt"), "list.updated": _l("Verteiler geändert"),
    "list.deleted": _l("Verteiler gelöscht"),
    "member.created": _l("Konto angelegt"), "member.added": _l("Mitglied hinzugefügt"),
    "member.role": _l("Rolle geändert"), "member.deactivated": _l("Mitglied deaktiviert"),
    "member.activated": _l("Mitglied aktiviert"), "member.reactivated": _l("Mitglied reaktiviert"),
    "office.settings": _l("Einstellungen geändert"),
    "topic.created": _l("Thema angelegt"), "topic.renamed": _l("Thema umbenannt"),
    "topic.deleted": _l("Thema gelöscht"), "region.created": _l("Region angelegt"),
    "region.renamed": _l("Region umbenannt"), "region.deleted": _l("Region gelöscht"),
}


def page_of(office_id: int, page: int, per_page: int = PER_PAGE) -> paging.Page[AuditEntry]:
    return paging.paginate(
        db.session, select(AuditEntry).where(AuditEntry.office_id == office_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()), page, per_page)


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    require_role(Role.PUBLISHER)
    office = current_office()
    page = page_of(office.id, paging.page_number(request.args), PER_PAGE)
    if page.past_end:
        abort(404)
    return render_template("admin/audit.html", office=office, rows=page.items, total=page.total,
                           page=page, labels=ACTION_LABELS)
