"""Pure rendering of reader mail: the shared alert per release version, the per-reader digest,
and the confirmation and preferences-link mails. Data in, bytes out (CRLF, SMTP policy)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from jinja2 import Environment

from pressdesk.delivery.render import ReleaseMail, header_text, shared_bytes
from pressdesk.text import german_date, german_datetime, one_line


@dataclass(frozen=True)
class Sender:
    name: str
    address: str
    list_id: str


@dataclass(frozen=True)
class DigestItem:
    office_name: str
    headline: str
    subline: str
    dateline: str
    lead: str
    permalink: str
    public_since: datetime


@dataclass(frozen=True)
class Links:
    subscribe_url: str
    manage_url: str = ""
    unsubscribe_url: str = ""
    confirm_url: str = ""


@dataclass(frozen=True)
class ServiceMail:
    kind: str  # confirm | manage
    links: Links
    max_age_hours: int = 48
    selection: tuple[str, ...] = field(default_factory=tuple)


def _message(sender: Sender, subject: str, date: datetime, text: str, html: str | None,
             reply_to: str = "") -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = header_text(subject)
    msg["From"] = Address(one_line(sender.name), addr_spec=sender.address)
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Date"] = format_datetime(date)
    msg["List-Id"] = f"{one_line(sender.name)} <{sender.list_id}>"
    msg.set_content(text.replace("\r\n", "\n"), subtype="plain", charset="utf-8",
                    cte="quoted-printable")
    if html is not None:
        msg.add_alternative(html.replace("\r\n", "\n"), subtype="html", charset="utf-8",
                            cte="quoted-printable")
    return shared_bytes(msg)


def alert_subject(m: ReleaseMail) -> str:
    return one_line(f"Neue Pressemitteilung: {m.headline} ({m.office_name})")


def render_alert(m: ReleaseMail, sender: Sender, links: Links, env: Environment) -> bytes:
    """The shared reader alert for one version; To, Message-ID and List-Unsubscribe are added
    per delivery row."""
    ctx = {"m": m, "links": links, "german_datetime": german_datetime}
    return _message(sender, alert_subject(m), m.date,
                    env.get_template("email/alert.txt").render(ctx),
                    env.get_template("email/alert.html").render(ctx), reply_to=m.reply_to)


def render_digest(items: list[DigestItem], sender: Sender, links: Links, date: datetime,
                  env: Environment) -> bytes:
    """One reader's daily digest (their own links in the body)."""
    ctx = {"items": items, "links": links, "german_datetime": german_datetime,
           "day": german_date(date)}
    subject = (f"Ihre Pressemitteilungen vom {german_date(date)}: {len(items)} neue"
               if len(items) != 1 else
               f"Ihre Pressemitteilungen vom {german_date(date)}: {items[0].headline}")
    return _message(sender, subject, date, env.get_template("email/alert_digest.txt").render(ctx),
                    env.get_template("email/alert_digest.html").render(ctx))


def render_service(mail: ServiceMail, sender: Sender, date: datetime, env: Environment) -> bytes:
    subject = {"confirm": "Bitte bestätigen Sie Ihr Abonnement",
               "manage": "Ihr Link zu den Benachrichtigungs-Einstellungen"}[mail.kind]
    text = env.get_template(f"email/alert_{mail.kind}.txt").render({"mail": mail})
    return _message(sender, subject, date, text, None)
