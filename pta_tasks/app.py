"""The Celery app: settings chosen for long, heavy tasks on Redis.

``create_celery(settings)`` is the one place Celery is configured; nothing
connects at import time. The task carries only a run id; Postgres holds the
rest. See ``docs/ERROR_CODES.md`` and ``pta_tasks/README.md``.
"""

import logging
import os
import threading
import uuid
from typing import Any

from celery import Celery
from kombu.serialization import dumps

from pta_tasks.enqueue import Dispatcher
from pta_tasks.settings import Settings
from pta_tasks.transport import PUBLISH_TRANSPORT

logger = logging.getLogger(__name__)

RUN_TASK = "pta.run_analysis"
RECONCILE_TASK = "pta.reconcile"
# kombu's "persistent" delivery mode, and the priority of every run message.
PERSISTENT_DELIVERY_MODE = 2
PRIORITY = 0


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
    app.pta_publisher = RunPublisher(app, settings.queue)
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
    publisher: RunPublisher = app.pta_publisher
    return publisher


class RunPublisher:
    """Sends run messages on a broker channel kept for the process.

    The message is Celery's (``create_task_message``, protocol 2) in kombu's
    envelope (``prepare_message``, ``basic_publish``), sent straight to the
    queue by the default exchange. ``send_task`` would wrap each send in
    routing by name, option merging, a result object, a producer borrowed
    from a pool, a retry wrapper and a queue declaration: more CPU than the
    send, for nothing a run's message needs (the workers declare their
    queue). A send that fails raises (the broker's client reconnects for the
    next one); the run stays queued and the reconciler sends it again.
    """

    def __init__(self, app: Celery, queue: str) -> None:
        self._app = app
        self._queue = queue
        self._lock = threading.Lock()
        self._channel: Any = None
        self._pid = 0

    def __call__(self, run_id: uuid.UUID, delay_s: float) -> None:
        """Send the run task for ``run_id``, due in ``delay_s`` seconds."""
        args = [str(run_id)]
        headers, properties, body, _ = self._app.amqp.create_task_message(
            f"{run_id}.{uuid.uuid4().hex[:12]}",
            RUN_TASK,
            args,
            countdown=delay_s if delay_s > 0 else None,
            argsrepr=repr(args),
            kwargsrepr="{}",
            # As send_task fills them (no result is ever read back).
            reply_to=self._app.thread_oid,
            ignore_result=None,
        )
        serializer = self._app.conf.task_serializer
        content_type, encoding, data = dumps(body, serializer)  # type: ignore[no-untyped-call]
        properties["delivery_mode"] = PERSISTENT_DELIVERY_MODE

        channel = self._process_channel()
        message = channel.prepare_message(
            data, PRIORITY, content_type, encoding, headers, properties
        )
        channel.basic_publish(message, exchange="", routing_key=self._queue)

    def _process_channel(self) -> Any:
        # A channel serves only the process that opened it (not one forked
        # from it), from any of its threads: kombu's Redis and file channels
        # keep no state between sends. Its connection is the publisher's own,
        # held for the life of the process: one borrowed from the app's pool
        # would never go back, and a pool with none left blocks every caller.
        with self._lock:
            if self._channel is None or self._pid != os.getpid():
                connection = self._app.connection_for_write()
                try:
                    self._channel = connection.default_channel
                except Exception:
                    connection.close()
                    raise
                self._pid = os.getpid()
            return self._channel
