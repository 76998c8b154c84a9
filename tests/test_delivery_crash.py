"""Crashes of real processes: a Celery worker killed with SIGKILL in the middle of a
2,000-recipient release, and the broker losing its messages (Redis restarted without
persistence; embedded: the SQLite broker's queue emptied) during a send.

The workers are real subprocesses (``celery -A workers.celery_app worker -B``) configured through
PRESSDESK_* variables to this test's database, broker and SMTP server, on a queue of their own so
the session's in-process worker never takes part.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from pressdesk.config import settings
from pressdesk.delivery.models import Delivery
from pressdesk.extensions import db
from tests.conftest import wait_for
from tests.delivery_support import parse, publish_to, recipients, states

ROOT = Path(__file__).resolve().parent.parent
QUEUE = "pressdesk-crash-test"


pytestmark = pytest.mark.usefixtures("no_wakeups")


class Workers:
    def __init__(self, tmp_path: Path) -> None:
        s = settings()
        self.tmp = tmp_path
        self.env = dict(os.environ)
        self.env.update({
            "PRESSDESK_DATABASE_URL": s.database_url, "PRESSDESK_BROKER_URL": s.broker_url,
            "PRESSDESK_SMTP_URL": s.smtp_url, "PRESSDESK_SECRET_KEY": s.secret_key,
            "PRESSDESK_BASE_URL": s.base_url, "PRESSDESK_INSTANCE_DIR": s.instance_dir,
            "PRESSDESK_QUEUE": QUEUE, "PRESSDESK_CLAIM_SECONDS": "3",
            "PRESSDESK_SWEEP_SECONDS": "1", "PRESSDESK_RETRY_BASE_SECONDS": "1",
            "PRESSDESK_BATCH_SIZE": "50", "PRESSDESK_SMTP_TIMEOUT": "5",
        })
        self.procs: list[subprocess.Popen] = []

    def start(self, name: str, beat: bool = True, loglevel: str = "WARNING") -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        with_beat = ["-B", "--schedule", str(self.tmp / f"{name}-beat")] if beat else []
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", *with_beat,
             "-Q", QUEUE, "--concurrency", "2",
             "--pool", "prefork", "--hostname", f"{name}@%h", "--loglevel", loglevel,
             "--without-mingle", "--without-gossip"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen) -> None:
        os.killpg(proc.pid, signal.SIGKILL)  # the main process and its pool children
        proc.wait(10)

    def stop_all(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                # The test is over: a warm shutdown (which here never finished within 20 s)
                # proves nothing, so the workers get a second before SIGKILL.
                p.wait(1)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


@pytest.fixture
def workers(app, tmp_path):
    w = Workers(tmp_path)
    yield w
    w.stop_all()


def _sent_count(version_id: int) -> int:
    db.session.remove()
    return db.session.scalar(select(func.count()).where(Delivery.version_id == version_id,
                                                        Delivery.state == "sent"))


def _check_exactly_once(smtp, expected: set[str], processes_killed: int) -> None:
    got: dict[str, list[str]] = defaultdict(list)
    for m in list(smtp.messages):
        if m.rcpt_tos[0] in expected:  # the session's own worker may still finish an earlier test's mail
            got[m.rcpt_tos[0]].append(parse(m.data)["Message-ID"])
    assert set(got) == expected, "every recipient got the release"
    doubled = {a: ids for a, ids in got.items() if len(ids) > 1}
    assert len(doubled) <= processes_killed, doubled
    for ids in doubled.values():
        assert len(ids) == 2 and len(set(ids)) == 1, "a doubled message keeps its Message-ID"


def test_sigkill_in_the_middle_of_2000_recipients(app, demo, smtp, workers):
    rcpts = recipients(2000)
    version = publish_to(rcpts)
    first = workers.start("crash-a")
    wait_for(lambda: _sent_count(version.id) >= 300, timeout=120, interval=0.05)
    workers.kill(first)
    killed_at = _sent_count(version.id)
    st = states(version.id)
    assert killed_at < 2000 and st["sending"] + st["queued"] > 0, st

    workers.start("crash-b")
    wait_for(lambda: _sent_count(version.id) == 2000, timeout=240, interval=0.5)
    assert states(version.id) == {"sent": 2000}
    # Two pool processes were killed: at most one doubled message each.
    _check_exactly_once(smtp, {r.email for r in rcpts}, processes_killed=2)


def _redis_port() -> str:
    """The broker's port: the machine's Redis (6379) in CI, or a private one of the test run."""
    from urllib.parse import urlsplit

    return str(urlsplit(settings().broker_url).port or 6379)


def _redis_up() -> bool:
    return subprocess.run(["redis-cli", "-p", _redis_port(), "ping"], capture_output=True,
                          text=True).stdout.strip() == "PONG"


def _start_redis() -> None:
    port = _redis_port()
    log = "/var/log/redis/ci.log" if port == "6379" else f"/tmp/redis-{port}.log"
    subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1",
                    "--port", port, "--save", "", "--appendonly", "no", "--dir",
                    "/var/lib/redis", "--logfile", log], check=True)
    wait_for(_redis_up, timeout=20, interval=0.2)


def test_broker_loses_its_messages_during_a_send(app, demo, smtp, workers):
    rcpts = recipients(1000)
    version = publish_to(rcpts)
    workers.start("broker-a")
    wait_for(lambda: _sent_count(version.id) >= 150, timeout=120, interval=0.05)
    broker = settings().broker_url
    if broker.startswith("redis"):
        try:
            subprocess.run(["redis-cli", "-p", _redis_port(), "shutdown", "nosave"],
                           capture_output=True)
            wait_for(lambda: not _redis_up(), timeout=10, interval=0.1)
            time.sleep(1.0)
        finally:
            if not _redis_up():
                _start_redis()
    else:
        # Embedded: the SQLite broker loses every queued and unacknowledged message.
        from sqlalchemy import create_engine

        engine = create_engine(broker.removeprefix("sqla+"))
        with engine.begin() as conn:
            n = conn.execute(text("DELETE FROM kombu_message")).rowcount
        engine.dispose()
        assert n is not None
    wait_for(lambda: _sent_count(version.id) == 1000, timeout=240, interval=0.5)
    assert states(version.id) == {"sent": 1000}
    got = Counter(m.rcpt_tos[0] for m in smtp.messages)
    assert set(got) == {r.email for r in rcpts} and set(got.values()) == {1}


def _sending_count(version_id: int) -> int:
    db.session.remove()
    return db.session.scalar(select(func.count()).where(Delivery.version_id == version_id,
                                                        Delivery.state == "sending"))


def test_a_killed_workers_rows_go_out_again_within_30_seconds(app, demo, smtp, workers):
    """Default claim length and sweep interval: the claims of a worker killed with SIGKILL run
    out within seconds (they are extended every second while alive), so another worker sends
    its rows well within 30 s, not after a five-minute claim."""
    for name in ("PRESSDESK_CLAIM_SECONDS", "PRESSDESK_SWEEP_SECONDS"):
        workers.env.pop(name)
    rcpts = recipients(2000)
    version = publish_to(rcpts)
    victim = workers.start("recover-a")
    wait_for(lambda: _sent_count(version.id) >= 200 and _sending_count(version.id) > 0,
             timeout=120, interval=0.02)
    workers.kill(victim)
    killed = time.monotonic()
    db.session.remove()
    held = set(db.session.scalars(select(Delivery.id).where(Delivery.version_id == version.id,
                                                            Delivery.state == "sending")))
    assert held, "the killed worker held rows"
    workers.start("recover-b")

    def held_rows_done() -> bool:
        db.session.remove()
        return not db.session.scalar(select(func.count()).where(
            Delivery.id.in_(held), Delivery.state != "sent"))

    wait_for(held_rows_done, timeout=120, interval=0.2)
    recovered = time.monotonic() - killed
    assert recovered < 30, f"rows of the killed worker went out after {recovered:.1f}s"
    wait_for(lambda: _sent_count(version.id) == 2000, timeout=240, interval=0.5)
    _check_exactly_once(smtp, {r.email for r in rcpts}, processes_killed=2)


def _chunks_left(version_id: int) -> int:
    from pressdesk.delivery.models import OutboxChunk

    db.session.remove()
    return db.session.scalar(select(func.count()).where(OutboxChunk.version_id == version_id))


def test_sigkill_while_a_long_list_is_still_written_out_in_chunks(app, demo, smtp, workers,
                                                                   monkeypatch):
    """The rows of a long list are written in chunks by the sending workers: a worker killed
    between (or inside) chunks loses no recipient and writes none twice."""
    from pressdesk.delivery import queue

    monkeypatch.setattr(queue, "FIRST_ROWS", 100)
    monkeypatch.setattr(queue, "CHUNK_ROWS", 100)
    rcpts = recipients(3000)
    version = publish_to(rcpts)
    assert _chunks_left(version.id) == 29
    first = workers.start("chunks-a")
    wait_for(lambda: _sent_count(version.id) >= 150, timeout=120, interval=0.05)
    workers.kill(first)
    assert _chunks_left(version.id) > 0, "killed while chunks were still waiting"
    workers.start("chunks-b")
    wait_for(lambda: _sent_count(version.id) == 3000, timeout=300, interval=0.5)
    assert states(version.id) == {"sent": 3000} and _chunks_left(version.id) == 0
    _check_exactly_once(smtp, {r.email for r in rcpts}, processes_killed=2)


def test_two_worker_nodes_on_one_release_send_each_recipient_once(app, demo, smtp, workers):
    """Two `celery worker` nodes with their own names (one runs beat) share one release
    through the database claims: every recipient exactly once, and both nodes sent.

    Both nodes are up before the release is published and woken four times; each node holds
    at most one task per pool process (prefetch 1), so neither takes them all, and the shared
    rate limit keeps the send going for seconds. (Published before the nodes were up, the
    release waited for the first sweep of the node running beat, and that node alone could
    send all 2,000 in under a second, before the other one was woken.)"""
    from pressdesk.celery_app import DELIVER_TASK

    workers.env["PRESSDESK_BATCH_SIZE"] = "20"
    workers.env["PRESSDESK_RATE_LIMIT_PER_SECOND"] = "500"
    # One node after the other: the SQLite broker's first start creates its tables.
    for name, beat in (("node-a", True), ("node-b", False)):
        workers.start(name, beat=beat, loglevel="INFO")
        log = workers.tmp / f"{name}.log"
        try:
            wait_for(lambda log=log: b" ready." in log.read_bytes(), timeout=60, interval=0.2)
        except AssertionError:
            raise AssertionError(log.read_text(errors="replace")[-3000:]) from None
    rcpts = recipients(2000)
    version = publish_to(rcpts)
    for _ in range(4):
        app.extensions["celery"].send_task(DELIVER_TASK, args=[version.id], queue=QUEUE)
    wait_for(lambda: _sent_count(version.id) == 2000, timeout=240, interval=0.5)
    assert states(version.id) == {"sent": 2000}
    got = Counter(m.rcpt_tos[0] for m in smtp.messages if m.rcpt_tos[0].endswith("zeitung.example"))
    assert set(got) == {r.email for r in rcpts} and set(got.values()) == {1}
    import re

    per_node = {}
    for name in ("node-a", "node-b"):
        log = (workers.tmp / f"{name}.log").read_text(errors="replace")
        per_node[name] = sum(int(n) for n in re.findall(
            r"Task pressdesk\.deliver_version\[[^]]+\] succeeded in [0-9.]+s: (\d+)", log))
    assert sum(per_node.values()) == 2000, per_node
    assert min(per_node.values()) > 0, per_node
