"""Entry point for ``celery -A workers.celery_app worker|beat``."""

import logging
import threading
from typing import Any

from celery.signals import worker_init, worker_process_init, worker_ready, worker_shutdown

from pressdesk import create_app

log = logging.getLogger(__name__)

flask_app = create_app()
celery = flask_app.extensions["celery"]

import workers.tasks  # noqa: E402,F401  (registers the tasks on this app)

_stop_heartbeat = threading.Event()


@worker_ready.connect
def _start_heartbeat(sender: Any = None, **_kwargs: object) -> None:
    """Record this worker as alive every few seconds (the desk warns when none is)."""
    from pressdesk import heartbeat

    hostname = getattr(sender, "hostname", None) or "worker"

    def run() -> None:
        while True:
            try:
                with flask_app.app_context():
                    heartbeat.beat(hostname)
            except Exception:  # a database hiccup must not kill the thread: try again next time
                log.exception("worker heartbeat failed")
            if _stop_heartbeat.wait(heartbeat.INTERVAL):
                return

    threading.Thread(target=run, name="pressdesk-heartbeat", daemon=True).start()


@worker_shutdown.connect
def _stop(**_kwargs: object) -> None:
    _stop_heartbeat.set()


@worker_process_init.connect
def _fresh_connections(**_kwargs: object) -> None:
    """In each pool process after fork: drop database connections inherited from the parent
    (never share a socket across processes), then connect ahead of the first task, so the first
    message of a release does not wait for connection setup. Commits keep the server's
    durability: whether a mark may skip the WAL flush is PRESSDESK_DURABLE_MARKS, on the
    marking connections alone (delivery/engine.py)."""
    from pressdesk.extensions import db

    engine = db.engine
    assert engine is not None
    engine.dispose(close=False)
    from contextlib import ExitStack

    from pressdesk.config import settings

    with flask_app.app_context(), ExitStack() as stack:
        # The session's, the claim heartbeat's and the marking connections of the first task.
        for _ in range(2 + settings().mark_connections):
            stack.enter_context(engine.connect()).exec_driver_sql("SELECT 1")


@worker_init.connect
def _freeze_imported_objects(**_kwargs: object) -> None:
    """Before the pool forks: move every object imported so far out of the garbage collector's
    reach, so a collection in a pool process does not write to (and so copy) the pages it
    shares with the parent. The pool then shares the app's code and data instead of holding a
    copy per process."""
    import gc

    gc.collect()
    gc.freeze()
