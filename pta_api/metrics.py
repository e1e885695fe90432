"""Prometheus metrics of the API, safe under gunicorn's worker processes.

Under gunicorn ``pta-api`` sets ``PROMETHEUS_MULTIPROC_DIR`` before
``prometheus_client`` is imported, so counters and histograms go to files
every worker shares, and a scrape of any worker sums them all. Queue depth,
run outcomes and disk space are read from the database and the disk at
scrape time (cached for ``SNAPSHOT_TTL_S``), so they do not depend on which
worker answers.
"""

import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from pta_tasks.models import Job, JobStatus, Run, RunStatus, utcnow
from pta_tasks.settings import Settings

logger = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# HTTP latency buckets (seconds): the API answers in milliseconds; the top
# buckets catch a slow database.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Seconds a scrape reuses the previous database snapshot.
SNAPSHOT_TTL_S = 5.0
CONTENT_TYPE = CONTENT_TYPE_LATEST


def is_multiprocess() -> bool:
    """True when metrics are shared through files (under gunicorn)."""
    return bool(os.environ.get(MULTIPROC_ENV))


class Metrics:
    """The API's own counters and histograms."""

    def __init__(self) -> None:
        self.multiprocess = is_multiprocess()
        # In one process each app has its registry (tests build many apps);
        # with files, metrics register nowhere and the collector reads files.
        self.registry = None if self.multiprocess else CollectorRegistry()
        self.http_requests = Counter(
            "pta_http_requests_total",
            "HTTP requests answered, by method, route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_latency = Histogram(
            "pta_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route.",
            ["method", "route"],
            buckets=HTTP_BUCKETS,
            registry=self.registry,
        )
        self.submissions = Counter(
            "pta_submissions_total",
            "Repository submissions, by source and outcome.",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.webhook_deliveries = Counter(
            "pta_webhook_deliveries_total",
            "GitHub webhook deliveries, by event and outcome.",
            ["event", "outcome"],
            registry=self.registry,
        )

    def observe_request(
        self, method: str, route: str, status: int, duration_s: float
    ) -> None:
        """Count one answered request and its latency."""
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_latency.labels(method, route).observe(duration_s)

    def render(self, snapshot: "QueueCollector") -> bytes:
        """The exposition text of every metric, the database snapshot included."""
        registry = CollectorRegistry()
        if self.multiprocess:
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        else:
            assert self.registry is not None
            registry.register(_Forward(self.registry))
        registry.register(snapshot)
        return generate_latest(registry)


class QueueCollector(Collector):
    """Queue depth, run outcomes and disk space, read at scrape time."""

    def __init__(self, factory: sessionmaker[Session], settings: Settings) -> None:
        self._factory = factory
        self._settings = settings
        self._lock = threading.Lock()
        self._cached: list[Metric] = []
        self._cached_at = -SNAPSHOT_TTL_S

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            if time.monotonic() - self._cached_at >= SNAPSHOT_TTL_S:
                self._cached = self._snapshot()
                self._cached_at = time.monotonic()
            yield from self._cached

    def _snapshot(self) -> list[Metric]:
        up = GaugeMetricFamily("pta_db_up", "1 when the database answered.")
        families: list[Metric] = [up, *_disk(self._settings.tmp_dir)]
        try:
            families += self._from_database()
        except Exception:
            logger.warning("metrics snapshot failed", exc_info=True)
            up.add_metric([], 0)
            return families
        up.add_metric([], 1)
        return families

    def _from_database(self) -> list[Metric]:
        jobs = GaugeMetricFamily(
            "pta_jobs", "Jobs in the queue table, by status.", labels=["status"]
        )
        runs = GaugeMetricFamily(
            "pta_runs",
            "Runs by status and error code (the outcome of finished runs).",
            labels=["status", "error_code"],
        )
        oldest = GaugeMetricFamily(
            "pta_oldest_queued_job_age_seconds",
            "Age of the oldest queued job (0 when none waits).",
        )
        with self._factory() as session:
            job_counts = dict(
                session.execute(
                    select(Job.status, func.count()).group_by(Job.status)
                ).all()
            )
            run_counts = session.execute(
                select(Run.status, Run.error_code, func.count()).group_by(
                    Run.status, Run.error_code
                )
            ).all()
            first = session.scalar(
                select(func.min(Job.created_at)).where(Job.status == JobStatus.QUEUED)
            )
        for job_status in JobStatus:
            count = int(job_counts.get(job_status.value, 0))
            jobs.add_metric([job_status.value], count)
        seen = {str(row[0]) for row in run_counts}
        for status, code, total in run_counts:
            runs.add_metric([str(status), code or ""], int(total))
        for run_status in RunStatus:
            if run_status.value not in seen:
                runs.add_metric([run_status.value, ""], 0)
        age = 0.0
        if first is not None:
            first = first if first.tzinfo else first.replace(tzinfo=utcnow().tzinfo)
            age = max(0.0, (utcnow() - first).total_seconds())
        oldest.add_metric([], age)
        return [jobs, runs, oldest]


def disk_usage(path: Path) -> tuple[int, int]:
    """(free, total) bytes of the file system of ``path`` (or its nearest parent)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            usage = shutil.disk_usage(candidate)
            return usage.free, usage.total
    return 0, 0


def _disk(path: Path) -> list[Metric]:
    free, total = disk_usage(path)
    free_gauge = GaugeMetricFamily(
        "pta_ci_tmp_free_bytes", "Free bytes on the file system of CI_TMP_DIR."
    )
    free_gauge.add_metric([], free)
    size_gauge = GaugeMetricFamily(
        "pta_ci_tmp_size_bytes", "Size in bytes of the file system of CI_TMP_DIR."
    )
    size_gauge.add_metric([], total)
    return [free_gauge, size_gauge]


class _Forward(Collector):
    # Lets one exposition combine an app's registry with the snapshot.
    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterator[Metric]:
        yield from self._registry.collect()
