"""pta_tasks.metrics: the pipeline's lifecycle lines become samples in the
multiprocess directory, and the exporter serves them with the disk gauges.
Run in a child process: multiprocess mode changes prometheus_client globally."""

import subprocess
import sys
from pathlib import Path

from pta_tasks.metrics import buckets_for, metrics_port

SCRIPT = """
import logging, os, urllib.request
from pta_tasks.metrics import install_log_handler, prepare_multiproc_dir, start_exporter
from pta_tasks.settings import load_settings

settings = load_settings({"DATABASE_URL": "sqlite:///unused", "CI_TMP_DIR": "%s"})
prepare_multiproc_dir(os.environ)
install_log_handler(settings)
log = logging.getLogger("pta_tasks.pipeline")
log.info("stage done", extra={"stage": "clone", "duration_s": 1.5})
log.info("stage done", extra={"stage": "analyze", "duration_s": 700.0})
log.info("stage done", extra={"stage": "not-a-stage", "duration_s": 1.0})
log.info("run succeeded", extra={"outputs": 5})
log.info("run failed", extra={"error_code": "ANALYZER_TIMEOUT", "detail": "x"})
log.info("run will be retried", extra={"error_code": "GIT_CLONE_FAILED"})
log.warning("run stopped by the hard time limit")
log.info("something else")
server = start_exporter(settings, 0, "127.0.0.1")
url = "http://127.0.0.1:%%d/metrics" %% server.server_port
print(urllib.request.urlopen(url, timeout=5).read().decode())
"""


def scrape(tmp_path: Path) -> str:
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "samples"), "PATH": "/usr/bin"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT % tmp_path],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_lifecycle_lines_become_stage_and_outcome_samples(tmp_path: Path) -> None:
    text = scrape(tmp_path)
    assert 'pta_stage_duration_seconds_sum{stage="clone"} 1.5' in text
    assert 'pta_stage_duration_seconds_bucket{le="900.0",stage="analyze"} 1.0' in text
    assert 'stage="not-a-stage"' not in text
    for outcome, code in (
        ("succeeded", ""),
        ("failed", "ANALYZER_TIMEOUT"),
        ("retried", "GIT_CLONE_FAILED"),
        ("failed", "TASK_TIMEOUT"),
    ):
        sample = f'pta_runs_finished_total{{error_code="{code}",outcome="{outcome}"}}'
        assert f"{sample} 1.0" in text


def test_exporter_serves_disk_gauges_of_ci_tmp_dir(tmp_path: Path) -> None:
    text = scrape(tmp_path)
    values = {
        line.split()[0]: float(line.split()[1])
        for line in text.splitlines()
        if line.startswith("pta_ci_tmp_")
    }
    assert set(values) == {
        "pta_ci_tmp_free_bytes",
        "pta_ci_tmp_used_bytes",
        "pta_ci_tmp_size_bytes",
    }
    assert 0 < values["pta_ci_tmp_free_bytes"] < values["pta_ci_tmp_size_bytes"]


def test_buckets_end_at_the_hard_limit() -> None:
    assert buckets_for(1590.0)[-1] == 1590.0
    assert buckets_for(45.0) == (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 45.0)
    bounds = buckets_for(1590.0)
    assert list(bounds) == sorted(set(bounds))


def test_metrics_port_is_read_from_its_variable() -> None:
    assert metrics_port({}) == 0
    assert metrics_port({"WORKER_METRICS_PORT": "0"}) == 0
    assert metrics_port({"WORKER_METRICS_PORT": "9100"}) == 9100


def test_metrics_port_refuses_a_non_port() -> None:
    import pytest

    with pytest.raises(ValueError, match="Invalid WORKER_METRICS_PORT"):
        metrics_port({"WORKER_METRICS_PORT": "70000"})


TAKEN_PORT_SCRIPT = """
import logging, os, socket
from pta_tasks.metrics import prepare_worker_metrics, serve_worker_metrics
from pta_tasks.settings import load_settings

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
busy = socket.socket()
busy.bind(("0.0.0.0", 0))
busy.listen()
env = {"WORKER_METRICS_PORT": str(busy.getsockname()[1])}
settings = load_settings({"DATABASE_URL": "sqlite:///unused"})
assert not prepare_worker_metrics(settings, {})
assert prepare_worker_metrics(settings, env)
serve_worker_metrics(settings, env)
print("still running")
"""


def test_a_taken_port_is_a_warning_not_a_stop(tmp_path: Path) -> None:
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "samples"), "PATH": "/usr/bin"}
    done = subprocess.run(
        [sys.executable, "-c", TAKEN_PORT_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "still running" in done.stdout
    assert "WARNING worker metrics not served" in done.stderr
