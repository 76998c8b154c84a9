"""The engine under faults: a row shows only what happened to it, the auto-pause cannot race,
nothing stays claimed by a task that failed, a throttling or flaky relay costs little time, a
relay that is down is not hammered."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from sqlalchemy import insert

from pressdesk.db import utcnow
from pressdesk.delivery import controls, engine
from pressdesk.delivery.models import SendControl
from pressdesk.extensions import db
from tests.delivery_support import (
    DroppingSMTP,
    OwnSMTP,
    PipeliningHandler,
    SocketRelay,
    drive,
    publish_to,
    received_by_address,
    recipients,
    rows,
    states,
)

pytestmark = pytest.mark.usefixtures("no_wakeups")


def test_handing_back_writes_no_error_onto_rows_that_were_not_tried(app, demo):
    with DroppingSMTP() as server:  # every DATA is cut: the relay keeps dropping us
        version = publish_to(recipients(10))
        tp = server.transport()
        engine.deliver_version(version.id, transport=tp)
        tp.close()
        first, *rest = rows(version.id)
        assert first.state == "retrying" and "connection" in first.last_error.lower()
        assert first.attempts == 1
        # Nothing happened to the others: no error, no attempt, still queued.
        assert {(r.state, r.last_error, r.attempts) for r in rest} == {("queued", "", 0)}


def test_pausing_writes_no_error_onto_rows(app, demo, monkeypatch):
    with OwnSMTP() as server:
        version = publish_to(recipients(6))
        checks = iter(["active", "active", "paused"])
        real = controls.control_state
        monkeypatch.setattr(engine, "control_state", lambda vid: next(checks, None) or real(vid))
        monkeypatch.setattr(engine.time, "monotonic", _clock(step=0.6))
        tp = server.transport()
        engine.deliver_version(version.id, transport=tp)
        tp.close()
        got = rows(version.id)
        assert {r.state for r in got} <= {"sent", "queued"} and "queued" in {r.state for r in got}
        assert all(r.last_error == "" for r in got)


def _clock(step: float):  # type: ignore[no-untyped-def]
    """A monotonic clock that moves ``step`` seconds per reading (the engine checks each second)."""
    now = [time.monotonic()]

    def tick() -> float:
        now[0] += step
        return now[0]
    return tick


def test_auto_pause_race_is_idempotent_and_leaves_nothing_claimed(app, demo, monkeypatch,
                                                                  settings_override):
    """Another process pauses the same version at the same moment (its row appears between our
    look and our write): our pause still succeeds and no row stays claimed."""
    settings_override(auto_pause_errors=3)
    real_pause, real_get = engine.auto_pause, db.session.get

    def other_process_pauses_too(version_id, reason):  # type: ignore[no-untyped-def]
        assert db.engine is not None
        with db.engine.begin() as conn:
            conn.execute(insert(SendControl).values(version_id=version_id, state="paused",
                                                    reason=reason, changed_at=utcnow()))
        real_pause(version_id, reason)

    def look_misses_it(model, ident, **kw):  # type: ignore[no-untyped-def]
        return None if model is SendControl else real_get(model, ident, **kw)

    monkeypatch.setattr(engine, "auto_pause", other_process_pauses_too)
    monkeypatch.setattr(db.session, "get", look_misses_it)
    with OwnSMTP() as server:
        server.handler.data_reply = "451 4.3.0 Temporary local problem"
        version = publish_to(recipients(20))
        tp = server.transport()
        engine.deliver_version(version.id, transport=tp)
        tp.close()
    monkeypatch.undo()
    db.session.remove()
    assert controls.control_state(version.id) == "paused"
    assert states(version.id) == {"retrying": 3, "queued": 17}


def test_no_row_stays_claimed_when_the_task_fails(app, demo, monkeypatch):
    with OwnSMTP() as server:
        version = publish_to(recipients(8))
        calls = []

        def broken_mark(row, detail, conn=None):  # type: ignore[no-untyped-def]
            calls.append(row.id)
            raise RuntimeError("database went away")

        monkeypatch.setattr(engine, "mark_sent", broken_mark)
        tp = server.transport()
        with pytest.raises(RuntimeError):
            engine.deliver_version(version.id, transport=tp)
        tp.close()
        st = states(version.id)
        # The one message in flight keeps its claim (it may have been delivered: at least once);
        # the untried rest is handed back at once, not left to the claim's end.
        assert st["sending"] == 1 and st["queued"] == 7, st


class FlakyHandler(PipeliningHandler):
    """Answers DATA with 421 for every ``every``-th message (a throttling relay)."""

    def __init__(self, every: int) -> None:
        super().__init__()
        self.every = every
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.count += 1
        if self.count % self.every == 0:
            return "421 4.7.0 Too many messages, slow down"
        return await super().handle_DATA(server, session, envelope)


class SometimesDropping(DroppingSMTP):
    """Hangs up in the middle of DATA on every ``every``-th message."""

    def __init__(self, every: int) -> None:
        self.every, self.seen = every, 0
        super().__init__(pipelining=True)

    @property  # type: ignore[override]
    def drop_in_data(self) -> bool:
        self.seen += 1
        return self.seen % self.every == 0

    @drop_in_data.setter
    def drop_in_data(self, value: bool) -> None:
        pass


def _timed_delivery(server, version_id: int, n: int) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    drive(version_id, server.transport, lambda: states(version_id) == {"sent": n}, timeout=60)
    return time.monotonic() - started


N = 300


def test_a_throttling_relay_costs_at_most_twice_the_clean_time(app, demo):
    with OwnSMTP() as clean:
        clean_time = _timed_delivery(clean, publish_to(recipients(N)).id, N)
    server = OwnSMTP()
    server.handler = FlakyHandler(every=5)  # 20 % of messages answered 421
    server.controller.handler = server.handler
    with server:
        version = publish_to(recipients(N, "andere.example"), headline="Zweite")
        flaky_time = _timed_delivery(server, version.id, N)
    got = received_by_address(server.handler.messages)
    assert len(got) == N and set(got.values()) == {1}
    assert flaky_time <= 2 * clean_time + 1.0, (clean_time, flaky_time)
    assert all(r.last_error == "" for r in rows(version.id))


def test_dropped_connections_retry_the_one_message_and_starve_nobody(app, demo):
    with DroppingSMTP(pipelining=True) as clean:
        clean.drop_in_data = False
        clean_time = _timed_delivery(clean, publish_to(recipients(100)).id, 100)
    with SometimesDropping(every=5) as server:  # 20 % of messages cut mid-DATA
        version = publish_to(recipients(100, "andere.example"), headline="Zweite")
        took = _timed_delivery(server, version.id, 100)
        got = Counter(r[0][0] for r in server.messages)
        assert len(got) == 100 and set(got.values()) == {1}
    assert took <= 2 * clean_time + 1.0, (clean_time, took)


class RefusingRelay(SocketRelay):
    """Answers every connection with 421 at once, counting connections (a relay that is down)."""

    def __init__(self) -> None:
        super().__init__(accept_timeout=0.1)
        self.connections = 0

    def _serve(self) -> None:
        for conn in self.accepted():
            self.connections += 1
            try:
                conn.sendall(b"421 4.3.2 Service not available\r\n")
            finally:
                conn.close()


def test_a_relay_that_is_down_is_not_hammered(app, demo):
    from pressdesk.delivery.transport import SMTPTransport

    with RefusingRelay() as relay:
        version = publish_to(recipients(50))
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            tp = SMTPTransport(f"smtp://127.0.0.1:{relay.port}", timeout=2)
            engine.deliver_version(version.id, transport=tp)
            tp.close()
            db.session.remove()
            time.sleep(0.2)
        # One task tries a few fresh connections, then backs off: the rows wait their turn.
        assert relay.connections <= 3 * (engine.QUICK_RETRIES + 2), relay.connections
        st = states(version.id)
        assert st["sending"] == 0 and st["sent"] == 0
        # Each task's one failing message carries the error; the rest were never tried.
        tried = [r for r in rows(version.id) if r.last_error]
        assert 1 <= len(tried) <= 3 and all(r.state == "retrying" for r in tried)


def test_lost_alert_wake_ups_are_swept_within_30_seconds():
    from pressdesk.celery_app import celery_config
    from pressdesk.config import Settings

    schedule = celery_config(Settings())["beat_schedule"]
    assert schedule["alerts-sweep"]["schedule"] <= 30
    assert schedule["sweep"]["schedule"] + Settings().claim_seconds < 30


def test_marks_wait_for_the_database_by_default(app, demo, settings_override):
    """A database crash must not forget marks (a re-send per forgotten mark): the fast,
    forgetful mode is an explicit setting."""
    from sqlalchemy import event

    seen: list[str] = []

    def record(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        seen.append(statement)

    assert db.engine is not None
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with OwnSMTP() as server:
            version = publish_to(recipients(2))
            tp = server.transport()
            engine.deliver_version(version.id, transport=tp)
            tp.close()
            assert not any("synchronous_commit" in s for s in seen)
            if db.dialect == "postgresql":
                settings_override(durable_marks=False)
                seen.clear()
                second = publish_to(recipients(2, "b.example"), headline="Zwei")
                tp = server.transport()
                engine.deliver_version(second.id, transport=tp)
                tp.close()
                assert any("synchronous_commit = off" in s for s in seen)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_the_engine_imports_neither_media_nor_release_images():
    """Message variants are rendered on the release side; the delivery package sends them."""
    import ast
    from pathlib import Path

    import pressdesk.delivery

    for path in Path(pressdesk.delivery.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        names = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not {n for n in names if n.startswith(("pressdesk.media", "pressdesk.releases.images"))}, path
