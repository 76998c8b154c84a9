"""What the delivery report shows the press office: its newspapers' rows of one version.

Reader alerts and digests share the version's outbox but are the platform's mail: their
addresses, states and error texts are never counted or shown to an office.
"""

from __future__ import annotations

from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

from sqlalchemy import func, select

from pressdesk.delivery.models import Delivery, Kind
from pressdesk.extensions import db


def counts_by_state(version_ids: list[int]) -> dict[str, int]:
    rows = db.session.execute(
        select(Delivery.state, func.count())
        .where(Delivery.version_id.in_(version_ids), Delivery.kind == Kind.OUTLET.value)
        .group_by(Delivery.state)
    ).all()
    return {state: n for state, n in rows}


# The headers the message view shows, in this order (the rest is in the raw source).
SHOWN_HEADERS = ("Subject", "From", "To", "Reply-To", "Date", "Message-ID", "In-Reply-To",
                 "References", "List-Unsubscribe")


@dataclass(frozen=True)
class ShownFile:
    filename: str
    content_type: str
    size_bytes: int


@dataclass(frozen=True)
class DecodedMessage:
    """A sent message decoded for people: header values as text, both body parts as text."""

    headers: tuple[tuple[str, str], ...]
    text: str
    html: str
    files: tuple[ShownFile, ...]


def decoded(raw: bytes) -> DecodedMessage:
    """Parse the raw bytes with the email package: encoded words, quoted-printable and
    base64 undone; attachments listed, not shown."""
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    headers = tuple((name, str(msg[name])) for name in SHOWN_HEADERS if msg[name] is not None)
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    files = tuple(
        ShownFile(part.get_filename() or "", part.get_content_type(),
                  len(part.get_payload(decode=True) or b""))
        for part in msg.iter_attachments())
    return DecodedMessage(
        headers=headers,
        text=str(text.get_content()).replace("\r\n", "\n") if text is not None else "",
        html=str(html.get_content()) if html is not None else "",
        files=files)
