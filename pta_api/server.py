"""``pta-api``: the production entry point.

It parses the configuration once (a bad value exits with the exact message,
status 2), prints the boot report as its first line, prepares the metrics
directory shared by the workers, refuses a database whose schema is behind,
then runs gunicorn with ``WEB_CONCURRENCY`` worker processes of
``WEB_THREADS`` threads each. Each worker builds its own app (no engine
crosses a fork).
"""

import atexit
import json
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gunicorn.glogging import Logger as GunicornLogger

from pta_api.config import ApiConfig, load_config
from pta_tasks.errors import ConfigError, SchemaOutdated

logger = logging.getLogger(__name__)

EXIT_CONFIG = 2
EXIT_SCHEMA = 3
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
GRACEFUL_TIMEOUT_S = 20
KEEPALIVE_S = 5


def boot_report(config: ApiConfig) -> dict[str, Any]:
    """The one-line JSON report printed first at start."""
    from pta_analyzer import tool_version

    return {
        "timestamp": datetime.now(UTC).isoformat(),
        "tool_version": tool_version(),
        "env": config.env,
        "bind_host": config.host,
        "bind_port": config.port,
        "db_configured": config.db_configured,
        "ci_enabled": config.settings.worker_enabled,
        # The analyzer has no semantic (model-based) stage; the field stays
        # because operators' boot-report parsers expect it.
        "semantic_enabled": False,
        "force_http": config.force_http,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Start the API under gunicorn; returns the exit status."""
    try:
        config = load_config(os.environ)
    except ConfigError as error:
        print(error.detail, file=sys.stderr, flush=True)
        return EXIT_CONFIG
    print(json.dumps(boot_report(config)), flush=True)

    from pta_tasks.logs import configure_logging

    # The master says little before gunicorn takes over its logging.
    configure_logging("WARNING", as_json=True)
    try:
        _check_database(config)
    except SchemaOutdated as error:
        print(error.detail, file=sys.stderr, flush=True)
        return EXIT_SCHEMA
    prepare_metrics_dir(os.environ)
    _Gunicorn(config).run()
    return 0


def prepare_metrics_dir(environ: Mapping[str, str]) -> Path:
    """Set (or empty) ``PROMETHEUS_MULTIPROC_DIR`` before any worker starts."""
    given = environ.get(MULTIPROC_ENV, "").strip()
    if given:
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
    else:
        folder = Path(tempfile.mkdtemp(prefix="pta-api-metrics-"))
        atexit.register(shutil.rmtree, folder, True)
    os.environ[MULTIPROC_ENV] = str(folder)
    return folder


def gunicorn_options(config: ApiConfig) -> dict[str, Any]:
    """The gunicorn settings of ``pta-api``."""
    return {
        "bind": f"{_bind_host(config.host)}:{config.port}",
        "workers": config.web_concurrency,
        "worker_class": "gthread",
        "threads": config.web_threads,
        "timeout": config.web_timeout_s,
        "graceful_timeout": GRACEFUL_TIMEOUT_S,
        "keepalive": KEEPALIVE_S,
        "proc_name": "pta-api",
        "accesslog": None,
        "logger_class": ErrorLogger,
        "errorlog": "-",
        "loglevel": config.log_level.lower(),
        "logconfig_dict": _log_config(config.log_level),
        "child_exit": _child_exit,
        "forwarded_allow_ips": "127.0.0.1,::1",
        # Newer gunicorn opens a control socket in $HOME; several instances
        # (and tests) would share it.
        "control_socket_disable": True,
    }


class ErrorLogger(GunicornLogger):  # type: ignore[misc]
    """gunicorn's logger without its access log: the app logs every request.

    With its logging configured by a dictionary, gunicorn builds an access
    line for every request, even one that no handler writes.
    """

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        """Nothing (see the class)."""


class _Gunicorn:
    """Runs gunicorn's arbiter with ``gunicorn_options`` and the app factory."""

    def __init__(self, config: ApiConfig) -> None:
        from gunicorn.app.base import BaseApplication

        api_config = config

        class Application(BaseApplication):  # type: ignore[misc]
            def load_config(self) -> None:
                for key, value in gunicorn_options(api_config).items():
                    if key in self.cfg.settings:  # older gunicorn lacks some
                        self.cfg.set(key, value)

            def load(self) -> Any:
                from pta_api import create_app

                return create_app(api_config)

        self._application = Application()

    def run(self) -> None:
        self._application.run()


def _bind_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def _log_config(level: str) -> dict[str, Any]:
    # Gunicorn's own lines as JSON too; its access log is off (the app logs
    # every request with its request id).
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "pta_tasks.logs.JsonFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "gunicorn.error": {
                "handlers": ["stderr"],
                "level": level,
                "propagate": False,
            },
            "gunicorn.access": {"handlers": [], "propagate": False},
        },
        "root": {"level": level, "handlers": []},
    }


def _check_database(config: ApiConfig) -> None:
    from sqlalchemy.exc import OperationalError

    from pta_tasks.db import check_schema_current, make_engine

    logging.getLogger("alembic").setLevel(logging.WARNING)
    engine = make_engine(config.settings.database_url)
    try:
        check_schema_current(engine)
    except OperationalError:
        # Not fatal: the API starts, /api/health answers 503 until the
        # database is back.
        logger.warning("database not reachable at start")
    finally:
        engine.dispose()
