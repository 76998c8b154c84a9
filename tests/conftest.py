"""Shared fixtures: the app on a throw-away database, a real SMTP server (aiosmtpd on loopback),
a real Celery worker thread, a live HTTP server for the browser tests.

Without environment variables everything is embedded (SQLite, kombu's SQLAlchemy transport).
With PRESSDESK_DATABASE_URL / PRESSDESK_BROKER_URL set (CI), the same tests run on PostgreSQL
and Redis.
"""

from __future__ import annotations

import contextvars
import dataclasses
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import Envelope, Session
from flask import Flask
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy import Connection, Table, text
from sqlalchemy.exc import OperationalError

from pressdesk import create_app
from pressdesk.db import Base
from pressdesk.extensions import db


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- SMTP --------------------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class SMTPHandler:
    """Records every message; tests can make it refuse recipients or fail transactions."""

    messages: list[Received] = field(default_factory=list)
    # recipient -> SMTP reply for RCPT TO (e.g. "550 5.1.1 unknown user")
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    # when set, every DATA is answered with this reply (e.g. "451 4.3.0 try later")
    data_reply: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: SMTPServer, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        reply = self.rcpt_replies.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session,
                          envelope: Envelope) -> str:
        if self.data_reply:
            return self.data_reply
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                          bytes(envelope.original_content or envelope.content)))
        return "250 Message accepted"

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()
        self.rcpt_replies.clear()
        self.data_reply = None


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Controller, SMTPHandler]]:
    handler = SMTPHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, decode_data=False)
    controller.start()
    yield controller, handler
    controller.stop()


@pytest.fixture
def smtp(smtp_server: tuple[Controller, SMTPHandler]) -> Iterator[SMTPHandler]:
    """The session's SMTP server, reset before and after the test: a refusal a test sets up
    (``rcpt_replies``, ``data_reply``) must not reach the next test, whose mail the session's
    worker may send through the same server whether or not that test asks for ``smtp``."""
    _controller, handler = smtp_server
    handler.reset()
    yield handler
    handler.reset()


# --- App and database --------------------------------------------------------------------------


LIVE_PORT = free_port()


def _test_config(instance: Path, smtp_port: int) -> dict[str, Any]:
    broker = os.environ.get("PRESSDESK_BROKER_URL") or f"sqla+sqlite:///{instance / 'broker.db'}"
    return {
        "instance_dir": str(instance),
        "smtp_url": f"smtp://127.0.0.1:{smtp_port}",
        "broker_url": broker,
        "base_url": f"http://127.0.0.1:{LIVE_PORT}",
        "secret_key": "test-secret-key-0123456789",
        "testing": True,
        "sweep_seconds": 1.0,
        "retry_base_seconds": 1,
        "smtp_timeout": 5.0,
        # The cheapest argon2 parameters: hashing is not under test, and the default costs
        # about half a second per hash on this machine.
        "argon2_time_cost": 1,
        "argon2_memory_kib": 8,
        "argon2_parallelism": 1,
        # Tests reset the database between tests; the feeds' 1 s state micro-cache would outlive
        # that. Feed tests that exercise the micro-cache turn it on themselves.
        "feed_state_ttl": 0.0,
    }


class IsolatedClient(FlaskClient):
    """A test client whose requests get their own app context, as in production.

    Tests hold an app context to call services; without this, requests would share its ``g``
    (Flask-Login's user, Flask-WTF's token) with each other.
    """

    def open(self, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def,override]
        def run():  # type: ignore[no-untyped-def]
            token = _cv_app.set(None)  # type: ignore[arg-type]
            try:
                return FlaskClient.open(self, *args, **kwargs)
            finally:
                _cv_app.reset(token)

        return contextvars.copy_context().run(run)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory, smtp_server: tuple[Controller, SMTPHandler]):
    instance = tmp_path_factory.mktemp("instance")
    controller, _ = smtp_server
    flask_app = create_app(_test_config(instance, controller.port))
    flask_app.test_client_class = IsolatedClient
    with flask_app.app_context():
        from pressdesk import migrate
        from pressdesk.demo import loader

        migrate.recreate()
        loader.load_offices_and_users()
        flask_app.extensions["tests.demo_rows"] = _table_rows()
        db.session.remove()
    return flask_app


# --- Per-test database state -------------------------------------------------------------------
# Every test starts from empty tables; the `demo` fixture restores the demo offices, lists and
# users, loaded once per session and copied back as rows. Cheaper than TRUNCATE (about half a
# second per test on PostgreSQL) and than loading the demo again: only the tables a test wrote
# are emptied, with DELETE, and their id sequences restarted.

TableRows = dict[str, list[dict[str, Any]]]


def _table_rows() -> TableRows:
    """Every non-empty table's rows, in dependency order."""
    assert db.engine is not None
    with db.engine.connect() as conn:
        rows = {t.name: [dict(r) for r in conn.execute(t.select()).mappings()]
                for t in Base.metadata.sorted_tables}
    return {name: r for name, r in rows.items() if r}


def _written_tables(conn: Connection) -> list[Table]:
    """The tables that hold rows, children before parents (one query)."""
    tables = list(reversed(Base.metadata.sorted_tables))
    union = " UNION ALL ".join(f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")"
                               for t in tables)
    written = set(conn.execute(text(union)).scalars())
    return [t for t in tables if t.name in written]


def _restart_ids(conn: Connection, tables: list[Table]) -> None:
    """PostgreSQL: each id sequence continues after the table's highest id (1 when empty), as
    SQLite's rowids do."""
    if conn.dialect.name != "postgresql":
        return
    for t in tables:
        col = t.autoincrement_column
        if col is not None:
            conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence('\"{t.name}\"', '{col.name}'), "
                f"COALESCE((SELECT MAX(\"{col.name}\") FROM \"{t.name}\"), 0) + 1, false)"))


def _empty_tables(restore: TableRows | None = None) -> None:
    """Empty the tables a test wrote to, then (optionally) insert ``restore``'s rows. The
    session's worker thread may still be finishing the previous test's rows and hold locks,
    so retry a few times."""
    assert db.engine is not None
    for attempt in range(20):
        try:
            with db.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SET LOCAL lock_timeout = '2s'"))
                written = _written_tables(conn)
                for t in written:
                    conn.execute(t.delete())
                restored = [Base.metadata.tables[name] for name in restore or {}]
                for t in restored:
                    conn.execute(t.insert(), (restore or {})[t.name])
                _restart_ids(conn, [*written, *(t for t in restored if t not in written)])
            return
        except OperationalError:
            if attempt == 19:
                raise
            time.sleep(0.25)


def _quiesce_tasks(flask_app: Flask, timeout: float = 30.0) -> None:
    """No task of an earlier test may reach into this one: drop the queued wake-ups (ids restart
    per test, so an old ``deliver_version(1)`` would deliver this test's version 1), discard
    what the session's worker thread has prefetched or holds for a retry countdown, and wait
    for the tasks it is running to finish, then drop what they queued."""
    from celery.worker import state

    celery = flask_app.extensions["celery"]
    celery.control.purge()
    for req in list(state.reserved_requests):
        if req not in state.active_requests:
            state.revoked.add(req.id)
    deadline = time.monotonic() + timeout
    while state.active_requests:
        if time.monotonic() > deadline:
            raise AssertionError(f"tasks of an earlier test still run: {list(state.active_requests)}")
        time.sleep(0.02)
    celery.control.purge()


def _clear_process_caches(flask_app: Flask) -> None:
    """The per-process page, state and micro caches are keyed by the data state, and ids and
    version numbers restart per test: an earlier test's entry could match. Start empty."""
    from pressdesk import pagecache

    for value in list(flask_app.extensions.values()):
        if isinstance(value, pagecache.LocalCache | pagecache.MicroCache | pagecache.StateMemo):
            value.clear()


@pytest.fixture(autouse=True)
def ctx(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts with no task of an earlier one in flight, empty tables and an app
    context."""
    if "app" not in request.fixturenames and not request.node.get_closest_marker("needs_app"):
        yield
        return
    flask_app = request.getfixturevalue("app")
    with flask_app.app_context():
        db.session.remove()
        _quiesce_tasks(flask_app)
        _empty_tables()
        _clear_process_caches(flask_app)
        s = flask_app.extensions["pressdesk.settings"]
        shutil.rmtree(s.outbox_dir, ignore_errors=True)
        yield
        db.session.remove()


@pytest.fixture
def no_wakeups(monkeypatch: pytest.MonkeyPatch) -> None:
    """Drop the broker wake-ups (the one patch point, ``delivery.queue.send_task``): the test
    drives delivery itself, or lets subprocess workers find the rows by sweeping."""
    monkeypatch.setattr("pressdesk.delivery.queue.send_task", lambda *a: None)


@pytest.fixture
def settings_override(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """``settings_override(feed_page_size=20)``: these settings for the rest of the test."""
    def override(**changes: Any) -> Any:
        changed = dataclasses.replace(app.extensions["pressdesk.settings"], **changes)
        monkeypatch.setitem(app.extensions, "pressdesk.settings", changed)
        return changed

    return override


@pytest.fixture(scope="session")
def celery_worker(app):
    """A real Celery worker (threads pool) consuming from the configured broker."""
    from celery.contrib.testing.worker import start_worker

    import workers.tasks  # noqa: F401  (registers the tasks)

    celery = app.extensions["celery"]
    if celery.conf.broker_url.startswith("redis"):
        import redis

        redis.Redis.from_url(celery.conf.broker_url).flushdb()
    with start_worker(celery, pool="threads", concurrency=2, perform_ping_check=False,
                      loglevel="WARNING", shutdown_timeout=30) as worker:
        yield worker


# --- Helpers -----------------------------------------------------------------------------------


def wait_for(check: Callable[[], Any], timeout: float = 30.0, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {check}")
        time.sleep(interval)


@pytest.fixture
def demo(app: Flask) -> ModuleType:
    """Demo offices, lists and users, without the demo releases (copied from the session's
    snapshot). Returns the loader, so a test can add the demo releases with ``load_demo()``."""
    from pressdesk.demo import loader

    db.session.remove()
    _empty_tables(restore=app.extensions["tests.demo_rows"])
    return loader


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    """The app served over real HTTP on LIVE_PORT (matches PRESSDESK_BASE_URL in tests)."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", LIVE_PORT, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{LIVE_PORT}"
    server.shutdown()
