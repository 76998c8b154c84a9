"""RSVP: the outlets' one-click replies to an invitation, the office's list of them, the
reminder the day before and the follow-up to those who could not come.

A reply link carries the outlet's signed link token (``tokens.OUTLET_LINK`` via
``media.links``, filled into each outlet's mail by the delivery). It is honoured only for an
outlet of the invitation's office that was sent the invitation, while the appointment is not
cancelled and the RSVP deadline (else the start) has not passed; each refusal has its own
clear answer. Reminders and follow-ups are service mail through ``enqueue``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from pressdesk import tokens
from pressdesk.db import utcnow
from pressdesk.delivery.models import Delivery, Kind
from pressdesk.delivery.queue import Recipient, enqueue
from pressdesk.extensions import db
from pressdesk.invitations import mails
from pressdesk.invitations.models import COMING, Answer, Invitation, InvitationReply
from pressdesk.invitations.values import PublicAppointment, value_of
from pressdesk.media.models import Outlet
from pressdesk.releases.models import Release, ReleaseVersion
from pressdesk.text import german_datetime, one_line, strip_controls

ANSWERS = tuple(a.value for a in Answer)
# The reminder goes out when the appointment is at most this far ahead (beat, every 15 min).
REMINDER_AHEAD = timedelta(hours=24)
REMINDER_TASK = "pressdesk.invitation_reminders"


@dataclass
class ReplyRefused(Exception):
    """A reply link that cannot be honoured; ``status`` is the HTTP answer."""

    status: int
    title: str
    message: str


@dataclass(frozen=True)
class ReplyContext:
    invitation: Invitation
    appointment: PublicAppointment
    outlet: Outlet
    reply: InvitationReply | None


def _appointment(inv: Invitation) -> PublicAppointment | None:
    """The appointment as last sent, if its release is public to the outlets (published)."""
    from pressdesk.releases.presenter import permalink

    snap = inv.current
    if snap is None:
        return None
    headline = db.session.scalar(
        select(ReleaseVersion.headline).where(ReleaseVersion.id == snap.version_id)) or ""
    return value_of(inv, snap, headline, permalink(inv.release))


def check_link(public_id: str, token: str) -> ReplyContext:
    """The invitation, its appointment and the outlet a reply link names, or
    :class:`ReplyRefused` saying why not."""
    from pressdesk.media import links

    inv = db.session.scalar(select(Invitation).where(Invitation.public_id == public_id))
    appointment = _appointment(inv) if inv is not None else None
    if inv is None or appointment is None:
        raise ReplyRefused(404, _("Einladung nicht gefunden"),
                           _("Diese Einladung gibt es nicht (mehr)."))
    try:
        outlet_id = links.outlet_id_for(token)
    except links.LinkInvalid as exc:
        if isinstance(exc.__cause__, tokens.TokenExpired):
            raise ReplyRefused(410, _("Link abgelaufen"),
                               _("Dieser Antwort-Link ist abgelaufen. Bitte antworten Sie der "
                                 "Pressestelle per E-Mail.")) from exc
        raise ReplyRefused(400, _("Ungültiger Link"),
                           _("Dieser Antwort-Link ist ungültig oder unvollständig. Bitte "
                             "verwenden Sie den Link aus der Einladung unverändert.")) from exc
    outlet = db.session.get(Outlet, outlet_id)
    got_it = outlet is not None and outlet.office_id == inv.office_id and db.session.scalar(
        select(Delivery.id).join(ReleaseVersion, ReleaseVersion.id == Delivery.version_id)
        .where(ReleaseVersion.release_id == inv.release_id, Delivery.outlet_id == outlet_id,
               Delivery.kind == Kind.OUTLET.value).limit(1)) is not None
    if outlet is None or not got_it:
        raise ReplyRefused(400, _("Ungültiger Link"),
                           _("Dieser Antwort-Link gehört nicht zu dieser Einladung. Bitte "
                             "verwenden Sie den Link aus der Einladung unverändert."))
    reply = db.session.scalar(select(InvitationReply).where(
        InvitationReply.invitation_id == inv.id, InvitationReply.outlet_id == outlet.id))
    return ReplyContext(inv, appointment, outlet, reply)


def check_open(ctx: ReplyContext, now: datetime | None = None) -> None:
    a = ctx.appointment
    if a.cancelled:
        raise ReplyRefused(410, _("Termin abgesagt"),
                           _("Dieser Termin ist abgesagt. Eine Antwort ist nicht mehr nötig."))
    if not a.open_for_replies(now):
        raise ReplyRefused(410, _("Antwortfrist abgelaufen"), _(
            "Die Antwortfrist ist am %(at)s abgelaufen. Bitte wenden Sie sich direkt an die "
            "Pressestelle.", at=german_datetime(a.rsvp_until or a.starts_at)))


def check_answer(answer: str | None) -> str:
    if answer not in ANSWERS:
        raise ReplyRefused(400, _("Unbekannte Antwort"),
                           _("Bitte wählen Sie eine der Antworten aus der Einladung."))
    return answer


def record(ctx: ReplyContext, answer: str, name: str, now: datetime | None = None
           ) -> InvitationReply:
    """Record (or change) the outlet's reply; flushed."""
    check_open(ctx, now)
    answer = check_answer(answer)
    name = one_line(strip_controls(name or ""))[:200]
    reply = ctx.reply
    if reply is None:
        reply = InvitationReply(invitation_id=ctx.invitation.id, outlet_id=ctx.outlet.id,
                                answer=answer, name=name, answered_at=now or utcnow())
        db.session.add(reply)
    else:
        reply.answer, reply.name, reply.answered_at = answer, name, now or utcnow()
        if answer in COMING:
            reply.followed_up_at = None
        else:
            reply.reminded_at = None
    db.session.flush()
    return reply


# --- the office's side -----------------------------------------------------------------------


def replies(inv: Invitation) -> list[tuple[InvitationReply, Outlet]]:
    """The replies to this invitation (its office's outlets only), newest first."""
    return [(r, o) for r, o in db.session.execute(
        select(InvitationReply, Outlet).join(Outlet, Outlet.id == InvitationReply.outlet_id)
        .where(InvitationReply.invitation_id == inv.id, Outlet.office_id == inv.office_id)
        .order_by(InvitationReply.answered_at.desc(), InvitationReply.id.desc())).all()]


def counts(inv: Invitation) -> dict[str, int]:
    out = {a: 0 for a in ANSWERS}
    for r, _o in replies(inv):
        out[r.answer] = out.get(r.answer, 0) + 1
    return out


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """A cell a spreadsheet never runs as a formula (CSV injection)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_export(inv: Invitation) -> bytes:
    """The list for the gate: outlet, name, answer, photographer, time (UTF-8 with BOM, ";",
    as German spreadsheet programs open it)."""
    labels = {Answer.YES.value: "kommt", Answer.PHOTOGRAPHER.value: "kommt mit Fotograf/Kamera",
              Answer.NO.value: "kommt nicht"}
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    w.writerow(["Redaktion", "Name", "Antwort", "Fotograf/Kamerateam", "E-Mail", "Zeit"])
    rows = sorted(replies(inv), key=lambda ro: (ro[0].answer == Answer.NO.value, ro[1].name))
    for r, o in rows:
        w.writerow([_cell(o.name), _cell(r.name), labels.get(r.answer, r.answer),
                    "ja" if r.answer == Answer.PHOTOGRAPHER.value else "nein", _cell(o.email),
                    german_datetime(r.answered_at)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _send(inv: Invitation, rows: list[tuple[InvitationReply, Outlet]], kind: str,
          release: Release | None = None) -> int:
    from pressdesk.releases.presenter import present

    a = _appointment(inv)
    if a is None or not rows:
        return 0
    now = utcnow()
    p = present((release or inv.release).versions[-1])
    payload = mails.render(kind, a, inv, p, now, current_app.jinja_env)
    enqueue(None, [Recipient(o.email, name=o.name, payload=payload) for _r, o in rows],
            kind="service")
    for r, _o in rows:
        if kind == "reminder":
            r.reminded_at = now
        else:
            r.followed_up_at = now
    return len(rows)


def send_reminders(inv: Invitation) -> int:
    """The reminder to those who said they come and have not been reminded yet."""
    if inv.current is None or inv.current.is_cancelled:
        return 0
    rows = [(r, o) for r, o in replies(inv) if r.answer in COMING and r.reminded_at is None]
    return _send(inv, rows, "reminder")


def follow_up_choices(inv: Invitation) -> list[Release]:
    """The releases a follow-up can send: the office's published ones, newest first (the
    report of the appointment is usually the newest)."""
    return list(db.session.scalars(
        select(Release).where(Release.office_id == inv.office_id,
                              Release.status == "published")
        .order_by(Release.published_at.desc(), Release.id.desc()).limit(20)))


def send_follow_ups(inv: Invitation, release: Release) -> int:
    """A release (the report, with its photos) to those who could not come, once each."""
    if inv.current is None:
        return 0
    if release.office_id != inv.office_id or release.status != "published":
        raise ReplyRefused(400, _("Nachbericht"), _("Bitte eine veröffentlichte Mitteilung "
                                                     "dieser Pressestelle wählen."))
    rows = [(r, o) for r, o in replies(inv) if r.answer == Answer.NO.value
            and r.followed_up_at is None]
    return _send(inv, rows, "follow_up", release)


def due_reminders(now: datetime | None = None) -> int:
    """Beat: remind for every appointment that starts within the next 24 hours."""
    from pressdesk.invitations.models import InvitationVersion

    now = now or utcnow()
    ids = list(db.session.scalars(
        select(Invitation.id).join(InvitationVersion, InvitationVersion.id == Invitation.current_id)
        .join(Release, Release.id == Invitation.release_id)
        .where(Release.status == "published",
               InvitationVersion.cancelled.is_(False), InvitationVersion.withdrawn.is_(False),
               InvitationVersion.starts_at > now,
               InvitationVersion.starts_at <= now + REMINDER_AHEAD)))
    sent = 0
    for inv_id in ids:
        inv = db.session.get(Invitation, inv_id)
        if inv is not None:
            sent += send_reminders(inv)
    return sent


def reply_url(public_id: str, token: str, answer: str) -> str:
    from pressdesk.urls import external_url

    return external_url("invitations.reply", public_id=public_id, token=token, antwort=answer)

