"""The outlet digest: releases held for an outlet (a daily digest at its hour, or a pause with
"send what I missed afterwards") and sent as one mail.

Holding happens when a release is published (``services.recipients``, given the version);
:func:`send_due` runs from beat, renders one message per due outlet from the *current* version
of each held release (a correction meanwhile is what the outlet reads; a withdrawn release is
left out) and queues it through ``enqueue()`` as its own payload, with the outlet's link token
and one-click leave like every outlet mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from flask import current_app
from jinja2 import Environment
from sqlalchemy import delete, select

from pressdesk.addresses import display_name
from pressdesk.config import settings
from pressdesk.db import utcnow
from pressdesk.delivery.models import Kind
from pressdesk.delivery.queue import Recipient, enqueue
from pressdesk.delivery.render import ReleaseMail, header_text, shared_bytes
from pressdesk.extensions import db
from pressdesk.media import links
from pressdesk.media.models import HeldRelease, Outlet
from pressdesk.offices.models import Office
from pressdesk.releases.models import Release, ReleaseStatus, ReleaseVersion
from pressdesk.text import BERLIN, german_date, german_datetime, one_line


@dataclass(frozen=True)
class DigestMail:
    office_name: str
    sender_name: str
    from_addr: str
    reply_to: str
    list_id: str
    outlet_name: str
    items: tuple[ReleaseMail, ...]
    preferences_url: str
    date: datetime
    text_only: bool = False


def digest_subject(d: DigestMail) -> str:
    day = german_date(d.date)
    if len(d.items) == 1:
        return one_line(f"Pressemitteilung {d.office_name} vom {day}: {d.items[0].headline}")
    return one_line(f"Pressemitteilungen {d.office_name} vom {day}: {len(d.items)} Mitteilungen")


def render_digest(d: DigestMail, env: Environment) -> bytes:
    """One outlet's digest, pure: data in, bytes out (CRLF, SMTP policy)."""
    from pressdesk.releases.markup import plain_text, render_markdown

    items = [{"m": m, "body_text": plain_text(m.body_markdown),
              "body_html": render_markdown(m.body_markdown)} for m in d.items]
    ctx = {"d": d, "items": items, "german_datetime": german_datetime,
           "subject": digest_subject(d)}
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = header_text(digest_subject(d))
    msg["From"] = Address(display_name(d.sender_name), addr_spec=d.from_addr)
    if d.reply_to:
        msg["Reply-To"] = d.reply_to
    msg["Date"] = format_datetime(d.date)
    msg["List-Id"] = f"{display_name(d.office_name)} <{d.list_id}>"
    text = env.get_template("media/email/digest.txt").render(ctx)
    msg.set_content(text.replace("\r\n", "\n"), subtype="plain", charset="utf-8",
                    cte="quoted-printable")
    if not d.text_only:
        html = env.get_template("media/email/digest.html").render(ctx)
        msg.add_alternative(html.replace("\r\n", "\n"), subtype="html", charset="utf-8",
                            cte="quoted-printable")
    return shared_bytes(msg)


# --- When an outlet is due ----------------------------------------------------------------------


def berlin_today(now: datetime) -> datetime:
    return now.astimezone(BERLIN)


def paused(outlet: Outlet, now: datetime) -> bool:
    """Whether the outlet's pause (whole days, Europe/Berlin, both ends included) runs now."""
    if outlet.pause_from is None or outlet.pause_until is None:
        return False
    return outlet.pause_from <= now.astimezone(BERLIN).date() <= outlet.pause_until


def cutoff(outlet: Outlet, now: datetime) -> datetime | None:
    """Releases held before this moment are due now; None: nothing is due (paused)."""
    if paused(outlet, now):
        return None
    if outlet.digest_hour is None:
        return now  # instant outlet after a pause: everything it missed, at once
    local = now.astimezone(BERLIN)
    moment = datetime.combine(local.date(), time(outlet.digest_hour), tzinfo=BERLIN)
    if moment > local:
        moment -= timedelta(days=1)
    return moment


def hold(outlet_ids: list[int], version: ReleaseVersion) -> None:
    """Keep this release for these outlets' next digest (once per outlet and release)."""
    existing = set(db.session.scalars(select(HeldRelease.outlet_id).where(
        HeldRelease.release_id == version.release_id, HeldRelease.outlet_id.in_(outlet_ids))))
    now = utcnow()
    for oid in sorted(set(outlet_ids) - existing):
        db.session.add(HeldRelease(outlet_id=oid, release_id=version.release_id,
                                   version_id=version.id, held_at=now))
    db.session.flush()


def _sender(office: Office) -> tuple[str, str]:
    s = settings()
    return s.mail_from, f"{office.slug}.{s.mail_domain}"


def send_due(now: datetime | None = None) -> int:
    """Queue one digest for every outlet whose held releases are due. Returns digests queued."""
    from pressdesk.releases.services import mail_for

    now = now or utcnow()
    outlet_ids = sorted(set(db.session.scalars(select(HeldRelease.outlet_id))))
    queued = 0
    for oid in outlet_ids:
        outlet = db.session.get(Outlet, oid)
        if outlet is None:
            continue
        if outlet.left_at is not None or not outlet.active:
            db.session.execute(delete(HeldRelease).where(HeldRelease.outlet_id == oid))
            continue
        until = cutoff(outlet, now)
        if until is None:
            continue
        held = list(db.session.scalars(select(HeldRelease).where(
            HeldRelease.outlet_id == oid, HeldRelease.held_at <= until)
            .order_by(HeldRelease.held_at, HeldRelease.id)))
        if not held:
            continue
        versions: list[ReleaseVersion] = []
        for h in held:
            release = db.session.get(Release, h.release_id)
            if release is None or release.status == ReleaseStatus.WITHDRAWN.value:
                continue
            versions.append(release.versions[-1])
        for h in held:
            db.session.delete(h)
        if not versions:
            continue
        office = db.session.get(Office, outlet.office_id)
        assert office is not None
        from_addr, list_id = _sender(office)
        items = tuple(mail_for(v) for v in versions)
        token = links.outlet_link_token(outlet)
        d = DigestMail(office_name=office.name, sender_name=office.sender_name or office.name,
                       from_addr=from_addr, reply_to=items[-1].reply_to, list_id=list_id,
                       outlet_name=outlet.name, items=items,
                       preferences_url=links.preferences_url(token), date=now,
                       text_only=outlet.text_only)
        payload = render_digest(d, current_app.jinja_env)
        leave = links.leave_url(token)
        newest = max(versions, key=lambda v: v.id)
        enqueue(newest, [Recipient(email=a, name=outlet.name, outlet_id=outlet.id,
                                   payload=payload, unsubscribe_url=leave, link_token=token)
                         for a in outlet.addresses], kind=Kind.OUTLET_DIGEST.value)
        queued += 1
    db.session.flush()
    return queued
