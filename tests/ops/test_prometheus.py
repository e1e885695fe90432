"""Prometheus: the scrape config and the alert rules pass promtool, and each
alert fires on its situation and not on a healthy one (promtool test rules
with tests/ops/alerts_test.yml)."""

import subprocess
from pathlib import Path

import yaml

from .tools import ALERT_RULES, PROMETHEUS_CONFIG, alert_metric_names, alert_rules, tool

HERE = Path(__file__).resolve().parent
ALERTS = {
    "PtaQueueBacklog",
    "PtaAnalyzerTimeouts",
    "PtaCiTmpDiskFull",
    "PtaRunFailures",
    "PtaApiSlow",
    "PtaNoWorker",
    "PtaJobDeadLettered",
}


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    command = [tool("promtool", "prometheus"), *args]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_alert_rules_pass_promtool() -> None:
    done = promtool("check", "rules", str(ALERT_RULES))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in done.stdout


def test_scrape_config_passes_promtool(tmp_path: Path) -> None:
    # The container paths of the rule file and Flower's password, made local.
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    config["rule_files"] = [str(ALERT_RULES)]
    password = tmp_path / "flower_password"
    password.write_text("secret")
    for job in config["scrape_configs"]:
        if "basic_auth" in job:
            job["basic_auth"]["password_file"] = str(password)
    local = tmp_path / "prometheus.yml"
    local.write_text(yaml.safe_dump(config))
    done = promtool("check", "config", str(local))
    assert done.returncode == 0, done.stdout + done.stderr


def test_each_alert_fires_on_its_situation_only(tmp_path: Path) -> None:
    tests = (HERE / "alerts_test.yml").read_text()
    local = tmp_path / "alerts_test.yml"
    local.write_text(tests.replace("ALERTS_FILE", str(ALERT_RULES)))
    done = promtool("test", "rules", str(local))
    assert done.returncode == 0, done.stdout + done.stderr
    tested = {
        line.split(":", 1)[1].strip()
        for line in tests.splitlines()
        if line.strip().startswith("alertname:")
    }
    assert tested == ALERTS


def test_the_issue_alerts_are_all_defined_with_a_runbook() -> None:
    rules = {rule["alert"]: rule for rule in alert_rules()}
    assert set(rules) == ALERTS
    for name, rule in rules.items():
        assert rule["annotations"]["runbook"].startswith("docs/OPERATIONS.md#"), name


def test_alerts_read_only_metrics_of_the_service_and_scrape_jobs() -> None:
    # Which process exports each is checked against live scrapes in
    # test_stack.py; here: the names the rules use are the documented ones.
    assert alert_metric_names() == {
        "pta_jobs",
        "pta_runs",
        "pta_runs_finished_total",
        "pta_ci_tmp_free_bytes",
        "pta_ci_tmp_used_bytes",
        "pta_http_request_duration_seconds",
    }
    jobs = {
        job["job_name"]
        for job in yaml.safe_load(PROMETHEUS_CONFIG.read_text())["scrape_configs"]
    }
    assert {"pta-api", "pta-worker", "pta-flower"} <= jobs
