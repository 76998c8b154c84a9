"""Helpers for the delivery tests: recipients, own SMTP servers with failure modes, driving."""

from __future__ import annotations

import email
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from email import policy
from typing import Self

from aiosmtpd.controller import Controller
from sqlalchemy import select

from pressdesk.delivery import engine, queue
from pressdesk.delivery.models import Delivery
from pressdesk.delivery.queue import Recipient
from pressdesk.delivery.transport import SMTPTransport
from pressdesk.extensions import db
from pressdesk.media.models import DistributionList
from pressdesk.releases import services
from pressdesk.releases.models import ReleaseVersion
from tests.conftest import SMTPHandler, free_port
from tests.helpers import draft, office


def recipients(n: int, domain: str = "zeitung.example") -> list[Recipient]:
    return [Recipient(f"redaktion{i:05d}@{domain}", f"Redaktion {i:05d}") for i in range(n)]


def publish_to(rcpts: list[Recipient], slug: str = "landkreis-leer", **fields: str) -> ReleaseVersion:
    """Publish a release to exactly these recipients (an empty list, then our own rows)."""
    o = office(slug)
    empty = DistributionList(office_id=o.id, name=f"leer-{time.monotonic_ns()}")
    db.session.add(empty)
    db.session.commit()
    version = services.publish_release(draft(slug, **fields), None, [empty.id])
    db.commit()
    queue.enqueue(version, rcpts)
    db.session.commit()
    return version


def rows(version_id: int) -> list[Delivery]:
    db.session.remove()
    return list(db.session.scalars(select(Delivery).where(Delivery.version_id == version_id)
                                   .order_by(Delivery.id)))


def states(version_id: int) -> Counter[str]:
    return Counter(r.state for r in rows(version_id))


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=policy.default)  # type: ignore[return-value]


class PipeliningHandler(SMTPHandler):
    """Advertises PIPELINING (as Postfix does); aiosmtpd reads commands line by line anyway."""

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # type: ignore[no-untyped-def]
        session.host_name = hostname
        return [responses[0], "250-PIPELINING", *responses[1:]]


class _LoopbackRelay:
    """A relay of the test's own on a free loopback port, and transports to it."""

    port: int

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def transport(self) -> SMTPTransport:
        return SMTPTransport(self.url, timeout=3)


class OwnSMTP(_LoopbackRelay):
    """An aiosmtpd server of the test's own, with the shared handler's programmable replies.

    It advertises PIPELINING by default, so the engine's pipelined path is the one under test
    (the session's ``smtp`` fixture does not, which covers smtplib's plain ``sendmail``).
    """

    def __init__(self, smtputf8: bool = False, pipelining: bool = True) -> None:
        self.handler = PipeliningHandler() if pipelining else SMTPHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     decode_data=False, enable_SMTPUTF8=smtputf8)

    def __enter__(self) -> OwnSMTP:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


class SocketRelay(_LoopbackRelay):
    """A raw-socket server on a thread of its own, for relays that misbehave below SMTP;
    subclasses write ``_serve`` (loop while ``self.running``; ``accept`` times out)."""

    def __init__(self, accept_timeout: float = 0.2) -> None:
        self.port = free_port()
        self.sock = socket.create_server(("127.0.0.1", self.port))
        self.sock.settimeout(accept_timeout)
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        raise NotImplementedError

    def accepted(self) -> Iterator[socket.socket]:
        """The connections clients open, until the relay stops."""
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            yield conn

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.running = False
        self.thread.join(5)
        self.sock.close()


class DroppingSMTP(SocketRelay):
    """A raw-socket SMTP server that can hang up in the middle of DATA (after some bytes).

    While ``drop_in_data`` is set, every transaction is cut after the 354 and a few bytes of
    the message; otherwise it accepts and records each message.
    """

    def __init__(self, pipelining: bool = False) -> None:
        super().__init__()
        self.pipelining = pipelining
        self.drop_in_data = True
        self.dropped = 0
        self.messages: list[tuple[list[str], bytes]] = []

    def _serve(self) -> None:
        for conn in self.accepted():
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        f = conn.makefile("rb")
        conn.settimeout(5)

        def say(line: str) -> None:
            conn.sendall(line.encode() + b"\r\n")

        try:
            say("220 dropping.test ESMTP")
            rcpts: list[str] = []
            while True:
                line = f.readline()
                if not line:
                    return
                cmd = line.decode().strip()
                verb = cmd.split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    say("250-dropping.test\r\n250 PIPELINING" if self.pipelining else "250 dropping.test")
                elif verb == "MAIL":
                    rcpts = []
                    say("250 OK")
                elif verb == "RCPT":
                    rcpts.append(cmd.split(":", 1)[1].strip().strip("<>"))
                    say("250 OK")
                elif verb == "DATA":
                    say("354 go ahead")
                    if self.drop_in_data:
                        f.read(200)  # part of the message, then hang up
                        self.dropped += 1
                        return
                    data = b""
                    while True:
                        chunk = f.readline()
                        if chunk in (b".\r\n", b""):
                            break
                        data += chunk
                    self.messages.append((rcpts, data))
                    say("250 accepted")
                elif verb == "RSET":
                    say("250 OK")
                elif verb == "QUIT":
                    say("221 bye")
                    return
                else:
                    say("250 OK")
        except OSError:
            return
        finally:
            conn.close()


def drive(version_id: int, transport_factory, until, timeout: float = 40.0) -> None:  # type: ignore[no-untyped-def]
    """Act as beat + worker: deliver due rows again and again until ``until()`` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tp = transport_factory()
        try:
            engine.deliver_version(version_id, transport=tp)
        finally:
            tp.close()
        db.session.remove()
        if until():
            return
        time.sleep(0.2)
    raise AssertionError(f"not done within {timeout}s: {states(version_id)}")


def received_by_address(messages) -> Counter[str]:  # type: ignore[no-untyped-def]
    return Counter(m.rcpt_tos[0].lower() for m in messages)
