"""Bounces that arrive after the relay accepted a message: DSNs (RFC 3464) in a mailbox.

Every message leaves with a VERP return path ``bounce+<row id>-<hmac>@domain``, so the DSN comes
back addressed to the row it is about. When the DSN's addressee says nothing (a relay rewrote
it), the original Message-ID quoted in the DSN finds the row. A hard bounce (Action: failed,
Status 5.x.x) marks the row ``bounced`` and suppresses the address; delays (4.x.x) are ignored.
An automatic reply saying the addressee has left puts the outlet on the office's review list.
"""

from __future__ import annotations

import email
import imaplib
import logging
import mailbox
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlalchemy import select, update

from pressdesk.db import utcnow
from pressdesk.delivery.models import Delivery, DeliveryState
from pressdesk.delivery.relays import row_for_verp
from pressdesk.delivery.suppressions import suppress
from pressdesk.extensions import db
from pressdesk.signals import outlet_review

log = logging.getLogger(__name__)

ADDRESS_HEADERS = ("To", "Delivered-To", "X-Original-To", "Envelope-To")


@dataclass
class Bounce:
    delivery_id: int | None
    status: str  # e.g. "5.1.1"
    action: str  # failed | delayed | ...
    diagnostic: str

    @property
    def permanent(self) -> bool:
        return self.action.lower() == "failed" and self.status.startswith("5")


@dataclass
class BounceReport:
    read: int = 0
    bounced: int = 0
    ignored: int = 0
    unmatched: int = 0
    left: int = 0  # automatic replies saying the addressee left: outlet marked for review
    details: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"{self.read} messages read: {self.bounced} bounced, {self.ignored} ignored "
                f"(not a hard bounce), {self.left} saying the person left, {self.unmatched} not "
                "matched to a delivery")


def parse_dsn(raw: bytes) -> Bounce | None:
    """The bounce a DSN reports, or None when the message is not a DSN."""
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    status_part = next((p for p in msg.walk()
                        if p.get_content_type() == "message/delivery-status"), None)
    if status_part is None:
        return None
    action, status, diagnostic = "", "", ""
    for block in status_part.get_payload():  # per-message block, then per-recipient blocks
        if not isinstance(block, Message):
            continue
        action = str(block.get("Action", action) or action)
        status = str(block.get("Status", status) or status)
        diagnostic = str(block.get("Diagnostic-Code", diagnostic) or diagnostic)
    delivery_id = None
    for name in ADDRESS_HEADERS:
        for value in msg.get_all(name, []):
            for addr in getattr(value, "addresses", ()):
                delivery_id = delivery_id or row_for_verp(addr.addr_spec)
    if delivery_id is None:
        delivery_id = _by_original_message_id(msg)
    return Bounce(delivery_id, status.strip(), action.strip(), diagnostic.strip())


def _by_original_message_id(msg: EmailMessage) -> int | None:
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "text/rfc822-headers"):
            if ctype == "message/rfc822":
                payload = part.get_payload()
                first = payload[0] if isinstance(payload, list) and payload else None
                mid = first.get("Message-ID") if isinstance(first, Message) else None
            else:
                inner = email.message_from_string(part.get_content(), policy=policy.default)
                mid = inner.get("Message-ID")
            if mid:
                return db.session.scalar(select(Delivery.id).where(Delivery.message_id == str(mid).strip()))
    return None


def apply(bounce: Bounce) -> bool:
    """Mark the row bounced and suppress its address (hard bounces only). True if marked."""
    if bounce.delivery_id is None or not bounce.permanent:
        return False
    row = db.session.get(Delivery, bounce.delivery_id)
    if row is None:
        return False
    detail = f"bounce {bounce.status}: {bounce.diagnostic}".strip()[:2000]
    db.session.execute(
        update(Delivery).where(Delivery.id == row.id)
        .values(state=DeliveryState.BOUNCED.value, last_error=detail, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    suppress(row.office_id, row.email, detail, "bounce", row.id, kind=row.kind)
    if row.outlet_id is not None:  # the office looks at the outlet (address changed? left?)
        outlet_review.send("pressdesk", outlet_id=row.outlet_id, reason="bounce", note=detail)
    db.commit()  # deliberate: the DSN is moved out of the mailbox only after this is stored
    return True


# What an automatic reply says when the addressee has left the paper (lower case). Absence
# notes ("bis zum 5. Januar nicht erreichbar") say none of this and change nothing.
LEFT_PHRASES = (
    "nicht mehr im haus", "nicht mehr bei", "nicht mehr für", "nicht mehr tätig",
    "nicht mehr beschäftigt", "nicht mehr in der redaktion", "hat die redaktion verlassen",
    "hat das unternehmen verlassen", "hat unser haus verlassen", "ausgeschieden",
    "no longer with", "no longer works", "no longer employed", "has left the company",
)


def left_note(raw: bytes) -> tuple[int, str] | None:
    """(delivery id, excerpt) when ``raw`` is an automatic reply to one of our messages that says
    the addressee has left; None otherwise.

    Automatic replies go to the return path (RFC 3834), our VERP address, which names the row.
    The reply's own text is kept as the note the office reads; nothing is suppressed, since the
    address may well reach the successor."""
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    delivery_id = None
    for name in ADDRESS_HEADERS:
        for value in msg.get_all(name, []):
            for addr in getattr(value, "addresses", ()):
                delivery_id = delivery_id or row_for_verp(addr.addr_spec)
    if delivery_id is None:
        return None
    body = msg.get_body(("plain", "html"))
    try:
        text = body.get_content() if isinstance(body, EmailMessage) else ""
    except (LookupError, UnicodeError):
        text = ""
    text = " ".join(f"{msg.get('Subject', '')} {text}".split())
    if not any(p in text.lower() for p in LEFT_PHRASES):
        return None
    return delivery_id, text[:500]


def apply_left(delivery_id: int, note: str) -> bool:
    """Put the row's outlet on the office's review list ("Person hat gewechselt")."""
    row = db.session.get(Delivery, delivery_id)
    if row is None or row.outlet_id is None:
        return False
    outlet_review.send("pressdesk", outlet_id=row.outlet_id, reason="left", note=note)
    db.commit()  # deliberate: the reply is moved out of the mailbox only after this is stored
    return True


def _handle(raw: bytes, report: BounceReport) -> None:
    report.read += 1
    bounce = parse_dsn(raw)
    if bounce is None:
        left = left_note(raw)
        if left is not None and apply_left(*left):
            report.left += 1
            report.details.append(f"delivery {left[0]}: person left")
            return
    if bounce is None or bounce.delivery_id is None:
        report.unmatched += 1
        return
    if apply(bounce):
        report.bounced += 1
        report.details.append(f"delivery {bounce.delivery_id}: {bounce.status}")
    else:
        report.ignored += 1


def process_maildir(path: str | Path) -> BounceReport:
    """Read new and current messages of a Maildir; each is moved to its ``.processed`` folder."""
    report = BounceReport()
    box = mailbox.Maildir(str(path), create=False)
    done = box.add_folder("processed") if "processed" not in box.list_folders() \
        else box.get_folder("processed")
    for key in list(box.keys()):
        raw = box.get_bytes(key)
        _handle(raw, report)
        done.add(raw)
        box.remove(key)  # after handling: a crash before this re-reads, which is harmless
    return report


def process_imap(url: str) -> BounceReport:
    """Read unseen messages from ``imap[s]://user:password@host[:port]/FOLDER``; flag them seen."""
    parts = urlsplit(url)
    report = BounceReport()
    cls = imaplib.IMAP4_SSL if parts.scheme == "imaps" else imaplib.IMAP4
    conn = cls(parts.hostname or "127.0.0.1", parts.port or (993 if parts.scheme == "imaps" else 143))
    try:
        conn.login(unquote(parts.username or ""), unquote(parts.password or ""))
        conn.select(unquote(parts.path.strip("/")) or "INBOX")
        _typ, data = conn.search(None, "UNSEEN")
        for num in data[0].split():
            _typ, fetched = conn.fetch(num, "(RFC822)")
            raw = next((item[1] for item in fetched if isinstance(item, tuple)), b"")
            _handle(raw, report)
            conn.store(num, "+FLAGS", "\\Seen")
    finally:
        try:
            conn.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
    return report
