"""Database plumbing: declarative base, engine, the scoped session, the unit of work and the
after-commit hook.

Plain SQLAlchemy 2 rather than a Flask wrapper, so the same session code serves the web app,
the CLI and the Celery workers.

Who commits: services change and flush, never commit. The unit of work commits once at its end:
a web request (:func:`init_request_transactions`: commit when the view answered below 400, roll
back on an exception or an error answer), a Celery task (``FlaskTask`` in ``celery_app``: commit
after ``run``, roll back when it raises), a CLI command (it calls :meth:`Database.commit`). Code
that must make work durable mid-way (the delivery engine marking each message after the relay's
answer, a refused login that must be counted although the answer is an error) calls
``db.commit()`` deliberately; what it committed stays committed whatever the unit does after.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from flask import Flask, Response

log = logging.getLogger(__name__)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # WAL lets the desk read while a worker writes; busy_timeout waits for a lock
            # instead of failing at once.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


class Database:
    """Holds the engine and the scoped session for one app."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.session = scoped_session(sessionmaker(expire_on_commit=False))

    def configure(self, url: str) -> None:
        if self.engine is not None:
            self.engine.dispose()
        self.engine = make_engine(url)
        self.session.remove()
        self.session.configure(bind=self.engine)

    @property
    def dialect(self) -> str:
        assert self.engine is not None
        return self.engine.dialect.name

    def commit(self) -> None:
        """Commit the session now, on purpose: the end of a CLI command, or work that must be
        durable before the unit of work ends (see the module docstring). The one place that
        calls ``session.commit()``."""
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()


db = Database()


# An answer below this status commits the request's work; an error answer rolls it back.
COMMIT_BELOW_STATUS = 400


def init_request_transactions(app: Flask) -> None:
    """Make each request one unit of work, as Indico's ``RH.process`` does.

    After the view (and any error handler) produced the answer: a status below 400 commits,
    anything else rolls back, so a refused step shown as a 403 page leaves nothing half-applied.
    An exception that no handler turns into an answer becomes a 500, which rolls back too. A
    failing commit raises here, and Flask answers 500 instead of the view's success page.

    Registered before every other ``after_request`` function, so it runs after all of them.
    """

    @app.after_request
    def _end_unit_of_work(response: Response) -> Response:
        if response.status_code < COMMIT_BELOW_STATUS:
            db.commit()
        elif wrote(db.session()):
            db.rollback()
        # An error answer that wrote nothing has nothing to undo: the teardown closes the
        # session, and objects loaded before stay readable instead of being expired.
        return response


def wrote(session: Session) -> bool:
    """Whether the session's open transaction holds changes: pending ORM changes, a flush, or
    an INSERT/UPDATE/DELETE construct executed through it (textual SQL is not seen; the
    teardown closes the session and discards it all the same)."""
    return bool(session.new or session.dirty or session.deleted or session.info.get("wrote"))


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _flush_context: Any) -> None:
    session.info["wrote"] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info["wrote"] = True


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the session's current transaction has committed.

    Used to wake workers only for rows that really exist; a rollback drops the callback.
    """
    session.info.setdefault("after_commit", []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    session.info.pop("wrote", None)
    callbacks = session.info.pop("after_commit", [])
    for cb in callbacks:
        try:
            cb()
        except Exception:  # a lost wake-up only costs a delay: the sweeper finds the rows
            log.exception("after-commit callback failed")


@event.listens_for(Session, "after_rollback")
def _drop_after_commit(session: Session) -> None:
    session.info.pop("wrote", None)
    session.info.pop("after_commit", None)
