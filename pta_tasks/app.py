"""The Celery app: settings chosen for long, heavy tasks on Redis.

``create_celery(settings)`` is the one place Celery is configured; nothing
connects at import time. The task carries only a run id; Postgres holds the
rest. See ``docs/ERROR_CODES.md`` and ``pta_tasks/README.md``.
"""

import logging
import uuid
from typing import Any

from celery import Celery

from pta_tasks.enqueue import Dispatcher
from pta_tasks.settings import Settings
from pta_tasks.transport import PUBLISH_TRANSPORT

logger = logging.getLogger(__name__)

RUN_TASK = "pta.run_analysis"
RECONCILE_TASK = "pta.reconcile"
# The publisher gives up quickly when the broker is down: the run is already
# in Postgres and the reconciler sends it later.
PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}


def create_celery(settings: Settings, with_tasks: bool = True) -> Celery:
    """A configured Celery app for ``settings`` (tasks registered if asked).

    An app without tasks only publishes (the API, ``pta enqueue``): on Redis
    it sends through ``PublishTransport``, one client per channel.
    """
    app = Celery("pta", set_as_current=False)
    app.conf.update(celery_config(settings))
    if not with_tasks and settings.redis_url is not None:
        app.conf.broker_transport = PUBLISH_TRANSPORT
    app.pta_settings = settings
    from pta_tasks.worker import Runtime

    app.pta_runtime = Runtime(settings, app)
    if with_tasks:
        from pta_tasks import pipeline, reconcile

        pipeline.register(app)
        reconcile.register(app)
    return app


def celery_config(settings: Settings) -> dict[str, Any]:
    """Celery settings derived from ``settings`` (see QUEUE research notes)."""
    transport: dict[str, Any] = {
        "visibility_timeout": settings.visibility_timeout_s,
        "max_retries": 3,
    }
    broker_url = settings.redis_url
    if broker_url is None:
        broker_url = "filesystem://"
        folder = settings.state_dir / "broker"
        (folder / "queue").mkdir(parents=True, exist_ok=True)
        transport = {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            # Kombu's default is ./control, relative to whatever the cwd is.
            "control_folder": str(folder / "control"),
            "store_processed": False,
        }
    return {
        "broker_url": broker_url,
        "broker_transport_options": transport,
        "broker_connection_retry_on_startup": True,
        "result_backend": None,
        "task_ignore_result": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_default_queue": settings.queue,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_acks_on_failure_or_timeout": True,
        "task_soft_time_limit": settings.soft_time_limit_s,
        "task_time_limit": settings.hard_time_limit_s,
        "task_track_started": True,
        # No "task-sent" event: it is a second publish on every submission
        # (0.7 ms of the API's CPU). Flower lists a task from "task-received"
        # on; the wait before that is pta_oldest_queued_job_age_seconds and
        # the queue_wait_s of the worker's "run started" line.
        "task_send_sent_event": False,
        "worker_send_task_events": True,
        "worker_prefetch_multiplier": 1,
        "worker_concurrency": settings.worker_concurrency,
        "worker_max_tasks_per_child": settings.max_tasks_per_child,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "worker_hijack_root_logger": False,
        "worker_redirect_stdouts": False,
        "beat_schedule": {
            "pta-reconcile": {
                "task": RECONCILE_TASK,
                "schedule": settings.reconcile_interval_s,
                "options": {"expires": settings.reconcile_interval_s},
            }
        },
        "beat_schedule_filename": str(settings.state_dir / "beat-schedule"),
    }


def make_dispatcher(app: Celery) -> Dispatcher:
    """A ``Dispatcher`` that sends the run task with only the run id."""
    settings: Settings = app.pta_settings

    def dispatch(run_id: uuid.UUID, delay_s: float) -> None:
        args = [str(run_id)]
        app.send_task(
            RUN_TASK,
            args=args,
            queue=settings.queue,
            countdown=delay_s if delay_s > 0 else None,
            task_id=f"{run_id}.{uuid.uuid4().hex[:12]}",
            retry=True,
            retry_policy=PUBLISH_RETRY_POLICY,
            # What Celery would compute with its generic safe repr, a
            # visible part of the cost of a send.
            argsrepr=repr(args),
            kwargsrepr="{}",
            # The message goes straight to the queue's list (the default
            # exchange); declaring the queue again on every send adds
            # nothing, and the workers declare it when they consume.
            declare=[],
        )

    return dispatch
