"""Thin Celery tasks: take ids, call services."""

from __future__ import annotations

from celery import shared_task

from pressdesk.celery_app import BOUNCES_TASK, DELIVER_TASK, SWEEP_TASK
from pressdesk.delivery import services


@shared_task(name=DELIVER_TASK)
def deliver_version(version_id: int) -> int:
    return services.deliver_version(version_id)


@shared_task(name=SWEEP_TASK)
def sweep() -> int:
    return len(services.sweep())


@shared_task(name=BOUNCES_TASK)
def bounces() -> int:
    """Periodic (beat, when PRESSDESK_BOUNCE_SECONDS and a mailbox are set)."""
    from pressdesk.config import settings
    from pressdesk.delivery.bounces import process_imap, process_maildir

    s = settings()
    n = 0
    if s.bounce_maildir:
        n += process_maildir(s.bounce_maildir).bounced
    if s.bounce_imap_url:
        n += process_imap(s.bounce_imap_url).bounced
    return n
