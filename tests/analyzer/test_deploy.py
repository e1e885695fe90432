"""Tests of the deployment-descriptor extractor."""

from pta_analyzer.extractors.deploy import extract
from pta_analyzer.facts import FactKind, Status
from pta_analyzer.scope import Scope

from .conftest import MakeRepo, assert_evidence_verifies, keys, of_kind

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.2
          ports:
            - containerPort: 8000
          env:
            - name: LOG_LEVEL
              value: info
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef: {name: db, key: password}
        - name: cache
          image: redis:7
          ports:
            - containerPort: 6379
---
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  ports:
    - port: 80
      targetPort: 8000
"""


def test_each_manifest_is_a_deploy_fact(make_repo: MakeRepo) -> None:
    index = make_repo({"k8s/api.yaml": DEPLOYMENT})
    facts = list(extract(index))

    assert keys(facts, FactKind.DEPLOY) == {"k8s:Deployment/api", "k8s:Service/api"}
    [deployment] = [f for f in facts if f.key == "k8s:Deployment/api"]
    assert [e.location for e in deployment.evidence] == ["k8s/api.yaml:1-4"]
    assert_evidence_verifies(index, facts)


def test_container_ports_and_backing_images(make_repo: MakeRepo) -> None:
    index = make_repo({"k8s/api.yaml": DEPLOYMENT})
    facts = list(extract(index))

    roles = {f.key: f.attrs["role"] for f in of_kind(facts, FactKind.PORT)}
    assert roles == {"8000": "container", "6379": "service", "80": "k8s_service"}
    assert keys(facts, FactKind.SERVICE) == {"redis"}


DATABASE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: demo-db
  labels:
    app: demo-db
spec:
  template:
    spec:
      containers:
        - name: postgresql
          image: postgres:17
          ports:
            - containerPort: 5432
---
apiVersion: v1
kind: Service
metadata:
  name: demo-db
spec:
  selector:
    app: demo-db
  ports:
    - port: 5432
"""


def test_service_in_front_of_a_database_workload_is_a_backing_port(
    make_repo: MakeRepo,
) -> None:
    index = make_repo({"k8s/db.yml": DATABASE, "k8s/api.yaml": DEPLOYMENT})
    facts = list(extract(index))

    roles = {
        (f.key, f.attrs["k8s"]): f.attrs["role"] for f in of_kind(facts, FactKind.PORT)
    }
    assert roles[("5432", "Service/demo-db")] == "service"
    assert roles[("5432", "Deployment/demo-db")] == "service"
    assert roles[("80", "Service/api")] == "k8s_service"


def test_container_env_is_declared_and_secret_refs_hidden(
    make_repo: MakeRepo,
) -> None:
    index = make_repo({"k8s/api.yaml": DEPLOYMENT})
    facts = list(extract(index))

    env = {f.key: f for f in of_kind(facts, FactKind.ENV_VAR)}
    assert set(env) == {"LOG_LEVEL", "DB_PASSWORD"}
    assert env["LOG_LEVEL"].attrs["default"] == "info"
    assert env["LOG_LEVEL"].attrs["declared_only"] is True
    assert env["DB_PASSWORD"].attrs["secret"] is True
    assert env["DB_PASSWORD"].attrs["default"] is None
    assert_evidence_verifies(index, facts)


def test_manifests_in_tests_and_helm_templates_are_skipped(
    make_repo: MakeRepo,
) -> None:
    template = "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Values.n }}\n"
    index = make_repo(
        {
            "tests/fixtures/pod.yaml": DEPLOYMENT,
            "examples/pod.yaml": DEPLOYMENT,
            "chart/templates/svc.yaml": template,
            "chart/Chart.yaml": "apiVersion: v2\nname: api\nversion: 0.1.0\n",
        }
    )

    assert keys(extract(index), FactKind.DEPLOY) == {"helm:chart"}


def test_fly_internal_port_and_env(make_repo: MakeRepo) -> None:
    fly = (
        'app = "demo"\n\n[env]\n  PORT = "8080"\n  SECRET_KEY = "x"\n\n'
        "[http_service]\n  internal_port = 8080\n"
    )
    index = make_repo({"fly.toml": fly})
    facts = list(extract(index))

    [port] = of_kind(facts, FactKind.PORT)
    assert (port.key, port.attrs["role"]) == ("8080", "internal")
    assert [e.location for e in port.evidence] == ["fly.toml:8"]
    env = {f.key: f.attrs["default"] for f in of_kind(facts, FactKind.ENV_VAR)}
    assert env == {"PORT": "8080", "SECRET_KEY": None}
    assert keys(facts, FactKind.DEPLOY) == {"fly:fly.toml"}
    assert_evidence_verifies(index, facts)


def test_nginx_listen_ports(make_repo: MakeRepo) -> None:
    conf = (
        "server {\n    listen 80;\n    listen [::]:443 ssl;\n"
        "    location / { proxy_pass http://web:8000; }\n}\n"
    )
    index = make_repo({"nginx/conf.d/app.conf": conf, "nginx.conf": conf})
    facts = list(extract(index))

    ports = of_kind(facts, FactKind.PORT)
    assert {(f.evidence[0].path, f.key) for f in ports} == {
        ("nginx/conf.d/app.conf", "80"),
        ("nginx/conf.d/app.conf", "443"),
        ("nginx.conf", "80"),
        ("nginx.conf", "443"),
    }
    assert {f.attrs["role"] for f in ports} == {"listen"}
    assert_evidence_verifies(index, facts)


def test_air_toml_is_the_go_dev_command(make_repo: MakeRepo) -> None:
    air = '[build]\ncmd = "go build -o ./tmp/main ."\nbin = "tmp/main"\n'
    index = make_repo({"svc/.air.toml": air})
    facts = list(extract(index))

    [dev] = of_kind(facts, FactKind.DEV)
    assert (dev.key, dev.cwd, dev.status) == ("air", "svc", Status.EVIDENCED)
    assert [e.location for e in dev.evidence] == ["svc/.air.toml:2-3"]
    assert keys(facts, FactKind.BUILD) == {"go build -o ./tmp/main ."}
    assert_evidence_verifies(index, facts)


def test_heroku_app_json_env(make_repo: MakeRepo) -> None:
    app_json = (
        '{\n  "name": "demo",\n  "env": {\n'
        '    "SECRET_KEY": {"generator": "secret"},\n'
        '    "WEB_CONCURRENCY": {"value": "2", "required": false}\n  }\n}\n'
    )
    index = make_repo({"app.json": app_json, "other/app.json": '{"name": "x"}'})
    facts = list(extract(index))

    assert keys(facts, FactKind.DEPLOY) == {"heroku:app.json"}
    env = {f.key: f for f in of_kind(facts, FactKind.ENV_VAR)}
    assert env["SECRET_KEY"].attrs["secret"] is True
    assert env["WEB_CONCURRENCY"].attrs["default"] == "2"
    assert [e.location for e in env["WEB_CONCURRENCY"].evidence] == ["app.json:5"]
    assert_evidence_verifies(index, facts)


def test_render_commands(make_repo: MakeRepo) -> None:
    render = """\
services:
  - type: web
    name: api
    buildCommand: pip install -r requirements.txt
    startCommand: gunicorn app:app
    envVars:
      - key: DATABASE_URL
        fromDatabase: {name: db, property: connectionString}
"""
    index = make_repo({"render.yaml": render})
    facts = list(extract(index))

    assert keys(facts, FactKind.BUILD) == {"pip install -r requirements.txt"}
    assert keys(facts, FactKind.PROD) == {"gunicorn app:app"}
    assert keys(facts, FactKind.ENV_VAR) == {"DATABASE_URL"}
    assert_evidence_verifies(index, facts)


def test_heroku_yml_run_processes(make_repo: MakeRepo) -> None:
    heroku = """\
build:
  docker:
    web: Dockerfile
run:
  web: gunicorn app:app
  worker:
    command:
      - celery -A app worker
release:
  image: web
"""
    index = make_repo({"heroku.yml": heroku})
    facts = list(extract(index))

    processes = {f.key: f.attrs["process"] for f in of_kind(facts, FactKind.PROD)}
    assert processes == {"gunicorn app:app": "web", "celery -A app worker": "worker"}
    assert keys(facts, FactKind.DEPLOY) == {"heroku:heroku.yml"}
    assert_evidence_verifies(index, facts)


def test_platform_files_and_terraform_directories(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "vercel.json": "{}",
            "netlify.toml": '[build]\n  command = "npm run build"\n',
            "serverless.yml": "service: x\n",
            "infra/main.tf": 'provider "aws" {}\n',
            "infra/vars.tf": 'variable "x" {}\n',
            "deploy/kustomization.yaml": "resources: []\n",
            "skaffold.yaml": "apiVersion: skaffold/v4beta6\nkind: Config\n",
        }
    )
    facts = list(extract(index))

    assert keys(facts, FactKind.DEPLOY) == {
        "vercel:vercel.json",
        "netlify:netlify.toml",
        "serverless:serverless.yml",
        "terraform:infra",
        "kustomize:deploy",
        "skaffold:skaffold.yaml",
    }
    assert keys(facts, FactKind.BUILD) == {"npm run build"}
    assert_evidence_verifies(index, facts)


def test_scope_of_descriptor_in_docs(make_repo: MakeRepo) -> None:
    index = make_repo({"docs/fly.toml": "[http_service]\ninternal_port = 3000\n"})

    assert {f.scope for f in extract(index)} == {Scope.DOCS}


def test_malformed_descriptors_do_not_raise(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "fly.toml": "internal_port = = 3\n[",
            "app.json": "{not json",
            "k8s/bad.yaml": "apiVersion: v1\nkind: [\n",
            "k8s/list.yaml": "- apiVersion: v1\n  kind: Pod\n",
            "k8s/odd.yaml": "apiVersion: v1\nkind: Pod\nmetadata: 3\nspec: []\n",
            ".air.toml": "[build\n",
            "nginx.conf": "listen 99999;\n",
        }
    )
    facts = list(extract(index))

    assert of_kind(facts, FactKind.PORT) == []
    assert keys(facts, FactKind.DEPLOY) >= {"fly:fly.toml", "k8s:Pod/unnamed"}
    assert_evidence_verifies(index, facts)
