"""Flower's settings for PTA: ``celery -A pta_tasks flower --conf=ops/flowerconfig.py``.

Flower executes this file while parsing its options. It refuses to start
without ``FLOWER_BASIC_AUTH`` (``user:password``), puts ``/metrics`` behind
the same authentication (Flower serves it openly otherwise), and gives the
task runtime histogram buckets that reach the task's hard time limit.
"""

import os
import sys

from flower.views.monitor import Metrics
from tornado import web

from pta_tasks.metrics import buckets_for
from pta_tasks.settings import load_settings

_credentials = os.environ.get("FLOWER_BASIC_AUTH", "").strip()
if ":" not in _credentials or _credentials.startswith(":"):
    sys.exit("FLOWER_BASIC_AUTH is required (user:password): Flower refuses to start")

basic_auth = [_credentials]
port = int(os.environ.get("FLOWER_PORT", "5555"))
address = os.environ.get("FLOWER_ADDRESS", "0.0.0.0")  # noqa: S104
# Task events are needed for the task list and the runtime histogram.
enable_events = True
# Flower keeps tasks in memory; bound it (a run is one task).
max_tasks = 10_000
# Pods get new names on every rollout; forget offline workers after an hour.
purge_offline_workers = 3600
_hard_limit_s = load_settings().hard_time_limit_s
task_runtime_metric_buckets = [float(b) for b in buckets_for(_hard_limit_s)]
# Only the listed columns: task arguments are run ids, nothing secret, but
# there is no reason to show them.
tasks_columns = "name,uuid,state,received,started,runtime,worker"

if not getattr(Metrics.get, "__wrapped__", None):
    Metrics.get = web.authenticated(Metrics.get)
