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
