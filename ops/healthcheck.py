"""Container health check, standard library only: ``python ops/healthcheck.py ROLE``.

ROLE is ``api`` (``GET /health`` on ``PORT``), ``worker`` (the metrics
exporter on ``WORKER_METRICS_PORT``, served by the worker's main process) or
``flower`` (``GET /healthcheck`` on ``FLOWER_PORT``). Exit 0 when the process
answers 200 within ``TIMEOUT_S``, 1 otherwise, with the reason on stderr. It
starts no Celery and imports nothing of PTA, so a probe costs milliseconds.
"""

import os
import sys
import urllib.request

TIMEOUT_S = 3.0
TARGETS = {
    "api": ("PORT", "5000", "/health"),
    "worker": ("WORKER_METRICS_PORT", "9540", "/metrics"),
    "flower": ("FLOWER_PORT", "5555", "/healthcheck"),
}


def main(argv: list[str]) -> int:
    """Check the role named in ``argv[1]`` (default ``api``)."""
    role = argv[1] if len(argv) > 1 else "api"
    if role not in TARGETS:
        print(f"healthcheck: unknown role {role!r}", file=sys.stderr)
        return 2
    variable, default, path = TARGETS[role]
    port = os.environ.get(variable, "").strip() or default
    url = f"http://127.0.0.1:{port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as answer:
            status = answer.status
    except OSError as error:
        print(f"healthcheck: {role} at {url}: {error}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"healthcheck: {role} at {url} answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
