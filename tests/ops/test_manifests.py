"""The Kubernetes manifests: valid against the Kubernetes schemas (offline,
kubernetes-validate, strict) and holding the promises the operations guide
makes about them (grace period, clone volume, probes, one beat, auth)."""

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from pta_tasks.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "k8s"
KUBERNETES_VERSION = "1.30"
# Kinds with no schema in kubernetes-validate: checked by hand below.
CUSTOM_KINDS = {"ScaledObject", "Kustomization"}


def documents() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(K8S.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                found.append((path.name, document))
    return found


def resource(kind: str, name: str) -> dict[str, Any]:
    for _, document in documents():
        if (
            document["kind"] == kind
            and document.get("metadata", {}).get("name") == name
        ):
            return document
    raise AssertionError(f"no {kind}/{name} in k8s/")


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def config_settings() -> Any:
    data = resource("ConfigMap", "pta-config")["data"]
    return load_settings({**data, "DATABASE_URL": "postgresql://x/y"})


@pytest.mark.parametrize(
    ("filename", "document"),
    [d for d in documents() if d[1]["kind"] not in CUSTOM_KINDS],
    ids=lambda value: value if isinstance(value, str) else value["kind"],
)
def test_manifest_matches_the_kubernetes_schema(
    filename: str, document: dict[str, Any]
) -> None:
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_every_part_of_the_service_is_there() -> None:
    kinds = {(d["kind"], d.get("metadata", {}).get("name")) for _, d in documents()}
    expected = {
        ("Namespace", "pta"),
        ("ConfigMap", "pta-config"),
        ("Secret", "pta-secrets"),
        ("Deployment", "pta-api"),
        ("Service", "pta-api"),
        ("Deployment", "pta-worker"),
        ("Deployment", "pta-beat"),
        ("Deployment", "pta-flower"),
        ("Service", "pta-flower"),
        ("StatefulSet", "pta-redis"),
        ("StatefulSet", "pta-postgres"),
        ("PodDisruptionBudget", "pta-api"),
        ("PodDisruptionBudget", "pta-worker"),
        ("ScaledObject", "pta-worker"),
        ("HorizontalPodAutoscaler", "pta-worker"),
        ("Job", "pta-migrate"),
    }
    assert expected <= kinds


def test_worker_grace_period_outlasts_the_task_hard_limit() -> None:
    worker = resource("Deployment", "pta-worker")
    grace = worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace > config_settings().hard_time_limit_s


def test_worker_clones_into_a_size_limited_empty_dir() -> None:
    worker = resource("Deployment", "pta-worker")
    pod = worker["spec"]["template"]["spec"]
    tmp_dir = resource("ConfigMap", "pta-config")["data"]["CI_TMP_DIR"]
    mounts = {m["mountPath"]: m["name"] for m in container(worker)["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    volume = volumes[mounts[tmp_dir]]
    assert volume["emptyDir"]["sizeLimit"]
    assert container(worker)["resources"]["limits"]["memory"]


def test_worker_probes_are_http_gets_not_celery_commands() -> None:
    worker = container(resource("Deployment", "pta-worker"))
    for probe in ("livenessProbe", "readinessProbe"):
        assert "exec" not in worker[probe]
        assert worker[probe]["httpGet"]["path"] == "/metrics"


def test_exactly_one_beat_replaced_never_doubled() -> None:
    beat = resource("Deployment", "pta-beat")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"]["type"] == "Recreate"


def test_entry_points_are_the_image_commands() -> None:
    commands = {
        name: container(resource("Deployment", name))["command"]
        for name in ("pta-api", "pta-worker", "pta-beat", "pta-flower")
    }
    assert commands["pta-api"] == ["pta-api"]
    assert commands["pta-worker"][:4] == ["celery", "-A", "pta_tasks", "worker"]
    assert commands["pta-beat"][:4] == ["celery", "-A", "pta_tasks", "beat"]
    assert commands["pta-flower"] == [
        "celery",
        "-A",
        "pta_tasks",
        "flower",
        "--conf=/app/ops/flowerconfig.py",
    ]
    job = resource("Job", "pta-migrate")["spec"]["template"]["spec"]
    assert job["containers"][0]["command"] == ["pta", "db", "upgrade"]


def test_flower_gets_its_login_from_the_secret() -> None:
    flower = container(resource("Deployment", "pta-flower"))
    assert {"secretRef": {"name": "pta-secrets"}} in flower["envFrom"]
    assert "FLOWER_BASIC_AUTH" in resource("Secret", "pta-secrets")["stringData"]


def test_example_secret_holds_only_placeholders() -> None:
    secret = resource("Secret", "pta-secrets")["stringData"]
    for name, value in secret.items():
        assert value == "" or "CHANGE_ME" in value, name


def test_keda_scaler_watches_the_celery_queue_of_the_workers() -> None:
    scaled = resource("ScaledObject", "pta-worker")
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    assert scaled["spec"]["scaleTargetRef"]["name"] == "pta-worker"
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "redis"
    assert trigger["metadata"]["listName"] == config_settings().queue
    assert int(trigger["metadata"]["listLength"]) >= 1
    redis_url = resource("ConfigMap", "pta-config")["data"]["REDIS_URL"]
    host = redis_url.split("//")[1].split(":")[0]
    assert trigger["metadata"]["address"].startswith(f"{host}.")


def test_kustomization_lists_existing_files_and_no_example_secret() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    for name in kustomization["resources"]:
        assert (K8S / name).is_file(), name
    assert "secret.example.yaml" not in kustomization["resources"]
