"""Service mail to journalists and outlets (double opt-in of a sign-up, "you are on the list",
"are you still the right contact?"): pure rendering, queued through ``enqueue(None, ...,
kind="service")`` like every service mail."""

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
from pressdesk.delivery.models import Kind
from pressdesk.delivery.queue import Recipient, enqueue
from pressdesk.delivery.render import header_text, shared_bytes
from pressdesk.offices.models import Office

SUBJECTS = {
    "confirm": "Bitte bestätigen Sie Ihre Anmeldung zum Presseverteiler",
    "known": "Ihre Anmeldung zum Presseverteiler",
    "accepted": "Sie sind im Presseverteiler",
    "declined": "Ihre Anmeldung zum Presseverteiler",
    "yearly": "Sind Sie noch die richtige Ansprechperson?",
}


def render_service(kind: str, office: Office, date: datetime, ctx: dict[str, Any]) -> bytes:
    s = settings()
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = header_text(f"{SUBJECTS[kind]} – {office.name}")
    msg["From"] = Address(display_name(office.sender_name or office.name), addr_spec=s.mail_from)
    if office.contact_email:
        msg["Reply-To"] = office.contact_email
    msg["Date"] = format_datetime(date)
    text = current_app.jinja_env.get_template(f"media/email/{kind}.txt").render(
        {"office": office, **ctx})
    msg.set_content(text.replace("\r\n", "\n"), subtype="plain", charset="utf-8",
                    cte="quoted-printable")
    return shared_bytes(msg)


def send(kind: str, office: Office, email: str, name: str = "", **ctx: Any) -> None:
    payload = render_service(kind, office, utcnow(), {"name": name, **ctx})
    enqueue(None, [Recipient(email, name=name, payload=payload)], kind=Kind.SERVICE.value)
