"""PTA's REST API: submit, follow and fetch runs; GitHub webhooks; metrics.

The API is thin: it validates, authenticates, rate-limits, enqueues through
``pta_tasks`` and reads; it never clones or analyzes. ``create_app`` builds
the Flask app (nothing connects at import time); ``pta-api`` serves it with
gunicorn after printing the boot report.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from pta_api.config import ApiConfig
    from pta_tasks.enqueue import Dispatcher


def create_app(
    config: "ApiConfig | None" = None, dispatch: "Dispatcher | None" = None
) -> "Flask":
    """Build the API app from ``config`` (default: the environment)."""
    # Imported here so that ``pta-api`` can set PROMETHEUS_MULTIPROC_DIR
    # before prometheus_client is first imported.
    from pta_api.app import build_app

    return build_app(config, dispatch)
