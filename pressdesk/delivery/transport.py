"""Mail transports: SMTP (smtp://, smtps://, smtp+starttls://) or the outbox folder.

A transport only speaks its protocol and reports each message's outcome; deciding what an
outcome means for the delivery row is the service's job.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import os
import re
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit


class Outcome(enum.Enum):
    SENT = "sent"
    TEMPORARY = "temporary"  # 4xx, timeout, dropped connection: retry later
    PERMANENT = "permanent"  # 5xx: do not retry, suppress the address


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    detail: str = ""
    # True when the connection is unusable afterwards and must be reopened.
    connection_lost: bool = False
    # For permanent failures: the address is at fault (suppress it), not e.g. our sender.
    suppress: bool = True


class Transport(Protocol):
    relay: str  # "host:port" or "outbox": the key for rate limits and error runs

    def open(self) -> None: ...
    def send(self, sender: str, recipient: str, data: bytes) -> SendResult: ...
    def close(self) -> None: ...


def _classify_code(code: int, text: str) -> SendResult:
    if 200 <= code < 300:
        return SendResult(Outcome.SENT, f"{code} {text}")
    if 400 <= code < 500:
        return SendResult(Outcome.TEMPORARY, f"{code} {text}", connection_lost=code == 421)
    return SendResult(Outcome.PERMANENT, f"{code} {text}")


def _text(msg: bytes | str) -> str:
    return msg.decode("utf-8", "replace") if isinstance(msg, bytes) else str(msg)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA store takes about 0.1 s: once per process, and only for TLS relays.
    return ssl.create_default_context()


class SMTPTransport:
    def __init__(self, url: str, timeout: float = 30.0, helo: str | None = None) -> None:
        parts = urlsplit(url)
        # Our name in EHLO. smtplib's default, socket.getfqdn(), is a reverse DNS lookup that
        # cost about 0.1 s per connection here.
        self.helo = helo or "localhost"
        self.scheme = parts.scheme
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (465 if self.scheme == "smtps" else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout
        self.conn: smtplib.SMTP | None = None
        self.relay = f"{self.host}:{self.port}"

    def open(self) -> None:
        ctx = _tls_context() if self.scheme != "smtp" else None
        if self.scheme == "smtps":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                                  context=ctx, local_hostname=self.helo)
        else:
            conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout,
                                local_hostname=self.helo)
        conn.ehlo()
        if self.scheme == "smtp+starttls":
            conn.starttls(context=ctx)
            conn.ehlo()
        if self.username:
            conn.login(self.username, self.password or "")
        self.conn = conn

    def send(self, sender: str, recipient: str, data: bytes) -> SendResult:
        if self.conn is None:
            try:
                self.open()
            except (OSError, smtplib.SMTPException) as exc:
                self.conn = None
                return SendResult(Outcome.TEMPORARY, f"connect: {exc}", connection_lost=True)
        assert self.conn is not None
        options: list[str] = []
        if not (sender.isascii() and recipient.isascii()):
            # Internationalised address: only over a server that offers SMTPUTF8 (RFC 6531).
            if not self.conn.has_extn("smtputf8"):
                return SendResult(Outcome.PERMANENT, "553 server does not offer SMTPUTF8",
                                  suppress=False)
            options = ["SMTPUTF8"]
        try:
            # One recipient per transaction: a refusal always belongs to exactly this row.
            if self.conn.has_extn("pipelining"):
                refused = _pipelined_sendmail(self.conn, sender, recipient, data, options)
            else:
                refused = self.conn.sendmail(sender, [recipient], data, mail_options=options)
        except smtplib.SMTPRecipientsRefused as exc:
            code, msg = exc.recipients.get(recipient, (550, b"refused"))
            self._reset()
            return _classify_code(code, _text(msg))
        except smtplib.SMTPSenderRefused as exc:
            self._reset()
            result = _classify_code(exc.smtp_code, f"MAIL FROM: {_text(exc.smtp_error)}")
            return SendResult(result.outcome, result.detail, result.connection_lost, suppress=False)
        except smtplib.SMTPResponseException as exc:
            result = _classify_code(exc.smtp_code, _text(exc.smtp_error))
            if result.connection_lost:
                self._drop()
            else:
                self._reset()
            return result
        except (TimeoutError, smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            return SendResult(Outcome.TEMPORARY, f"connection: {exc}", connection_lost=True)
        except smtplib.SMTPException as exc:
            self._drop()
            return SendResult(Outcome.TEMPORARY, str(exc), connection_lost=True)
        if refused:
            code, msg = refused[recipient]
            return _classify_code(code, _text(msg))
        return SendResult(Outcome.SENT, "250")

    def _reset(self) -> None:
        try:
            if self.conn is not None:
                self.conn.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except OSError:
                pass
        self.conn = None

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (smtplib.SMTPException, OSError):
                pass
        self._drop()


def _pipelined_sendmail(conn: smtplib.SMTP, sender: str, recipient: str, data: bytes,
                       options: list[str]) -> dict[str, tuple[int, bytes]]:
    """MAIL, RCPT and DATA in one write (RFC 2920 PIPELINING), then the message.

    Saves two round trips per message over smtplib's ``sendmail`` and raises the same smtplib
    exceptions, so the classification above does not change. If MAIL or RCPT fails but the
    server still answered DATA with 354, an empty message is ended with "." and thrown away
    by the RSET that follows.
    """
    mail = f"MAIL FROM:{_quoted(sender)}" + "".join(f" {o}" for o in options)
    cmds = f"{mail}\r\nRCPT TO:{_quoted(recipient)}\r\nDATA\r\n"
    conn.send(cmds.encode("utf-8" if options else "ascii"))
    mail_code, mail_msg = conn.getreply()
    rcpt_code, rcpt_msg = conn.getreply()
    data_code, data_msg = conn.getreply()
    if mail_code != 250 or rcpt_code not in (250, 251):
        if data_code == 354:
            conn.send(b".\r\n")
            conn.getreply()
        if mail_code == 421 or rcpt_code == 421 or data_code == 421:
            conn.close()
            raise smtplib.SMTPResponseException(421, mail_msg if mail_code == 421 else rcpt_msg)
        if mail_code != 250:
            raise smtplib.SMTPSenderRefused(mail_code, mail_msg, sender)
        raise smtplib.SMTPRecipientsRefused({recipient: (rcpt_code, rcpt_msg)})
    if data_code != 354:
        raise smtplib.SMTPDataError(data_code, data_msg)
    conn.send(_stuffed(data))
    code, msg = conn.getreply()
    if code != 250:
        raise smtplib.SMTPDataError(code, msg)
    return {}


# A plain addr-spec: no space, control character, angle bracket, quote or other RFC 5322 special.
_PLAIN_ADDRESS = re.compile(r"[^\s<>()\[\]\\,;:\"@]+@[^\s<>()\[\]\\,;:\"@]+")


def _quoted(address: str) -> str:
    """``<address>`` as smtplib's ``quoteaddr`` gives it. A plain address (every address the
    engine sends to or from) is wrapped directly: quoteaddr's RFC 2822 parser was a third of
    the send loop's CPU time. Anything else goes through quoteaddr."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>"
    return smtplib.quoteaddr(address)


def _stuffed(data: bytes) -> bytes:
    """The message as it goes on the wire after DATA: dot-stuffed (as smtplib does), CRLF at
    the end, and the closing ".". The shared quoted-printable bodies rarely have a line that
    starts with a dot, so a byte search usually replaces the regular expression pass."""
    if data.startswith(b".") or b"\n." in data:
        data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def outbox_filename(message_id: str) -> str:
    return _UNSAFE.sub("_", message_id.strip("<>")) + ".eml"


class OutboxTransport:
    """Writes each message as an ``.eml`` file; the embedded default, shown by the desk."""

    relay = "outbox"

    def __init__(self, directory: str | Path) -> None:
        self.dir = Path(directory)

    def open(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)

    def send(self, sender: str, recipient: str, data: bytes) -> SendResult:
        message_id = _header(data, b"Message-ID") or recipient
        target = self.dir / outbox_filename(message_id)
        tmp = ""
        try:
            fd, tmp = tempfile.mkstemp(dir=self.dir, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(f"X-Envelope-From: {sender}\r\nX-Envelope-To: {recipient}\r\n".encode())
                fh.write(data)
            os.replace(tmp, target)  # atomic: a reader never sees half a message
        except OSError as exc:
            if tmp:  # a full or read-only folder: leave no half-written temporary file behind
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            return SendResult(Outcome.TEMPORARY, f"outbox: {exc}")
        return SendResult(Outcome.SENT, f"written {target.name}")

    def close(self) -> None:
        return None


def _header(data: bytes, name: bytes) -> str:
    head = data.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n"):
        if line.lower().startswith(name.lower() + b":"):
            return line.split(b":", 1)[1].strip().decode("ascii", "replace")
    return ""


def make_transport(smtp_url: str, outbox_dir: str, timeout: float = 30.0,
                   helo: str | None = None) -> Transport:
    if smtp_url:
        return SMTPTransport(smtp_url, timeout=timeout, helo=helo)
    return OutboxTransport(outbox_dir)
