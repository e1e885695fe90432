"""Prometheus metrics of the workers: stage durations, run outcomes, disk.

A worker's pool processes run the tasks, so they write their samples to the
files of ``PROMETHEUS_MULTIPROC_DIR``; the worker's main process serves them
all, plus the disk under ``CI_TMP_DIR`` read at scrape time, on
``WORKER_METRICS_PORT`` (``start_exporter``). Without that variable a worker
records and serves nothing (the manifests and compose set 9540).

The samples come from the pipeline's lifecycle log lines (``stage done``,
``run succeeded``, ``run failed``, ``run will be retried``), so the task code
stays free of metric calls; ``MetricsLogHandler`` turns each into its sample.

Names follow the Prometheus guide: ``pta_`` prefix, ``_total`` counters,
``_seconds`` histograms whose top bucket reaches the task's hard time limit,
labels of low cardinality (stage, outcome, error code).
"""

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from pta_tasks.settings import Settings

logger = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
PORT_ENV = "WORKER_METRICS_PORT"
# Bucket bounds below the hard limit (seconds); the limit itself is added.
BASE_BUCKETS_S = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900, 1200, 1800)
STAGES = ("clone", "analyze", "validate")
PIPELINE_LOGGER = "pta_tasks.pipeline"


def buckets_for(hard_limit_s: float) -> tuple[float, ...]:
    """Histogram bounds (seconds) that end at ``hard_limit_s``."""
    below = tuple(b for b in BASE_BUCKETS_S if b < hard_limit_s)
    return (*(float(b) for b in below), float(hard_limit_s))


def metrics_port(environ: Mapping[str, str]) -> int:
    """The exporter's port from ``WORKER_METRICS_PORT`` (0 or unset: none).

    Raises ``ValueError`` naming the variable when it is not a port number.
    """
    value = environ.get(PORT_ENV, "").strip()
    if not value:
        return 0
    if not value.isdigit() or int(value) > 65535:
        raise ValueError(f"Invalid {PORT_ENV}")
    return int(value)


def prepare_multiproc_dir(environ: Mapping[str, str]) -> Path:
    """Empty (or create) the samples directory before any pool process starts.

    The directory must be set before ``prometheus_client`` is imported
    (the container sets it); without it, a private temporary one is used and
    ``prometheus_client`` is told to write there from now on.
    """
    given = environ.get(MULTIPROC_ENV, "").strip()
    if given:
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
    else:
        folder = Path(tempfile.mkdtemp(prefix="pta-worker-metrics-"))
    os.environ[MULTIPROC_ENV] = str(folder)
    from prometheus_client import values

    # Chosen once at import; Flower's Celery plugin may have imported
    # prometheus_client before the directory was known.
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
    return folder


class WorkerMetrics:
    """The samples a pool process records (created lazily, per process)."""

    def __init__(self, settings: Settings) -> None:
        from prometheus_client import Counter, Histogram

        buckets = buckets_for(settings.hard_time_limit_s)
        self.stage_duration = Histogram(
            "pta_stage_duration_seconds",
            "Time spent in a pipeline stage (clone, analyze, validate).",
            ["stage"],
            buckets=buckets,
            registry=None,
        )
        self.runs_finished = Counter(
            "pta_runs_finished_total",
            "Task outcomes: succeeded, failed (final), retried, by error code.",
            ["outcome", "error_code"],
            registry=None,
        )


class MetricsLogHandler(logging.Handler):
    """Turns the pipeline's lifecycle log lines into samples."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(logging.INFO)
        self._settings = settings
        self._metrics: WorkerMetrics | None = None
        self._pid = 0

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._record(record)
        except Exception:  # a metric must never break a run
            self.handleError(record)

    def _record(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        code = str(getattr(record, "error_code", None) or "")
        if message == "stage done":
            stage = str(getattr(record, "stage", ""))
            if stage in STAGES:
                duration = float(getattr(record, "duration_s", 0.0))
                self._get().stage_duration.labels(stage).observe(duration)
        elif message == "run succeeded":
            self._get().runs_finished.labels("succeeded", "").inc()
        elif message == "run failed":
            self._get().runs_finished.labels("failed", code).inc()
        elif message == "run will be retried":
            self._get().runs_finished.labels("retried", code).inc()
        elif message == "run stopped by the hard time limit":
            self._get().runs_finished.labels("failed", "TASK_TIMEOUT").inc()

    def _get(self) -> WorkerMetrics:
        # Metrics write to per-pid files: create them in the process that
        # records (a pool process), never inherit them across a fork.
        if self._metrics is None or self._pid != os.getpid():
            self._metrics = WorkerMetrics(self._settings)
            self._pid = os.getpid()
        return self._metrics


def prepare_worker_metrics(settings: Settings, environ: Mapping[str, str]) -> bool:
    """At worker start, before the pool forks: the samples directory and the
    log handler, when ``WORKER_METRICS_PORT`` asks for metrics."""
    if not metrics_port(environ):
        return False
    prepare_multiproc_dir(environ)
    install_log_handler(settings)
    return True


def serve_worker_metrics(settings: Settings, environ: Mapping[str, str]) -> None:
    """When the worker is ready: the exporter on ``WORKER_METRICS_PORT``.

    A port already taken is a warning, not a reason to stop analyzing.
    """
    port = metrics_port(environ)
    if not port:
        return
    try:
        start_exporter(settings, port)
    except OSError as error:
        logger.warning(
            "worker metrics not served", extra={"port": port, "error": str(error)}
        )


def install_log_handler(settings: Settings) -> MetricsLogHandler:
    """Attach the (one) ``MetricsLogHandler`` to the pipeline's logger."""
    pipeline = logging.getLogger(PIPELINE_LOGGER)
    for handler in list(pipeline.handlers):
        if isinstance(handler, MetricsLogHandler):
            pipeline.removeHandler(handler)
    handler = MetricsLogHandler(settings)
    pipeline.addHandler(handler)
    # The samples come from INFO lines: a worker started with a higher log
    # level still records them (and prints the pipeline's INFO lines).
    if pipeline.getEffectiveLevel() > logging.INFO:
        pipeline.setLevel(logging.INFO)
    return handler


def start_exporter(
    settings: Settings,
    port: int,
    address: str = "0.0.0.0",  # noqa: S104
) -> object:
    """Serve every pool process's samples and the disk gauges on ``port``.

    Returns the server (its ``server_port`` is the bound port).
    """
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    registry.register(DiskCollector(settings.tmp_dir))
    server, _thread = start_http_server(port, addr=address, registry=registry)
    logger.info("worker metrics served", extra={"port": server.server_port})
    return server


class DiskCollector(Collector):
    """Free, used and total bytes of the file system under ``CI_TMP_DIR``.

    Free is what an unprivileged process may still write (as ``df`` shows
    it); used / (used + free) is ``df``'s use percentage.
    """

    def __init__(self, path: Path) -> None:
        self._path = path

    def collect(self) -> Iterator[Metric]:
        usage = _usage(self._path)
        for name, value, text in (
            ("pta_ci_tmp_free_bytes", usage[0], "Free bytes"),
            ("pta_ci_tmp_used_bytes", usage[1], "Used bytes"),
            ("pta_ci_tmp_size_bytes", usage[2], "Size in bytes"),
        ):
            gauge = GaugeMetricFamily(name, f"{text} of the file system of CI_TMP_DIR.")
            gauge.add_metric([], value)
            yield gauge


def _usage(path: Path) -> tuple[int, int, int]:
    # (free, used, total) of the nearest existing directory's file system.
    for candidate in (path, *path.parents):
        if candidate.exists():
            usage = shutil.disk_usage(candidate)
            return usage.free, usage.used, usage.total
    return 0, 0, 0
