"""Pure rendering of reader mail: the shared alert per release version, the per-reader digest,
and the confirmation and preferences-link mails. Data in, bytes out (CRLF, SMTP policy).

Releases come in as the one presentation (``releases.presenter.PublicRelease``). The shared alert
carries :data:`UNSUBSCRIBE_MARK` where the reader's own one-click link goes; ``personalise``
fills it per recipient with :func:`fill_unsubscribe`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from jinja2 import Environment

from pressdesk.addresses import display_name
from pressdesk.delivery.render import header_text, qp_fill, shared_bytes
from pressdesk.releases.presenter import PublicRelease
from pressdesk.text import german_date, german_datetime, one_line


@dataclass(frozen=True)
class Sender:
    name: str
    address: str
    list_id: str


# Printable ASCII without "=": quoted-printable leaves it as it is, so the bytes can be found.
UNSUBSCRIBE_MARK = "@@ABBESTELLEN@@"


def fill_unsubscribe(message: bytes, url: str) -> bytes:
    """Put a reader's unsubscribe URL where the shared alert has :data:`UNSUBSCRIBE_MARK`
    (quoted-printable, with soft line breaks: ``render.qp_fill``)."""
    return qp_fill(message, UNSUBSCRIBE_MARK.encode(), url)


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
    msg["From"] = Address(display_name(sender.name), addr_spec=sender.address)
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Date"] = format_datetime(date)
    msg["List-Id"] = f"{display_name(sender.name)} <{sender.list_id}>"
    msg.set_content(text.replace("\r\n", "\n"), subtype="plain", charset="utf-8",
                    cte="quoted-printable")
    if html is not None:
        msg.add_alternative(html.replace("\r\n", "\n"), subtype="html", charset="utf-8",
                            cte="quoted-printable")
    return shared_bytes(msg)


def alert_subject(p: PublicRelease) -> str:
    return one_line(f"Neue Pressemitteilung: {p.headline} ({p.office.name})")


def render_alert(p: PublicRelease, sender: Sender, links: Links, date: datetime,
                 env: Environment) -> bytes:
    """The shared reader alert for one version; To, Message-ID, List-Unsubscribe and the
    unsubscribe link in the body are added per delivery row. ``date`` is when it is sent (the
    release's public time at the earliest), not when the version was written."""
    ctx = {"m": p, "links": links, "unsubscribe": UNSUBSCRIBE_MARK,
           "german_datetime": german_datetime}
    return _message(sender, alert_subject(p), date,
                    env.get_template("email/alert.txt").render(ctx),
                    env.get_template("email/alert.html").render(ctx), reply_to=p.reply_to)


def render_digest(items: list[PublicRelease], sender: Sender, links: Links, date: datetime,
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
