"""Pause, resume, cancel and "retry failed" of one version's sending, and the auto-pause.

A ``SendControl`` row per version (absent = active). Workers check it every second and hand back
what they hold.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, select, update

from pressdesk.db import utcnow
from pressdesk.delivery.models import (
    PENDING_STATES,
    Delivery,
    DeliveryState,
    SendControl,
    insert_ignore,
)
from pressdesk.delivery.queue import wake_after_commit, write_chunk
from pressdesk.delivery.suppressions import blocked
from pressdesk.extensions import db


def control_state(version_id: int) -> str:
    """The committed state, read on a connection of its own: workers check it every second and
    must see a pause at once, whatever their session's transaction saw before."""
    assert db.engine is not None
    with db.engine.connect() as conn:
        state = conn.execute(select(SendControl.state)
                             .where(SendControl.version_id == version_id)).scalar()
    return str(state or "active")


def _set_control(version_id: int, state: str, reason: str, user_id: int | None) -> None:
    """Insert-or-update in two statements that cannot collide: two workers reaching the error
    limit together both pause, neither fails on the primary key."""
    now = utcnow()
    db.session.execute(insert_ignore(SendControl, {
        "version_id": version_id, "state": "active", "reason": "", "changed_at": now}))
    db.session.execute(
        update(SendControl).where(SendControl.version_id == version_id)
        .values(state=state, reason=reason, changed_by_id=user_id, changed_at=now)
        .execution_options(synchronize_session=False))


def pause(version_id: int, reason: str = "", user_id: int | None = None) -> None:
    """Stop claiming rows of this version; workers hand back what they hold within a second."""
    if control_state(version_id) == "cancelled":
        return
    _set_control(version_id, "paused", reason, user_id)


def resume(version_id: int, user_id: int | None = None) -> None:
    if control_state(version_id) != "paused":
        return
    _set_control(version_id, "active", "", user_id)
    wake_after_commit(version_id)


def cancel(version_id: int, reason: str = "", user_id: int | None = None) -> int:
    """Cancel every row not yet sent; rows in flight are cancelled by their worker. Final."""
    _set_control(version_id, "cancelled", reason, user_id)
    result = db.session.execute(
        update(Delivery)
        .where(Delivery.version_id == version_id, Delivery.state.in_(PENDING_STATES))
        .values(state=DeliveryState.CANCELLED.value, updated_at=utcnow(),
                last_error=reason or "cancelled")
        .execution_options(synchronize_session=False)
    )
    cancelled = int(cast(CursorResult[Any], result).rowcount)
    # Recipients of a long list not yet written as rows: written now, as cancelled.
    while (n := write_chunk(version_id, DeliveryState.CANCELLED.value, commit=False)) is not None:
        cancelled += n
    return cancelled


def retry_failed(version_id: int) -> int:
    """Queue failed rows again (not those whose address is still suppressed)."""
    if control_state(version_id) == "cancelled":
        return 0
    failed = db.session.execute(
        select(Delivery.id, Delivery.email, Delivery.kind, Delivery.office_id)
        .where(Delivery.version_id == version_id, Delivery.state == DeliveryState.FAILED.value)
    ).all()
    refused: dict[str, set[str]] = {}
    for kind in {r.kind for r in failed}:
        refused[kind] = blocked(kind, failed[0].office_id, [r.email for r in failed if r.kind == kind])
    ids = [r.id for r in failed if r.email.lower() not in refused[r.kind]]
    if not ids:
        return 0
    db.session.execute(
        update(Delivery).where(Delivery.id.in_(ids))
        .values(state=DeliveryState.QUEUED.value, attempts=0, next_attempt_at=utcnow(),
                updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    wake_after_commit(version_id)
    return len(ids)


def auto_pause(version_id: int, reason: str) -> None:
    """Pause a version from a worker (the relay kept failing), committed at once."""
    pause(version_id, reason)
    db.commit()  # deliberate: other workers must stop claiming now, not when this task ends
