"""Entry point for ``celery -A workers.celery_app worker|beat``."""

import logging
import threading
from typing import Any

from celery.signals import worker_process_init, worker_ready, worker_shutdown

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
    message of a release does not wait for connection setup."""
    from sqlalchemy import event

    from pressdesk.extensions import db

    engine = db.engine
    assert engine is not None
    engine.dispose(close=False)
    if engine.dialect.name == "postgresql":
        @event.listens_for(engine, "connect")
        def _async_commit(dbapi_conn: Any, _record: Any) -> None:
            # Worker writes (claims, marks, error runs) need not wait for the WAL flush: a
            # database crash can only make rows be claimed and sent again (same Message-ID),
            # never lose one. The desk keeps synchronous commits.
            with dbapi_conn.cursor() as cur:
                cur.execute("SET synchronous_commit = off")
            dbapi_conn.commit()

    with flask_app.app_context(), engine.connect() as a, engine.connect() as b:
        a.exec_driver_sql("SELECT 1")  # the session's connection and the marking connection
        b.exec_driver_sql("SELECT 1")
