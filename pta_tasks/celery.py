"""The Celery app of ``celery -A pta_tasks worker|beat|flower``.

The container's entry points name the package, and Celery finds this module's
``app``. Importing it reads the environment once (``load_settings``), as a
``-A`` module must; nothing connects until a command runs. The signal
handlers give these commands what ``pta worker`` and ``pta beat`` do: JSON
logs with secrets redacted and a refusal to start on an outdated schema (the
metrics exporter is started by ``pta_tasks.worker`` for both).
"""

import logging
import sys
from typing import Any

from celery.signals import beat_init, setup_logging, worker_init

from pta_tasks.app import create_celery
from pta_tasks.settings import load_settings

logger = logging.getLogger(__name__)

# Exit statuses of a refused start (as ``pta worker``): the schema is behind,
# or CI_WORKER_ENABLED is false.
EXIT_SCHEMA = 1
EXIT_DISABLED = 3

app = create_celery(load_settings())
# Beat opens its schedule file (under PTA_STATE_DIR) before any signal of
# its own is sent; the folder must exist by then.
app.pta_settings.state_dir.mkdir(parents=True, exist_ok=True)


@setup_logging.connect  # type: ignore[untyped-decorator]
def _configure_logging(loglevel: Any = None, **_: Any) -> None:
    from pta_tasks.logs import configure_logging

    level = logging.getLevelName(loglevel) if isinstance(loglevel, int) else None
    configure_logging(
        str(level or loglevel or "INFO"),
        as_json=True,
        secrets=[app.pta_settings.github_token],
    )


@worker_init.connect  # type: ignore[untyped-decorator]
def _prepare_worker(sender: Any = None, **_: Any) -> None:
    if getattr(sender, "app", None) is not app:
        return
    from pta_tasks.worker import DISABLED_MESSAGE

    if not app.pta_settings.worker_enabled:
        _refuse(DISABLED_MESSAGE, EXIT_DISABLED)
    _check_schema()


@beat_init.connect  # type: ignore[untyped-decorator]
def _prepare_beat(sender: Any = None, **_: Any) -> None:
    if getattr(sender, "app", None) is not app:
        return
    _check_schema()


def _check_schema() -> None:
    from pta_tasks.db import check_schema_current
    from pta_tasks.errors import SchemaOutdated

    runtime = app.pta_runtime
    try:
        check_schema_current(runtime.engine)
    except SchemaOutdated as error:
        _refuse(f"pta: {error}", EXIT_SCHEMA)
    finally:
        runtime.engine.dispose()  # forked children open their own connections


def _refuse(message: str, status: int) -> None:
    # Celery logs and swallows an Exception raised by a signal handler (before
    # logging is set up, silently) and starts anyway; SystemExit stops it.
    print(message, file=sys.stderr, flush=True)
    raise SystemExit(status)
