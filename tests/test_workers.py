"""Workers survive a broker restart, are restarted when they die, and report a heartbeat the desk
reads."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

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
