"""Worker heartbeats: each worker process records that it is alive, so the desk can warn when no
worker has been seen for a while (nothing would be sent, and the report would only say "waiting").

The worker's main process writes its row every ``INTERVAL`` seconds from a daemon thread
(``workers/celery_app.py``); the desk reads the newest time. Rows of workers gone for good stay,
harmless: only the newest counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from pressdesk.db import Base, UTCDateTime, utcnow
from pressdesk.extensions import db

INTERVAL = 15.0  # seconds between two heartbeats of one worker
MISSING_AFTER = timedelta(seconds=60)  # the desk warns when the newest heartbeat is older


class WorkerHeartbeat(Base):
    __tablename__ = "worker_heartbeats"

    hostname: Mapped[str] = mapped_column(String(200), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


def beat(hostname: str) -> None:
    """Record that ``hostname`` is alive now (its own unit of work: commits)."""
    row = db.session.get(WorkerHeartbeat, hostname)
    if row is None:
        db.session.add(WorkerHeartbeat(hostname=hostname, seen_at=utcnow()))
    else:
        row.seen_at = utcnow()
    db.commit()


def last_seen() -> datetime | None:
    return db.session.scalar(select(func.max(WorkerHeartbeat.seen_at)))


def workers_missing(now: datetime | None = None) -> bool:
    """True when no worker has been seen within ``MISSING_AFTER``."""
    seen = last_seen()
    return seen is None or (now or utcnow()) - seen > MISSING_AFTER
