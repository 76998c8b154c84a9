"""Celery wired into the Flask app, following the Flask docs' pattern.

Tasks run inside an app context. The desk never imports ``workers``; it wakes workers by
task name through :func:`send_task`.
"""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from celery.schedules import crontab
from celery.worker.consumer import Consumer as CeleryConsumer
from flask import Flask, current_app

from pressdesk.config import Settings
from pressdesk.db import db

DELIVER_TASK = "pressdesk.deliver_version"
SWEEP_TASK = "pressdesk.sweep"
PUBLISH_DUE_TASK = "pressdesk.publish_due"
EMBARGO_ENDED_TASK = "pressdesk.embargo_ended"
BOUNCES_TASK = "pressdesk.bounces"


class Consumer(CeleryConsumer):
    """Celery's consumer without the Gossip step, whatever the command line says.

    When the Redis broker restarts, Gossip's restart closes its channel after kombu has already
    cut the connection's link to its client (``transport.client = None``); the close then fails
    in kombu's Redis transport (``'NoneType' object has no attribute 'hostname'`` or
    ``'connection_errors'``), and when that happens outside the restart guard the worker exits
    with "Unrecoverable error". Gossip only keeps worker clocks and elections in step, which
    pressdesk does not use (the delivery rows are the coordination).
    """

    def __init__(self, on_task_request: Any, worker_options: dict[str, Any] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(on_task_request,
                         worker_options={**(worker_options or {}), "without_gossip": True}, **kwargs)


def celery_config(s: Settings) -> dict[str, Any]:
    transport_options: dict[str, Any] = {"visibility_timeout": s.visibility_timeout}
    if s.broker_url.startswith("sqla+"):
        # kombu's SQLAlchemy transport hands these to create_engine: wait on SQLite's lock
        # rather than fail while the desk and the worker write at the same time.
        transport_options = {"connect_args": {"timeout": 30}}
    schedule: dict[str, Any] = {"sweep": {"task": SWEEP_TASK, "schedule": s.sweep_seconds}}
    if s.bounce_seconds > 0 and (s.bounce_maildir or s.bounce_imap_url):
        schedule["bounces"] = {"task": BOUNCES_TASK, "schedule": s.bounce_seconds}
    # Reader alerts: lost wake-ups, and the daily digest at 06:30 Berlin.
    schedule["alerts-sweep"] = {"task": "pressdesk.alerts_sweep", "schedule": s.sweep_seconds}
    schedule["alerts-digest"] = {"task": "pressdesk.alerts_digest",
                                 "schedule": crontab(hour=6, minute=30)}
    # desk: scheduled publications and ended embargoes, checked by beat (no ETA tasks)
    schedule["publish-due"] = {"task": PUBLISH_DUE_TASK, "schedule": 30.0}
    schedule["embargo-ended"] = {"task": EMBARGO_ENDED_TASK, "schedule": 30.0}
    # outlets: digests at each outlet's hour (and after a pause); the yearly "still right?"
    schedule["outlet-digests"] = {"task": "pressdesk.outlet_digests", "schedule": 300.0}
    schedule["outlet-yearly"] = {"task": "pressdesk.outlet_yearly",
                                 "schedule": crontab(hour=9, minute=15)}
    # invitations: the reminder the day before, to those who said they come
    schedule["invitation-reminders"] = {"task": "pressdesk.invitation_reminders",
                                        "schedule": 900.0}
    return {
        "broker_url": s.broker_url,
        "task_default_queue": s.queue,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": transport_options,
        "task_ignore_result": True,
        "result_backend": None,
        # Nothing lost: a task is acknowledged only when done, and a worker that dies hands its
        # task back. Prefetch 1 keeps one worker from sitting on others' work.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_time_limit": s.task_time_limit,
        "task_soft_time_limit": max(1, s.task_time_limit - 30),
        "task_serializer": "json",
        "accept_content": ["json"],
        "timezone": "Europe/Berlin",
        "enable_utc": True,
        "worker_hijack_root_logger": False,
        "worker_consumer": f"{__name__}:Consumer",
        "beat_schedule": schedule,
    }


def celery_init_app(app: Flask, s: Settings) -> Celery:
    class FlaskTask(Task):
        """Runs the task in an app context as one unit of work: commit after ``run`` returns,
        roll back when it raises (a retry included), so a task never half-applies."""

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                try:
                    result = self.run(*args, **kwargs)
                except BaseException:
                    db.rollback()
                    raise
                db.commit()
                return result

    celery: Celery = Celery(app.name, task_cls=FlaskTask)
    celery.config_from_object(celery_config(s))
    celery.set_default()
    app.extensions["celery"] = celery
    return celery


def send_task(name: str, *args: Any) -> None:
    current_app.extensions["celery"].send_task(name, args=list(args))
