"""Pure rendering of the invitation's service mail: the reminder the day before (to those who
come) and the follow-up with the release and its photos (to those who could not come)."""

from __future__ import annotations

from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from jinja2 import Environment

from pressdesk.addresses import display_name
from pressdesk.config import settings
from pressdesk.delivery.render import header_text, shared_bytes
from pressdesk.invitations.models import Invitation
from pressdesk.invitations.values import PublicAppointment
from pressdesk.releases.presenter import PublicRelease
from pressdesk.text import german_datetime, one_line


def subject(kind: str, a: PublicAppointment) -> str:
    if kind == "reminder":
        return one_line(f"Erinnerung: {a.title} am {german_datetime(a.starts_at)}")
    return one_line(f"Nachbericht: {a.title} ({a.office_name})")


def render(kind: str, a: PublicAppointment, inv: Invitation, p: PublicRelease, date: datetime,
           env: Environment) -> bytes:
    """One message (all headers but To and Message-ID), for every recipient of this kind.
    ``p``: the invitation (reminder) or the release the follow-up sends."""
    release = inv.release
    text = env.get_template(f"invitations/mail_{kind}.txt").render(
        a=a, p=p, german_datetime=german_datetime)
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = header_text(subject(kind, a))
    msg["From"] = Address(display_name(release.office.sender_name or release.office.name),
                          addr_spec=settings().mail_from)
    if p.reply_to:
        msg["Reply-To"] = p.reply_to
    msg["Date"] = format_datetime(date)
    msg.set_content(text.replace("\r\n", "\n"), subtype="plain", charset="utf-8",
                    cte="quoted-printable")
    return shared_bytes(msg)
