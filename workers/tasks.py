"""Thin Celery tasks: take ids, call services."""

from __future__ import annotations

from celery import shared_task

from pressdesk.celery_app import BOUNCES_TASK, DELIVER_TASK, SWEEP_TASK
from pressdesk.delivery import engine


@shared_task(name=DELIVER_TASK)
def deliver_version(version_id: int | None) -> int:
    return engine.deliver_version(version_id)


@shared_task(name=SWEEP_TASK)
def sweep() -> int:
    return len(engine.sweep())


# --- feeds and reader alerts ----------------------------------------------------

from pressdesk.feeds import websub  # noqa: E402


@shared_task(name=websub.WEBSUB_TASK, autoretry_for=(websub.HubError,), retry_backoff=1,
             retry_backoff_max=600, retry_jitter=False, max_retries=8)
def websub_ping(release_id: int) -> int:
    return websub.ping_release(release_id)


from pressdesk.subscriptions import services as alerts  # noqa: E402


@shared_task(name=alerts.SERVICE_MAIL_TASK, autoretry_for=(alerts.TemporaryMailError,),
             retry_backoff=5, retry_backoff_max=900, max_retries=8)
def alerts_service_mail(subscriber_id: int, nonce: str, kind: str) -> bool:
    return alerts.send_service_mail(subscriber_id, nonce, kind)


@shared_task(name=alerts.QUEUE_ALERTS_TASK)
def alerts_queue(version_id: int) -> int:
    return alerts.queue_instant_alerts(version_id)


@shared_task(name=alerts.SWEEP_ALERTS_TASK)
def alerts_sweep() -> int:
    return len(alerts.sweep_alerts())


@shared_task(name=alerts.DIGEST_TASK)
def alerts_digest() -> int:
    return alerts.queue_digests()


# --- desk: release workflow (beat) ---------------------------------------------------------------

from pressdesk.celery_app import EMBARGO_ENDED_TASK, PUBLISH_DUE_TASK  # noqa: E402
from pressdesk.releases import workflow  # noqa: E402


@shared_task(name=PUBLISH_DUE_TASK)
def publish_due() -> list[int]:
    return workflow.publish_due()


@shared_task(name=EMBARGO_ENDED_TASK)
def embargo_ended() -> list[int]:
    return workflow.end_embargoes()


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


# --- outlets: digests and the yearly check (beat) ------------------------------------------------


@shared_task(name="pressdesk.outlet_digests")
def outlet_digests() -> int:
    from pressdesk.media.digest import send_due

    return send_due()


@shared_task(name="pressdesk.outlet_yearly")
def outlet_yearly() -> int:
    from pressdesk.media.selfservice import yearly_checks

    return yearly_checks()
# --- invitations: the reminder the day before (beat) -------------------------------------------

from pressdesk.invitations.rsvp import REMINDER_TASK  # noqa: E402


@shared_task(name=REMINDER_TASK)
def invitation_reminders() -> int:
    from pressdesk.invitations import rsvp

    return rsvp.due_reminders()
