"""Tests of the Dockerfile extractor."""

from pta_analyzer.extractors.docker import extract, parse_instructions
from pta_analyzer.facts import WEIGHT_CONTAINER, FactKind, Status
from pta_analyzer.scope import Scope

from .conftest import MakeRepo, assert_evidence_verifies, keys, of_kind

PYTHON_DOCKERFILE = """\
FROM python:3.11-slim AS base
WORKDIR /app
ARG PORT=8000
ENV PYTHONUNBUFFERED=1 \\
    APP_ENV=production
COPY requirements.txt .
RUN apt-get update \\
    && pip install --upgrade pip \\
    && pip install -r requirements.txt
COPY . .
EXPOSE ${PORT}/tcp 9100
HEALTHCHECK CMD curl -f http://localhost:8000/
CMD ["gunicorn", "app:app", "-b", "0.0.0.0:8000"]
"""


def test_dockerfile_is_a_deploy_artifact(make_repo: MakeRepo) -> None:
    index = make_repo({"Dockerfile": PYTHON_DOCKERFILE})
    facts = list(extract(index))

    assert keys(facts, FactKind.DEPLOY) == {"dockerfile:Dockerfile"}
    assert_evidence_verifies(index, facts)


def test_exec_form_cmd_is_the_prod_command(make_repo: MakeRepo) -> None:
    index = make_repo({"svc/Dockerfile": PYTHON_DOCKERFILE})
    facts = list(extract(index))

    [prod] = of_kind(facts, FactKind.PROD)
    assert prod.key == "gunicorn app:app -b 0.0.0.0:8000"
    assert prod.cwd == "svc"
    assert prod.weight == WEIGHT_CONTAINER
    assert prod.status is Status.EVIDENCED
    assert prod.note == "run inside the image built from svc/Dockerfile"
    assert [e.location for e in prod.evidence] == ["svc/Dockerfile:13"]
    assert_evidence_verifies(index, facts)


def test_shell_form_cmd_and_exec_entrypoint_combine(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "a/Dockerfile": "FROM node:20\nCMD node server.js\n",
            "b/Dockerfile": 'FROM node:20\nENTRYPOINT ["npm"]\nCMD ["start"]\n',
        }
    )
    facts = list(extract(index))

    assert {(f.cwd, f.key) for f in of_kind(facts, FactKind.PROD)} == {
        ("a", "node server.js"),
        ("b", "npm start"),
    }
    assert_evidence_verifies(index, facts)


def test_chained_shell_cmd_yields_migration_and_server(make_repo: MakeRepo) -> None:
    cmd = 'CMD ["sh", "-c", "python manage.py migrate && gunicorn app.wsgi"]\n'
    index = make_repo({"Dockerfile": "FROM python:3.12\n" + cmd})
    facts = list(extract(index))

    assert keys(facts, FactKind.PROD) == {
        "sh -c 'python manage.py migrate && gunicorn app.wsgi'",
        "gunicorn app.wsgi",
    }
    assert keys(facts, FactKind.MIGRATE) == {"python manage.py migrate"}
    assert_evidence_verifies(index, facts)


def test_run_chain_yields_install_commands_citing_all_lines(
    make_repo: MakeRepo,
) -> None:
    index = make_repo({"Dockerfile": PYTHON_DOCKERFILE})
    facts = list(extract(index))

    [install] = of_kind(facts, FactKind.INSTALL)
    assert install.key == "pip install -r requirements.txt"
    assert install.weight == WEIGHT_CONTAINER
    assert [e.location for e in install.evidence] == ["Dockerfile:7-9"]
    assert_evidence_verifies(index, facts)


def test_node_and_go_steps_are_install_and_build(make_repo: MakeRepo) -> None:
    dockerfile = (
        "FROM golang:1.22 AS build\n"
        "RUN go mod download && CGO_ENABLED=0 go build -o /bin/app ./cmd/app\n"
        "FROM node:20\n"
        "RUN npm ci\n"
        "RUN yarn --frozen-lockfile\n"
    )
    index = make_repo({"Dockerfile": dockerfile})
    facts = list(extract(index))

    assert keys(facts, FactKind.INSTALL) == {
        "go mod download",
        "npm ci",
        "yarn --frozen-lockfile",
    }
    assert "CGO_ENABLED=0 go build -o /bin/app ./cmd/app" in keys(facts, FactKind.BUILD)


def test_expose_resolves_arg_default_and_cites_it(make_repo: MakeRepo) -> None:
    index = make_repo({"Dockerfile": PYTHON_DOCKERFILE})
    facts = list(extract(index))

    ports = {f.key: f for f in of_kind(facts, FactKind.PORT)}
    assert set(ports) == {"8000", "9100"}
    assert ports["8000"].attrs["role"] == "expose"
    assert ports["8000"].attrs["variable"] == "PORT"
    assert [e.location for e in ports["8000"].evidence] == [
        "Dockerfile:11",
        "Dockerfile:3",
    ]
    assert_evidence_verifies(index, facts)


def test_expose_with_unknown_variable_is_skipped(make_repo: MakeRepo) -> None:
    index = make_repo({"Dockerfile": "FROM node:20\nEXPOSE $PORT\n"})

    assert of_kind(extract(index), FactKind.PORT) == []


def test_env_and_arg_are_declared_variables_with_defaults(
    make_repo: MakeRepo,
) -> None:
    index = make_repo({"Dockerfile": PYTHON_DOCKERFILE})
    facts = list(extract(index))

    env = {f.key: f for f in of_kind(facts, FactKind.ENV_VAR)}
    assert env["APP_ENV"].attrs["default"] == "production"
    assert env["APP_ENV"].attrs["declared_only"] is True
    assert env["PYTHONUNBUFFERED"].attrs["default"] == "1"
    assert env["PORT"].attrs["build_arg"] is True
    assert [e.location for e in env["APP_ENV"].evidence] == ["Dockerfile:4-5"]
    assert_evidence_verifies(index, facts)


def test_secret_looking_value_is_never_reported(make_repo: MakeRepo) -> None:
    dockerfile = "FROM python:3.12\nENV DJANGO_SECRET_KEY=s3cr3t-value\n"
    index = make_repo({"Dockerfile": dockerfile})

    [var] = of_kind(extract(index), FactKind.ENV_VAR)
    assert var.key == "DJANGO_SECRET_KEY"
    assert var.attrs["default"] is None
    assert var.attrs["secret"] is True


def test_env_port_is_a_port_candidate(make_repo: MakeRepo) -> None:
    index = make_repo({"Dockerfile": "FROM node:20\nENV PORT 80\n"})

    [port] = of_kind(extract(index), FactKind.PORT)
    assert port.key == "80"
    assert port.attrs["role"] == "env"


def test_runtime_is_the_final_stage_base(make_repo: MakeRepo) -> None:
    dockerfile = (
        'FROM node:18-alpine AS deps\nFROM deps AS release\nCMD ["node", "app"]\n'
    )
    index = make_repo({"Dockerfile": dockerfile})

    [runtime] = of_kind(extract(index), FactKind.RUNTIME)
    assert runtime.key == "node 18"
    assert runtime.attrs["final_stage"] is True


def test_distroless_final_stage_falls_back_to_build_stage(
    make_repo: MakeRepo,
) -> None:
    dockerfile = "FROM golang:1.21 AS b\nRUN go build\nFROM alpine:3\nCMD /app\n"
    index = make_repo({"Dockerfile": dockerfile})

    [runtime] = of_kind(extract(index), FactKind.RUNTIME)
    assert runtime.key == "go 1.21"
    assert runtime.attrs["final_stage"] is False


def test_docker_build_is_inferred_from_the_directory(make_repo: MakeRepo) -> None:
    index = make_repo({"api/Dockerfile": "FROM python:3.12\n"})

    [build] = of_kind(extract(index), FactKind.BUILD)
    assert build.key == "docker build -t api api"
    assert build.status is Status.INFERRED


def test_named_dockerfiles_are_found(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "Dockerfile.prod": "FROM python:3.12\n",
            "worker.dockerfile": "FROM python:3.12\n",
            "notes.txt": "FROM nothing\n",
            "Dockerfile.md": "FROM docs\n",
        }
    )

    assert keys(extract(index), FactKind.DEPLOY) == {
        "dockerfile:Dockerfile.prod",
        "dockerfile:worker.dockerfile",
    }


def test_dockerfile_under_tests_is_test_scope(make_repo: MakeRepo) -> None:
    index = make_repo({"tests/Dockerfile": "FROM node:20\nCMD npm test\n"})

    assert {f.scope for f in extract(index)} == {Scope.TEST}


def test_comments_inside_continuations_are_dropped() -> None:
    lines = ("RUN \\", "  # a comment", "  yarn \\", "  && yarn build", "USER app")

    [run, user] = parse_instructions(lines)
    assert (run.keyword, run.args, run.line_start, run.line_end) == (
        "RUN",
        "yarn && yarn build",
        1,
        4,
    )
    assert user.keyword == "USER"


def test_malformed_dockerfile_does_not_raise(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "Dockerfile": 'FROM\nEXPOSE abc 99999\nCMD ["unterminated\nENV\nRUN \\',
            "x/Dockerfile": b"\xff\xfe\x00garbage",
        }
    )
    facts = list(extract(index))

    assert of_kind(facts, FactKind.PORT) == []
    assert "dockerfile:Dockerfile" in keys(facts, FactKind.DEPLOY)
    assert_evidence_verifies(index, facts)


def test_docker_run_in_a_comment_is_documented_with_its_ports(
    make_repo: MakeRepo,
) -> None:
    dockerfile = (
        "# build:\n"
        "#   docker build -t acme/api .\n"
        "# run:\n"
        "#   docker run --rm -p 80:7071 acme/api\n"
        "FROM node:20\n"
    )
    index = make_repo({"Dockerfile": dockerfile})
    facts = list(extract(index))

    [run] = [f for f in of_kind(facts, FactKind.PROD) if f.source == "docker.comment"]
    assert run.key == "docker run --rm -p 80:7071 acme/api"
    assert [e.location for e in run.evidence] == ["Dockerfile:4"]
    assert "docker build -t acme/api ." in keys(facts, FactKind.BUILD)
    ports = {f.key: f.attrs["side"] for f in of_kind(facts, FactKind.PORT)}
    assert ports == {"7071": "container", "80": "host"}
    assert_evidence_verifies(index, facts)


def test_installs_of_named_tools_in_the_image_are_not_the_apps(
    make_repo: MakeRepo,
) -> None:
    dockerfile = (
        "FROM python:3.12\n"
        "RUN pip install poetry==1.1 && poetry install --no-dev\n"
        "RUN pip install --no-cache-dir gunicorn\n"
    )
    index = make_repo({"Dockerfile": dockerfile})

    facts = list(extract(index))

    assert keys(facts, FactKind.INSTALL) == {"poetry install --no-dev"}
    assert_evidence_verifies(index, facts)
