"""Workers survive a broker restart, are restarted when they die, and report a heartbeat the desk
reads."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from pressdesk import heartbeat
from pressdesk.cli import RESTART_PAUSE, supervise
from pressdesk.db import utcnow
from pressdesk.extensions import db
from tests.helpers import EDITOR, logged_in

ROOT = Path(__file__).resolve().parent.parent


def test_the_worker_consumer_runs_without_gossip(app, monkeypatch):
    """Gossip's restart after a Redis restart fails inside kombu and can end the worker."""
    from celery.utils.imports import symbol_by_name
    from celery.worker.consumer import Consumer as CeleryConsumer

    from pressdesk.celery_app import Consumer

    assert symbol_by_name(app.extensions["celery"].conf.worker_consumer) is Consumer
    seen: dict[str, object] = {}

    def capture(self, on_task_request, worker_options=None, **kwargs):  # type: ignore[no-untyped-def]
        seen.update(worker_options or {})

    monkeypatch.setattr(CeleryConsumer, "__init__", capture)
    Consumer(lambda *a: None, worker_options={"without_gossip": False, "loglevel": "INFO"})
    assert seen == {"without_gossip": True, "loglevel": "INFO"}


def test_compose_restarts_worker_and_beat():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("worker", "beat", "web"):
        assert services[name]["restart"] == "unless-stopped", name


def test_dev_starts_a_dead_worker_again_and_stops_when_the_web_ends(tmp_path):
    marker = tmp_path / "starts"
    dies = [sys.executable, "-c", f"open({str(marker)!r}, 'a').write('x'); raise SystemExit(3)"]
    sleeps = [sys.executable, "-c", "import time; time.sleep(60)"]
    commands = {"web": sleeps, "worker": dies}
    procs = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}
    started = dict.fromkeys(procs, time.monotonic() - RESTART_PAUSE)
    try:
        deadline = time.monotonic() + 20
        while marker.read_text().count("x") < 2 if marker.exists() else True:
            assert supervise(procs, commands, {}, started)  # the web still runs
            assert time.monotonic() < deadline, "the worker was not started again"
            time.sleep(0.1)
        procs["web"].kill()
        procs["web"].wait()
        assert not supervise(procs, commands, {}, started)
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()


def test_the_desk_warns_when_no_worker_was_seen_for_a_minute(app, demo):
    client = logged_in(app, EDITOR)
    assert 'id="worker-warning"' in client.get("/desk/").get_data(as_text=True)
    heartbeat.beat("w1@host")
    assert not heartbeat.workers_missing()
    assert 'id="worker-warning"' not in client.get("/desk/").get_data(as_text=True)
    db.session.remove()
    assert heartbeat.workers_missing(now=utcnow() + heartbeat.MISSING_AFTER + timedelta(seconds=1))
    heartbeat.beat("w1@host")  # a second beat updates the row, it does not add one
    assert db.session.query(heartbeat.WorkerHeartbeat).count() == 1


def test_workers_survive_a_redis_restart(app, tmp_path):
    """Two real workers on a Redis of the test's own; Redis is stopped and started again. Both
    reconnect, neither logs a failed Gossip restart (the step that ended workers), and both
    keep reporting their heartbeat."""
    import os
    import shutil
    import signal

    from pressdesk.config import settings
    from tests.conftest import free_port, wait_for

    redis_server = shutil.which("redis-server")
    if redis_server is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    port = free_port()

    def start_redis() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([redis_server, "--port", str(port), "--bind", "127.0.0.1",
                                 "--save", "", "--appendonly", "no"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: _answers(port), timeout=10)
        return proc

    s = settings()
    env = dict(os.environ, PRESSDESK_DATABASE_URL=s.database_url,
               PRESSDESK_BROKER_URL=f"redis://127.0.0.1:{port}/0", PRESSDESK_SECRET_KEY=s.secret_key,
               PRESSDESK_INSTANCE_DIR=s.instance_dir, PRESSDESK_QUEUE="pressdesk-restart-test")
    redis = start_redis()
    workers: list[subprocess.Popen[bytes]] = []
    logs = [tmp_path / f"w{i}.log" for i in (1, 2)]
    try:
        for i, log in enumerate(logs, 1):
            workers.append(subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker",
                 "--concurrency", "1", "--hostname", f"restart{i}@%h", "--loglevel", "INFO"],
                cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                start_new_session=True))
        try:
            wait_for(lambda: all(" ready." in log.read_text() for log in logs), timeout=60)
        except AssertionError:
            raise AssertionError("".join(log.read_text()[-2000:] for log in logs)) from None
        for restart in (1, 2):  # each time once both workers are connected again
            redis.terminate()
            redis.wait(10)
            time.sleep(1)
            redis = start_redis()
            try:
                wait_for(lambda n=restart: all(  # type: ignore[misc]
                    log.read_text().count("Connected to redis") > n for log in logs), timeout=60)
            except AssertionError:
                raise AssertionError("".join(log.read_text()[-3000:] for log in logs)) from None
        text = "".join(log.read_text() for log in logs)
        assert "Error on restarting Gossip" not in text
        assert "Unrecoverable error" not in text
        assert all(w.poll() is None for w in workers), text[-3000:]
        db.session.remove()
        names = {h.hostname.split("@")[0] for h in db.session.query(heartbeat.WorkerHeartbeat)}
        assert {"restart1", "restart2"} <= names
    finally:
        for w in workers:
            if w.poll() is None:
                os.killpg(w.pid, signal.SIGKILL)
                w.wait(10)
        redis.kill()
        redis.wait(10)


def _answers(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_a_wake_up_left_in_the_queue_by_one_test(app):
    from pressdesk.celery_app import send_task

    send_task("pressdesk.deliver_version", 1)  # e.g. published without a worker running


def test_does_not_reach_the_next_test(app):
    # Ids restart per test: that message would deliver this test's version 1.
    assert app.extensions["celery"].control.purge() == 0
