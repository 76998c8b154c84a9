"""Hooks reader alerts onto the release signals (sent after commit).

``release_public`` fires when a release becomes visible (published without embargo, or when its
embargo ends), so alerts never go out under embargo. The receiver only wakes a worker; the
``pressdesk.alerts_sweep`` beat task catches a wake-up that was lost.
"""

from __future__ import annotations

from typing import Any

from pressdesk.celery_app import send_task
from pressdesk.signals import release_public
from pressdesk.subscriptions.services import QUEUE_ALERTS_TASK


def on_release_public(sender: Any, release_id: int, version_id: int, **_kw: Any) -> None:
    send_task(QUEUE_ALERTS_TASK, version_id)


def connect_receivers() -> None:
    release_public.connect(on_release_public, weak=False)
