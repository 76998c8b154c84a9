"""Entry point for ``celery -A workers.celery_app worker|beat``."""

from typing import Any

from celery.signals import worker_process_init

from pressdesk import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]

import workers.tasks  # noqa: E402,F401  (registers the tasks on this app)


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
