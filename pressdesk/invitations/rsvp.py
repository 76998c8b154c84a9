"""RSVP: the outlets' replies to an invitation."""

from __future__ import annotations

from sqlalchemy import select

from pressdesk.extensions import db
from pressdesk.invitations.models import Answer, Invitation, InvitationReply
from pressdesk.media.models import Outlet


def replies(inv: Invitation) -> list[tuple[InvitationReply, Outlet]]:
    """The replies to this invitation (its office's outlets only), newest first."""
    return [(r, o) for r, o in db.session.execute(
        select(InvitationReply, Outlet).join(Outlet, Outlet.id == InvitationReply.outlet_id)
        .where(InvitationReply.invitation_id == inv.id, Outlet.office_id == inv.office_id)
        .order_by(InvitationReply.answered_at.desc(), InvitationReply.id.desc())).all()]


def counts(inv: Invitation) -> dict[str, int]:
    out = {a.value: 0 for a in Answer}
    for r, _o in replies(inv):
        out[r.answer] = out.get(r.answer, 0) + 1
    return out
