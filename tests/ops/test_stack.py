"""The image's entry points, started for real the way docker-compose.yml
starts them: health checks, boot report, Flower's login, the metrics the
alerts read, and ``make smoke`` through the running API."""

import json
import subprocess
import time
import urllib.error
import urllib.request
from base64 import b64encode
from pathlib import Path

import pytest
import yaml

from .conftest import API_KEY, FLOWER_LOGIN, Stack
from .stack import Proc, free_port
from .tools import ALERT_RULES, PROMETHEUS_CONFIG, ROOT, alert_metric_names, tool


def get(url: str, auth: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url)
    if auth:
        request.add_header(
            "Authorization", "Basic " + b64encode(auth.encode()).decode()
        )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


@pytest.fixture(scope="module")
def smoke(stack: Stack) -> subprocess.CompletedProcess[str]:
    """``make smoke`` through the running API (one run of the fixture)."""
    env = stack.env | {"PTA_API_URL": stack.api_url, "PTA_API_KEY": API_KEY}
    return subprocess.run(
        ["make", "-o", ".venv/.installed", "smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_api_prints_its_boot_report_first(stack: Stack) -> None:
    first = stack.procs["api"].output().splitlines()[0]
    report = json.loads(first)
    assert report["env"] == "production"
    assert report["bind_port"] == int(stack.env["PORT"])
    assert report["db_configured"] is True


def test_worker_and_beat_log_json_lines(stack: Stack) -> None:
    for name in ("worker", "beat"):
        lines = [
            x for x in stack.procs[name].output().splitlines() if x.startswith("{")
        ]
        assert lines, name
        assert all("level" in json.loads(line) for line in lines), name


def test_make_smoke_through_the_api_validates_every_output(
    smoke: subprocess.CompletedProcess[str],
) -> None:
    assert smoke.returncode == 0, smoke.stdout + smoke.stderr
    for name in ("operate.json", "target_howto.json", "claims.json", "coverage.json"):
        assert f"\u2713 {name}: schema valid" in smoke.stdout
    assert "\u2713 DOSSIER.md" in smoke.stdout
    assert "smoke: all outputs valid" in smoke.stdout


def test_worker_exports_stage_durations_up_to_the_hard_limit(
    stack: Stack, smoke: subprocess.CompletedProcess[str]
) -> None:
    status, text = get(stack.worker_metrics_url)
    assert status == 200
    samples = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("pta_")
    }
    # At least the smoke run (the doc's commands may have run more).
    for stage in ("clone", "analyze", "validate"):
        assert samples[f'pta_stage_duration_seconds_count{{stage="{stage}"}}'] >= 1
    succeeded = 'pta_runs_finished_total{error_code="",outcome="succeeded"}'
    assert samples[succeeded] >= 1
    hard_limit = 300 + 2 * 600 + 90  # the defaults: CLONE + 2 x ANALYZER + 90 s
    assert f'le="{float(hard_limit)}",stage="analyze"' in text


def test_every_metric_the_alerts_read_is_exported(
    stack: Stack, smoke: subprocess.CompletedProcess[str]
) -> None:
    _, api = get(stack.api_url + "/metrics")
    _, worker = get(stack.worker_metrics_url)
    exported = {
        line.split(" ")[2]
        for line in (api + worker).splitlines()
        if line.startswith("# TYPE ")
    }
    missing = alert_metric_names() - exported
    assert not missing


def test_flower_needs_its_login_for_the_ui_and_metrics(stack: Stack) -> None:
    assert get(stack.flower_url + "/metrics")[0] == 401
    assert get(stack.flower_url + "/")[0] == 401
    assert get(stack.flower_url + "/metrics", auth="admin:wrong")[0] == 401
    status, text = get(stack.flower_url + "/metrics", auth=FLOWER_LOGIN)
    assert status == 200
    assert "flower_events_total" in text


def test_flower_sees_task_events_with_buckets_up_to_the_hard_limit(
    stack: Stack, smoke: subprocess.CompletedProcess[str]
) -> None:
    _, text = get(stack.flower_url + "/metrics", auth=FLOWER_LOGIN)
    runtime = [
        line
        for line in text.splitlines()
        if line.startswith("flower_task_runtime_seconds_bucket")
        and 'task="pta.run_analysis"' in line
    ]
    assert any('le="1590.0"' in line for line in runtime), runtime
    assert "flower_worker_online{" in text


def test_flower_refuses_to_start_without_a_login(stack: Stack) -> None:
    from .stack import compose_command

    env = stack.env | {"FLOWER_BASIC_AUTH": ""}
    done = subprocess.run(
        compose_command("flower"), env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "FLOWER_BASIC_AUTH is required" in done.stderr


def test_prometheus_scrapes_the_stack_and_evaluates_every_rule(
    stack: Stack, smoke: subprocess.CompletedProcess[str], tmp_path: Path
) -> None:
    # ops/prometheus.yml with the compose names replaced by this stack's ports.
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config["rule_files"] = [str(ALERT_RULES)]
    password = tmp_path / "flower_password"
    password.write_text(FLOWER_LOGIN.split(":", 1)[1])
    local = {
        "pta-api": stack.api_url,
        "pta-worker": stack.worker_metrics_url.rsplit("/", 1)[0],
        "pta-flower": stack.flower_url,
    }
    port = free_port()
    for job in config["scrape_configs"]:
        job.pop("dns_sd_configs", None)
        address = local.get(job["job_name"], f"http://127.0.0.1:{port}")
        job["static_configs"] = [{"targets": [address.split("//")[1]]}]
        if "basic_auth" in job:
            job["basic_auth"]["password_file"] = str(password)
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    argv = [
        tool("prometheus", "prometheus"),
        f"--config.file={tmp_path / 'prometheus.yml'}",
        f"--storage.tsdb.path={tmp_path / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    prometheus = Proc("prometheus", argv, stack.env, tmp_path)
    try:
        api = f"http://127.0.0.1:{port}/api/v1"
        prometheus.wait_for("Server is ready to receive web requests")
        deadline = time.monotonic() + 60
        while True:
            targets = json.loads(get(f"{api}/targets")[1])["data"]["activeTargets"]
            rules = json.loads(get(f"{api}/rules")[1])["data"]["groups"][0]["rules"]
            healthy = {t["labels"]["job"] for t in targets if t["health"] == "up"}
            evaluated = [
                r for r in rules if r.get("lastEvaluation", "").startswith("2")
            ]
            if healthy >= set(local) and len(evaluated) == len(rules):
                break
            assert time.monotonic() < deadline, (targets, rules)
            time.sleep(0.5)
        assert {rule["health"] for rule in rules} == {"ok"}, rules
        assert len(rules) == 7
        # Flower needs its login; the scrape with the password file succeeded.
        assert "pta-flower" in healthy
    finally:
        prometheus.stop()
