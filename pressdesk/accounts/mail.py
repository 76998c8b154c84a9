"""Service mail of the desk to its own people (password links, invitations, workflow notices).

``render_desk_mail`` is pure: a subject and a text in, the shared message bytes out (To,
Message-ID and the rest are added per delivery row, like every message). ``send_desk_mail``
renders a template and queues the message through the one way into the outbox, ``enqueue``.
"""

from __future__ import annotations

from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import Any

from flask import current_app

from pressdesk.addresses import display_name
from pressdesk.config import settings
from pressdesk.db import utcnow
from pressdesk.delivery.queue import Recipient, enqueue
from pressdesk.delivery.render import header_text, shared_bytes, thread
from pressdesk.text import one_line


def render_desk_mail(subject: str, text: str, sender_name: str, sender_address: str,
                     date: datetime, reply_to: str = "", thread_id: str = "") -> bytes:
    """A plain-text message (quoted-printable, UTF-8) without recipient headers; with
    ``thread_id`` a follow-up in that release's thread (``delivery.render.thread``)."""
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = header_text(one_line(subject))
    msg["From"] = Address(display_name(sender_name), addr_spec=sender_address)
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Date"] = format_datetime(date)
    msg["Auto-Submitted"] = "auto-generated"
    thread(msg, thread_id, follow_up=True)
    msg.set_content(text.replace("\r\n", "\n"), subtype="plain", charset="utf-8",
                    cte="quoted-printable")
    return shared_bytes(msg)


def send_desk_mail(email: str, name: str, subject: str, template: str, **context: Any) -> None:
    """Render ``template`` (plain text) for one person and queue it as service mail."""
    s = settings()
    text = current_app.jinja_env.get_template(template).render(
        {"name": name, "platform": s.platform_name, **context})
    payload = render_desk_mail(subject, text, f"{s.platform_name} Desk",
                               f"desk@{s.mail_domain}", utcnow())
    enqueue(None, [Recipient(email, name=name, payload=payload)], kind="service")
