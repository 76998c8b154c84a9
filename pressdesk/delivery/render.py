"""Pure rendering of a release version into an email, and per-recipient splicing.

The shared part of the message (all headers but ``To`` and ``Message-ID``, and the body) is
serialised once per version with ``email.policy.SMTP`` (CRLF line ends). Each recipient only
gets two header lines prepended, which keeps the send loop close to the raw SMTP limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr
from typing import Any

from jinja2 import Environment
from markupsafe import Markup, escape

from pressdesk.addresses import display_name
from pressdesk.text import german_datetime, one_line


@dataclass(frozen=True)
class MailImage:
    url: str
    caption: str
    credit: str
    alt: str
    rights: str
    width: int = 0
    height: int = 0
    format_label: str = "JPG"  # of the original the link points to
    thumb_url: str = ""  # the hosted web rendition, shown small in the HTML part


@dataclass(frozen=True)
class MailAttachment:
    """A file sent along as a download link."""

    url: str
    filename: str
    size_bytes: int = 0


@dataclass(frozen=True)
class ReleaseMail:
    """Everything the renderer needs, and nothing it could query: a plain value."""

    office_name: str
    sender_name: str
    from_addr: str
    reply_to: str
    list_id: str
    headline: str
    subline: str
    dateline: str
    lead: str
    body_markdown: str
    permalink: str
    reference: str
    date: datetime
    kind: str = "publish"  # publish | correction | withdrawal
    embargo_until: datetime | None = None
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    change_summary: str = ""
    images: tuple[MailImage, ...] = field(default_factory=tuple)
    attachments: tuple[MailAttachment, ...] = field(default_factory=tuple)
    appointment: Any = None  # an invitation's appointment (templates/email/_invitation.*)
    # Every mail of one release names this in References (a follow-up also in In-Reply-To),
    # so mail clients thread a correction with the original; "" for a draft (no thread).
    thread_id: str = ""
    # The office's logo in the head of the HTML part ("" for none), shown LOGO_HEIGHT high.
    logo_url: str = ""
    logo_width: int = 0  # at LOGO_HEIGHT


THUMB_WIDTH = 160
LOGO_HEIGHT = 48
_CELL = "border:1px solid #8c959f;padding:5px 9px;vertical-align:top;"
_CELL_STYLES = {"th": _CELL + "background:#eef1f5;font-weight:bold;", "td": _CELL}
_TABLE_TAG = re.compile(r"<(table|th|td)(?: class=\"align-(left|right|center)\")?>")


def email_html(body_html: str) -> Markup:
    """The sanitised body HTML for a mail client: tables get inline borders, padding and the
    Markdown column alignment (many clients drop ``<style>`` and know no classes of ours)."""
    def styled(match: re.Match[str]) -> str:
        tag, align = match.group(1), match.group(2)
        if tag == "table":
            return '<table style="border-collapse:collapse;margin:12px 0;font-size:14px;">'
        return f'<{tag} style="{_CELL_STYLES[tag]}text-align:{align or "left"};">'

    return Markup(_TABLE_TAG.sub(styled, str(body_html)))  # noqa: S704 - our own attributes


_SUMMARY_LABEL = re.compile(r"^(vorher|nachher|entfernt|neu):", re.M)


def summary_html(summary: str) -> Markup:
    """The plain-text change summary (``releases.diff``) as HTML paragraphs, labels in bold."""
    out = []
    for block in summary.strip().split("\n\n"):
        lines = [str(escape(line)) for line in block.split("\n")]
        lines = [_SUMMARY_LABEL.sub(r"<strong>\1:</strong>", line) for line in lines]
        out.append('<p style="margin:0 0 8px;">' + "<br>".join(lines) + "</p>")
    return Markup("\n".join(out))  # noqa: S704 - escaped above


def thumb_height(img: MailImage, width: int = THUMB_WIDTH) -> int:
    return round(width * img.height / img.width) if img.width and img.height else 0


def subject_for(m: ReleaseMail) -> str:
    prefix = {"correction": "Korrektur: ", "withdrawal": "Zurückgezogen: "}.get(m.kind, "")
    if m.embargo_until is not None:
        prefix = f"SPERRFRIST: {german_datetime(m.embargo_until)} – " + prefix
    return one_line(f"{prefix}{m.headline} ({m.office_name})")


def header_text(text: str) -> str:
    """User text as a header value the email package keeps as text.

    Assigning a header parses RFC 2047 encoded words, so a headline containing
    ``=?utf-8?q?x=0D=0ABcc...?=`` would turn into a line break and a new header. Text that looks
    like an encoded word is wrapped in one of our own (decoded exactly once, to the literal).
    """
    text = one_line(text)
    if "=?" not in text:
        return text
    return Header(text, "utf-8").encode(maxlinelen=0)


def thread(msg: EmailMessage, thread_id: str, follow_up: bool) -> None:
    """Put ``msg`` in its release's thread: every mail of a release names the thread id in
    ``References``, a follow-up (correction, withdrawal, a Sperrfrist notice) also in
    ``In-Reply-To``, so mail clients show it with the original. Nothing for ``""``."""
    if not thread_id:
        return
    msg["References"] = thread_id
    if follow_up:
        msg["In-Reply-To"] = thread_id


def render_message(m: ReleaseMail, env: Environment) -> EmailMessage:
    """The shared message: no ``To``, no ``Message-ID`` (added per recipient)."""
    from pressdesk.releases.markup import plain_text, render_markdown

    ctx = {"m": m, "body_text": plain_text(m.body_markdown),
           "body_html": email_html(render_markdown(m.body_markdown)), "subject": subject_for(m),
           "german_datetime": german_datetime, "summary_html": summary_html(m.change_summary),
           "thumb_width": THUMB_WIDTH, "thumb_height": thumb_height, "logo_height": LOGO_HEIGHT}
    text = env.get_template("email/release.txt").render(ctx)
    html = env.get_template("email/release.html").render(ctx)

    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = header_text(subject_for(m))
    msg["From"] = Address(display_name(m.sender_name), addr_spec=m.from_addr)
    if m.reply_to:
        msg["Reply-To"] = m.reply_to
    msg["Date"] = format_datetime(m.date)
    msg["List-Id"] = f"{display_name(m.office_name)} <{m.list_id}>"
    msg["X-Pressdesk-Release"] = m.reference or "draft"
    thread(msg, m.thread_id, follow_up=m.kind != "publish")
    # Normalise line ends: the SMTP policy writes CRLF, templates may hold bare LF.
    msg.set_content(text.replace("\r\n", "\n"), subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html.replace("\r\n", "\n"), subtype="html", charset="utf-8",
                        cte="quoted-printable")
    return msg


def encode_header(name: str, value: str) -> bytes:
    """One header line (folded with CRLF) whose RFC 2047 words decode to exactly ``value``.

    The stdlib's modern folder mangles long mixed ASCII/UTF-8 subjects (it drops or adds
    spaces next to encoded words); ``email.header.Header`` encodes them faithfully.
    """
    value = one_line(value)
    # A literal "=?" must travel inside an encoded word, or readers decode it as one.
    charset = None if value.isascii() and "=?" not in value else "utf-8"
    folded = Header(value, charset, header_name=name).encode(linesep="\r\n", maxlinelen=78)
    return f"{name}: {folded}\r\n".encode("ascii")


def shared_bytes(msg: EmailMessage) -> bytes:
    """Serialise the shared message with CRLF; Subject and From are encoded by hand (above)."""
    subject = str(msg["Subject"])
    sender = msg["From"].addresses[0]
    head = encode_header("Subject", subject)
    head += b"From: " + formataddr((sender.display_name, sender.addr_spec), charset="utf-8"
                                   ).encode("ascii") + b"\r\n"
    del msg["Subject"], msg["From"]
    try:
        rest = msg.as_bytes(policy=SMTP)
    finally:
        msg["Subject"], msg["From"] = subject, sender
    return join_split_marks(head + rest)


# Where the per-recipient link token goes in the shared outlet mail (the preference link,
# the RSVP links). Printable ASCII without "=": quoted-printable leaves it as it is.
LINK_TOKEN_MARK = "PDLINKTOKENMARK0"  # noqa: S105 - a placeholder, not a secret
_LINK_TOKEN_MARK = LINK_TOKEN_MARK.encode("ascii")
# The mark with a quoted-printable soft line break (``=`` CRLF) anywhere inside it.
_LINK_TOKEN_MARK_SPLIT = re.compile(b"(?:=\r\n)?".join(
    re.escape(_LINK_TOKEN_MARK[i:i + 1]) for i in range(len(_LINK_TOKEN_MARK))))


def join_split_marks(message: bytes) -> bytes:
    """The message with every :data:`LINK_TOKEN_MARK` whole again.

    The quoted-printable encoder breaks lines at 76 characters wherever they fall, also inside
    a mark (a long base URL before it is enough). Done once per shared message, so that the
    per-recipient fill stays one ``bytes.replace``; the soft break is simply dropped, since the
    fill writes its own soft breaks around the value."""
    if _LINK_TOKEN_MARK_SPLIT.search(message) is None:
        return message
    return _LINK_TOKEN_MARK_SPLIT.sub(_LINK_TOKEN_MARK, message)


# Characters quoted-printable writes as they are (printable ASCII but "=" and "~").
_QP_LITERAL = re.compile(r"[!-<>-}]*")


def qp_fill(message: bytes, mark: bytes, value: str) -> bytes:
    """Put ``value`` where a quoted-printable message has ``mark``.

    The value is written quoted-printable too, with soft line breaks (``=`` CRLF) around and
    inside it: no line grows past 76 characters, and decoding gives the value back whole."""
    value = one_line(value)
    if _QP_LITERAL.fullmatch(value):
        # The usual value (a signed token: URL-safe base64 and dots) is its own encoding:
        # lines of 70 characters, as the loop below would cut them.
        lines = [value[i:i + 70] for i in range(0, len(value), 70)] or [""]
        encoded = "=\r\n" + "=\r\n".join(lines) + "=\r\n"
        return message.replace(mark, encoded.encode("ascii"))
    pieces = [c if " " < c < "~" and c != "=" else "".join(f"={b:02X}" for b in c.encode())
              for c in one_line(value)]
    lines, line = [], ""
    for piece in pieces:
        if len(line) + len(piece) > 70:
            lines.append(line)
            line = ""
        line += piece
    lines.append(line)
    encoded = "=\r\n" + "=\r\n".join(lines) + "=\r\n"
    return message.replace(mark, encoded.encode("ascii"))


def personalise(shared: bytes, to_name: str, to_email: str, message_id: str,
                unsubscribe_url: str = "", unsubscribe_mailto: str = "",
                link_token: str = "") -> bytes:
    """Prepend the recipient's own headers to the shared serialised message.

    Mail with an ``unsubscribe_url`` also gets List-Unsubscribe (https and mailto) with
    List-Unsubscribe-Post (RFC 8058 one-click): a reader's unsubscribe link, or an outlet's
    one-click leave URL. An outlet row's ``link_token`` replaces :data:`LINK_TOKEN_MARK` in
    the body (only then is the body touched: rows without a token are two header lines and
    the shared bytes, as fast as before).
    """
    to_email = one_line(to_email)
    if to_email.isascii():
        to = formataddr((one_line(to_name), to_email), charset="utf-8")
    else:  # formataddr refuses non-ASCII addresses; encode the name alone, keep the address
        to = formataddr((one_line(to_name), "x@x.invalid"), charset="utf-8").replace(
            "x@x.invalid", to_email)
    head = f"To: {to}\r\nMessage-ID: {one_line(message_id)}\r\n"
    if unsubscribe_url:
        targets = [f"<{one_line(unsubscribe_url)}>"]
        if unsubscribe_mailto:
            targets.append(f"<{one_line(unsubscribe_mailto)}>")
        head += f"List-Unsubscribe: {', '.join(targets)}\r\n"
        head += "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
        if not link_token:
            # The reader's own link in the body too (a reader alert's shared body has a mark).
            from pressdesk.subscriptions.render import fill_unsubscribe

            shared = fill_unsubscribe(shared, unsubscribe_url)
    if link_token:
        shared = qp_fill(shared, _LINK_TOKEN_MARK, link_token)
    # A non-ASCII address (sent only with SMTPUTF8) is written as UTF-8 (RFC 6532).
    return head.encode("ascii" if head.isascii() else "utf-8") + shared


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes
    params: tuple[tuple[str, str], ...] = ()  # Content-Type parameters (text/calendar: method)


_BODY_HEADERS = {b"content-type", b"content-transfer-encoding", b"mime-version"}


def header_blocks(head: bytes) -> list[bytes]:
    """Split a CRLF header section into whole (possibly folded) header fields."""
    blocks: list[bytes] = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and blocks:
            blocks[-1] += b"\r\n" + line
        elif line:
            blocks.append(line)
    return blocks


def with_attachments(shared: bytes, files: list[Attachment]) -> bytes:
    """The shared message with files attached: ``multipart/mixed`` around the original body.

    The original headers (Subject, From, ...) are kept byte for byte; the original body becomes
    the first part unchanged. Filenames are RFC 2231-encoded by the email package (umlauts).
    """
    head, body = shared.split(b"\r\n\r\n", 1)
    kept: list[bytes] = []
    inner_head: list[bytes] = []
    for block in header_blocks(head):
        name = block.split(b":", 1)[0].strip().lower()
        if name == b"mime-version":
            continue  # the new container carries it
        (inner_head if name in _BODY_HEADERS else kept).append(block)
    inner = message_from_bytes(b"\r\n".join(inner_head) + b"\r\n\r\n" + body, policy=SMTP)
    outer = EmailMessage(policy=SMTP)
    outer["MIME-Version"] = "1.0"
    outer.make_mixed()
    outer.attach(inner)
    for f in files:
        maintype, _, subtype = f.content_type.partition("/")
        outer.add_attachment(f.data, maintype=maintype, subtype=subtype or "octet-stream",
                             filename=f.filename, params=dict(f.params) or None)
    return b"\r\n".join(kept) + b"\r\n" + outer.as_bytes(policy=SMTP)


def with_date(data: bytes, when: datetime) -> bytes:
    """The message with its ``Date:`` set to ``when`` (reader alerts carry the send time)."""
    head, sep, body = data.partition(b"\r\n\r\n")
    kept = [b for b in header_blocks(head) if b.split(b":", 1)[0].strip().lower() != b"date"]
    return b"\r\n".join([*kept, f"Date: {format_datetime(when)}".encode("ascii")]) + sep + body
