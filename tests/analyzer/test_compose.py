"""Tests of the compose extractor."""

from pta_analyzer.extractors.compose import extract
from pta_analyzer.facts import WEIGHT_CONTAINER, FactKind, Status
from pta_analyzer.scope import Scope

from .conftest import MakeRepo, assert_evidence_verifies, keys, of_kind

COMPOSE = """\
services:
  web:
    build: ./project
    ports:
      - 8004:8000
    command: uvicorn main:app --host 0.0.0.0 --reload
    environment:
      - DATABASE_URL=postgresql://user:hunter2@db/app
      - API_TOKEN=abc123
      - DEBUG
    depends_on:
      - db
  worker:
    build: ./project
    command: ["celery", "-A", "worker.celery", "worker"]
    env_file: .env.example
  db:
    image: postgres:16-alpine
    ports:
      - "5432:5432"
    environment:
      POSTGRES_PASSWORD: postgres
  flower:
    image: mher/flower
    ports:
      - 5556:5555
"""


def test_compose_file_is_a_deploy_artifact(make_repo: MakeRepo) -> None:
    index = make_repo({"docker-compose.yml": COMPOSE})
    facts = list(extract(index))

    assert keys(facts, FactKind.DEPLOY) == {"compose:docker-compose.yml"}
    assert_evidence_verifies(index, facts)


def test_up_and_build_commands_for_a_file_that_builds(make_repo: MakeRepo) -> None:
    index = make_repo({"docker-compose.yml": COMPOSE})
    facts = list(extract(index))

    [dev_up] = [f for f in of_kind(facts, FactKind.DEV) if f.key.startswith("docker")]
    assert dev_up.key == "docker compose up --build"
    assert dev_up.status is Status.EVIDENCED
    assert "docker compose build" in keys(facts, FactKind.BUILD)


def test_image_services_are_backing_services(make_repo: MakeRepo) -> None:
    index = make_repo({"docker-compose.yml": COMPOSE})
    facts = list(extract(index))

    services = {f.key: f for f in of_kind(facts, FactKind.SERVICE)}
    assert set(services) == {"postgres", "flower"}
    assert services["postgres"].attrs["compose_service"] == "db"
    assert [e.location for e in services["postgres"].evidence] == [
        "docker-compose.yml:18"
    ]


def test_published_ports_give_host_and_container(make_repo: MakeRepo) -> None:
    index = make_repo({"docker-compose.yml": COMPOSE})
    facts = list(extract(index))

    web = [
        f for f in of_kind(facts, FactKind.PORT) if f.attrs["compose_service"] == "web"
    ]
    assert {(f.key, f.attrs["role"], f.attrs["side"]) for f in web} == {
        ("8000", "publish", "container"),
        ("8004", "publish", "host"),
    }
    assert all(f.attrs["host_port"] == 8004 for f in web)
    assert_evidence_verifies(index, facts)


def test_backing_service_ports_have_role_service(make_repo: MakeRepo) -> None:
    index = make_repo({"docker-compose.yml": COMPOSE})
    facts = list(extract(index))

    roles = {
        f.attrs["compose_service"]: f.attrs["role"]
        for f in of_kind(facts, FactKind.PORT)
    }
    assert roles["db"] == "service"
    assert roles["flower"] == "publish"


def test_port_syntaxes(make_repo: MakeRepo) -> None:
    compose = """\
services:
  app:
    build: .
    ports:
      - "127.0.0.1:9000:9001/tcp"
      - "7000"
      - 80:80
      - "${PORT:-3000}:3000"
      - "6000-6001:6000-6001"
      - target: 8080
        published: "18080"
    expose:
      - "4000"
"""
    index = make_repo({"compose.yaml": compose})
    facts = list(extract(index))

    assert keys(facts, FactKind.PORT) == {
        "9000", "9001", "7000", "80", "3000", "6000", "6001", "8080", "18080",
        "4000",
    }  # fmt: skip
    [interpolated] = [f for f in of_kind(facts, FactKind.PORT) if f.key == "3000"]
    assert interpolated.attrs["variable"] == "PORT"
    [exposed] = [f for f in of_kind(facts, FactKind.PORT) if f.key == "4000"]
    assert exposed.attrs["role"] == "expose"
    assert_evidence_verifies(index, facts)


def test_service_command_runs_in_the_build_context(make_repo: MakeRepo) -> None:
    index = make_repo({"docker-compose.yml": COMPOSE})
    facts = list(extract(index))

    [dev] = [f for f in of_kind(facts, FactKind.DEV) if f.key.startswith("uvicorn")]
    assert dev.key == "uvicorn main:app --host 0.0.0.0 --reload"
    assert dev.cwd == "project"
    assert dev.note == "in compose service web"
    assert dev.weight == WEIGHT_CONTAINER
    assert dev.attrs["depends_on"] == ["db"]
    [worker] = of_kind(facts, FactKind.PROD)
    assert worker.key == "celery -A worker.celery worker"
    assert_evidence_verifies(index, facts)


def test_wrapped_command_is_unwrapped_and_migrations_split(
    make_repo: MakeRepo,
) -> None:
    compose = """\
services:
  web:
    build: .
    command: >
      sh -c "while ! nc -z db 5432; do sleep 1; done;
             python manage.py migrate && gunicorn app.wsgi -b 0.0.0.0:8000"
"""
    index = make_repo({"docker-compose.yml": compose})
    facts = list(extract(index))

    assert keys(facts, FactKind.MIGRATE) == {"python manage.py migrate"}
    assert keys(facts, FactKind.PROD) == {"gunicorn app.wsgi -b 0.0.0.0:8000"}
    assert_evidence_verifies(index, facts)


def test_environment_values_hide_secrets(make_repo: MakeRepo) -> None:
    index = make_repo({"docker-compose.yml": COMPOSE, ".env.example": "X=1\n"})
    facts = list(extract(index))

    env = {f.key: f for f in of_kind(facts, FactKind.ENV_VAR)}
    assert env["DATABASE_URL"].attrs["default"] == "postgresql://user:***@db/app"
    assert env["API_TOKEN"].attrs["default"] is None
    assert env["API_TOKEN"].attrs["secret"] is True
    assert env["DEBUG"].attrs["default"] is None
    assert env["DEBUG"].attrs["declared_only"] is True
    assert "POSTGRES_PASSWORD" not in env
    assert_evidence_verifies(index, facts)


def test_env_file_names_become_variables(make_repo: MakeRepo) -> None:
    index = make_repo(
        {"docker-compose.yml": COMPOSE, ".env.example": "# c\nREDIS_URL=redis://r\n"}
    )
    facts = list(extract(index))

    [redis] = [f for f in of_kind(facts, FactKind.ENV_VAR) if f.key == "REDIS_URL"]
    assert redis.attrs["default"] == "redis://r"
    assert [e.location for e in redis.evidence] == [
        "docker-compose.yml:16",
        ".env.example:2",
    ]
    assert_evidence_verifies(index, facts)


def test_override_file_runs_with_its_base(make_repo: MakeRepo) -> None:
    override = "services:\n  api:\n    command: yarn dev\n"
    index = make_repo(
        {
            "docker-compose.yml": "services:\n  api:\n    build: .\n",
            "docker-compose.dev.yml": override,
            "docker-compose.prod.yml": override.replace("dev", "start"),
        }
    )
    facts = list(extract(index))

    assert "docker compose -f docker-compose.yml -f docker-compose.dev.yml up" in keys(
        facts, FactKind.DEV
    )
    assert "docker compose -f docker-compose.yml -f docker-compose.prod.yml up" in keys(
        facts, FactKind.PROD
    )
    [yarn_dev] = [f for f in of_kind(facts, FactKind.DEV) if f.key == "yarn dev"]
    assert yarn_dev.attrs["compose_service"] == "api"


def test_test_file_and_test_service_are_test_commands(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "docker-compose.yml": "services:\n  api:\n    build: .\n"
            "  test:\n    build: .\n    command: pytest\n",
            "docker-compose.test.yml": "services:\n  api:\n    command: yarn test\n",
        }
    )
    facts = list(extract(index))

    assert keys(facts, FactKind.TEST) >= {
        "docker compose -f docker-compose.yml -f docker-compose.test.yml up",
        "docker compose run test",
        "yarn test",
    }
    assert_evidence_verifies(index, facts)


def test_flow_style_test_service_on_the_first_line(make_repo: MakeRepo) -> None:
    index = make_repo({"compose.yml": "{services: {test: {build: .}}}\n"})
    facts = list(extract(index))

    assert "docker compose run test" in keys(facts, FactKind.TEST)
    assert_evidence_verifies(index, facts)


def test_latest_in_a_file_name_is_not_a_test_file(make_repo: MakeRepo) -> None:
    index = make_repo({"docker-compose.latest.yml": "services:\n  a:\n    build: .\n"})

    assert keys(extract(index), FactKind.TEST) == set()


def test_compose_under_examples_is_example_scope(make_repo: MakeRepo) -> None:
    index = make_repo({"examples/demo/docker-compose.yml": COMPOSE})
    facts = list(extract(index))

    assert {f.scope for f in facts} == {Scope.EXAMPLE}
    [up] = [f for f in of_kind(facts, FactKind.DEV) if f.key.startswith("docker")]
    assert up.cwd == "examples/demo"


def test_invalid_yaml_does_not_raise(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "docker-compose.yml": "services: [unclosed\n  web: {",
            "compose.yaml": "services:\n  web: just-a-string\n  x:\n    ports: 5\n",
        }
    )
    facts = list(extract(index))

    assert keys(facts, FactKind.DEPLOY) == {
        "compose:docker-compose.yml",
        "compose:compose.yaml",
    }
    assert of_kind(facts, FactKind.PORT) == []


def test_composer_files_are_not_compose_files(make_repo: MakeRepo) -> None:
    index = make_repo({"composer.yml": COMPOSE})

    assert list(extract(index)) == []


def test_override_of_a_backing_service_is_not_the_application(
    make_repo: MakeRepo,
) -> None:
    index = make_repo(
        {
            "docker-compose.yml": "services:\n  db:\n    image: postgres:16\n",
            "docker-compose.override.yml": "services:\n  db:\n"
            "    command: postgres -c log_statement=all\n"
            "    ports: ['5433:5432']\n",
        }
    )
    facts = list(extract(index))

    assert {f.attrs["role"] for f in of_kind(facts, FactKind.PORT)} == {"service"}
    assert keys(facts, FactKind.PROD) == set()
    assert keys(facts, FactKind.DEV) == {"docker compose up"}


def test_commands_of_third_party_images_are_not_the_applications(
    make_repo: MakeRepo,
) -> None:
    compose = """\
services:
  proxy:
    image: traefik:3.6
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock:ro
    command:
      - --providers.docker
      - --entrypoints.http.address=:80
  tunnel:
    image: someone/tunnel
    command: tunnel serve --all
  app:
    image: python:3.12
    volumes:
      - .:/code
    command: python app.py
"""
    index = make_repo({"docker-compose.yml": compose})
    facts = list(extract(index))

    commands = [f.key for f in facts if f.kind in {FactKind.DEV, FactKind.PROD}]
    assert "python app.py" in commands
    assert not [c for c in commands if c.startswith(("-", "tunnel"))]
    assert_evidence_verifies(index, facts)


def test_a_command_of_option_words_is_arguments_not_a_command(
    make_repo: MakeRepo,
) -> None:
    compose = "services:\n  web:\n    build: .\n    command: --reload --port 8000\n"
    index = make_repo({"docker-compose.yml": compose})

    facts = list(extract(index))

    commands = {f.key for f in facts if f.kind in {FactKind.DEV, FactKind.PROD}}
    assert commands == {"docker compose up --build"}


def test_a_stock_admin_console_is_not_the_application(make_repo: MakeRepo) -> None:
    compose = (
        "services:\n  adminer:\n    image: adminer\n    ports:\n"
        '      - "8080:8080"\n  web:\n    build: .\n    ports:\n      - "8000:8000"\n'
    )
    index = make_repo({"docker-compose.yml": compose})

    facts = list(extract(index))

    roles = {f.key: f.attrs["role"] for f in of_kind(facts, FactKind.PORT)}
    assert roles == {"8080": "service", "8000": "publish"}


def test_an_override_of_an_admin_console_and_a_test_runner_are_not_the_app(
    make_repo: MakeRepo,
) -> None:
    base = "services:\n  adminer:\n    image: adminer\n  web:\n    build: .\n"
    override = (
        "services:\n  adminer:\n    ports:\n      - '8080:8080'\n"
        "  playwright:\n    build: ./e2e\n    ports:\n      - 9323:9323\n"
        "  web:\n    ports:\n      - '8000:8000'\n"
    )
    index = make_repo({"compose.yml": base, "compose.override.yml": override})

    facts = list(extract(index))

    roles = {f.key: f.attrs["role"] for f in of_kind(facts, FactKind.PORT)}
    assert roles == {"8080": "service", "9323": "service", "8000": "publish"}


def test_an_image_only_product_beside_the_app_is_not_the_app(
    make_repo: MakeRepo,
) -> None:
    compose = (
        "services:\n  shop:\n    image: shop\n    build: .\n    ports: ['8000:8000']\n"
        "  dashboard:\n    image: ghcr.io/vendor/shop-dashboard:3.2\n"
        "    ports: ['9000:80']\n  proxy:\n    image: traefik:3\n    ports: ['80:80']\n"
    )
    pyproject = '[project]\nname = "shop"\n'
    index = make_repo({"docker-compose.yml": compose, "pyproject.toml": pyproject})

    facts = list(extract(index))

    published = {
        f.key for f in of_kind(facts, FactKind.PORT) if f.attrs["role"] == "publish"
    }
    assert published == {"8000", "80"}


def test_the_projects_own_image_without_a_build_is_the_app(
    make_repo: MakeRepo,
) -> None:
    compose = "services:\n  web:\n    image: go-clean-arch\n    ports: ['9090:9090']\n"
    go_mod = "module github.com/bxcodec/go-clean-arch\n\ngo 1.20\n"
    index = make_repo({"compose.yaml": compose, "go.mod": go_mod})

    facts = list(extract(index))

    assert {f.attrs["role"] for f in of_kind(facts, FactKind.PORT)} == {"publish"}
