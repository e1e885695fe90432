"""The per-process runtime of workers and beat, and their start-up.

``Runtime`` holds the settings, the Celery app and a database engine created
lazily in the process that uses it (an engine must not cross a fork).
``run_worker`` and ``run_beat`` check the configuration and the schema
before Celery starts, so a bad start fails with a clear message.
"""

import logging
import os
import socket
import sys
from typing import Any

from celery import Celery
from celery.signals import worker_init, worker_ready
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from pta_tasks.db import check_schema_current, make_engine, make_sessionmaker
from pta_tasks.errors import ConfigError
from pta_tasks.logs import configure_logging
from pta_tasks.settings import Settings

logger = logging.getLogger(__name__)

DISABLED_MESSAGE = "CI_WORKER_ENABLED is false: this worker refuses to start"


class Runtime:
    """Settings, Celery app and database access of one process."""

    def __init__(self, settings: Settings, app: Celery | None = None) -> None:
        self.settings = settings
        self._app = app
        self._engine: Engine | None = None
        self._factory: sessionmaker[Session] | None = None
        self._pid = 0

    @property
    def app(self) -> Celery:
        """The Celery app (created on first use when not given)."""
        if self._app is None:
            from pta_tasks.app import create_celery

            self._app = create_celery(self.settings)
        return self._app

    @property
    def factory(self) -> sessionmaker[Session]:
        """A session factory bound to an engine of this very process."""
        if self._factory is None or self._pid != os.getpid():
            self._engine = make_engine(self.settings.database_url)
            self._factory = make_sessionmaker(self._engine)
            self._pid = os.getpid()
        return self._factory

    def reset_database(self) -> None:
        """Drop this process's engine (after a connection was left broken)."""
        if self._engine is not None:
            self._engine.dispose()
        self._engine = self._factory = None

    @property
    def engine(self) -> Engine:
        """The engine behind ``factory``."""
        self.factory  # noqa: B018 (creates the engine for this process)
        assert self._engine is not None
        return self._engine


def run_worker(
    settings: Settings,
    concurrency: int | None = None,
    loglevel: str = "INFO",
    hostname: str | None = None,
) -> int:
    """Start a Celery worker for the run queue; returns its exit status."""
    if not settings.worker_enabled:
        print(DISABLED_MESSAGE, file=sys.stderr)
        return 3
    runtime = _start(settings, loglevel)
    node = hostname or f"pta-{socket.gethostname()}-{os.getpid()}"
    argv = [
        "worker",
        f"--loglevel={loglevel}",
        f"--hostname={node}",
        f"--queues={settings.queue}",
        f"--concurrency={concurrency or settings.worker_concurrency}",
        "--pool=prefork",
        "--events",
    ]
    runtime.app.worker_main(argv)
    return 0


def run_beat(settings: Settings, loglevel: str = "INFO") -> int:
    """Start Celery beat, which schedules the reconciler."""
    runtime = _start(settings, loglevel)
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    runtime.app.start(["beat", f"--loglevel={loglevel}"])
    return 0


def _start(settings: Settings, loglevel: str) -> Runtime:
    from pta_tasks.app import create_celery

    configure_logging(loglevel, as_json=True, secrets=[settings.github_token])
    runtime: Runtime = create_celery(settings).pta_runtime
    check_schema_current(runtime.engine)
    runtime.engine.dispose()  # forked children open their own connections
    return runtime


@worker_init.connect  # type: ignore[untyped-decorator]
def _refuse_when_disabled(sender: Any = None, **_: Any) -> None:
    # Also guards workers started with ``celery worker`` directly.
    app = getattr(sender, "app", None)
    settings = getattr(app, "pta_settings", None)
    if isinstance(settings, Settings) and not settings.worker_enabled:
        raise ConfigError(DISABLED_MESSAGE)


@worker_init.connect  # type: ignore[untyped-decorator]
def _prepare_metrics(sender: Any = None, **_: Any) -> None:
    # Before the pool forks; nothing unless WORKER_METRICS_PORT is set.
    runtime = getattr(getattr(sender, "app", None), "pta_runtime", None)
    if isinstance(runtime, Runtime):
        from pta_tasks.metrics import prepare_worker_metrics

        prepare_worker_metrics(runtime.settings, os.environ)


@worker_ready.connect  # type: ignore[untyped-decorator]
def _serve_metrics(sender: Any = None, **_: Any) -> None:
    runtime = getattr(getattr(sender, "app", None), "pta_runtime", None)
    if isinstance(runtime, Runtime):
        from pta_tasks.metrics import serve_worker_metrics

        serve_worker_metrics(runtime.settings, os.environ)


@worker_ready.connect  # type: ignore[untyped-decorator]
def _remove_stale_workdirs(sender: Any = None, **_: Any) -> None:
    app = getattr(sender, "app", None)
    runtime = getattr(app, "pta_runtime", None)
    if isinstance(runtime, Runtime):
        from pta_tasks.reconcile import remove_stale_workdirs

        remove_stale_workdirs(runtime)
