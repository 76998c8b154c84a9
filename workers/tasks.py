"""Thin Celery tasks: take ids, call services."""

from __future__ import annotations

from celery import shared_task

from pressdesk.celery_app import DELIVER_TASK, SWEEP_TASK
from pressdesk.delivery import services


@shared_task(name=DELIVER_TASK)
def deliver_version(version_id: int) -> int:
    return services.deliver_version(version_id)


@shared_task(name=SWEEP_TASK)
def sweep() -> int:
    return len(services.sweep())


# --- desk: release workflow (beat) ---------------------------------------------------------------

from pressdesk.celery_app import EMBARGO_ENDED_TASK, PUBLISH_DUE_TASK  # noqa: E402
from pressdesk.releases import workflow  # noqa: E402


@shared_task(name=PUBLISH_DUE_TASK)
def publish_due() -> list[int]:
    return workflow.publish_due()


@shared_task(name=EMBARGO_ENDED_TASK)
def embargo_ended() -> list[int]:
    return workflow.end_embargoes()
