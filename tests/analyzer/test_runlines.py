"""Tests of the shell-line helpers shared by the container and runner extractors."""

import pytest

from pta_analyzer.extractors import _runlines
from pta_analyzer.facts import FactKind


def test_split_chain_keeps_quoted_separators() -> None:
    script = "a && b 'x && y; z' ; c || d\ne"

    assert _runlines.split_chain(script) == ["a", "b 'x && y; z'", "c", "d", "e"]


def test_unwrap_shell_and_nix_wrappers() -> None:
    assert _runlines.unwrap("sh -c 'migrate && serve'") == ["migrate", "serve"]
    assert _runlines.unwrap("nix-shell --pure --run 'cargo test'") == ["cargo test"]
    assert _runlines.unwrap("bash -c unquoted words") == ["bash -c unquoted words"]


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        ("pip install -r requirements.txt", FactKind.INSTALL),
        ("python -m pip install .", FactKind.INSTALL),
        ("uv pip install -e .", FactKind.INSTALL),
        ("pip install --upgrade pip setuptools wheel", None),
        ("npm ci", FactKind.INSTALL),
        ("yarn", FactKind.INSTALL),
        ("yarn --production", FactKind.INSTALL),
        ("yarn build", FactKind.BUILD),
        ("npm run build", FactKind.BUILD),
        ("bundle install", FactKind.INSTALL),
        ("go mod download", FactKind.INSTALL),
        ("CGO_ENABLED=0 go build -o app .", FactKind.BUILD),
        ("cargo build --release", FactKind.BUILD),
        ("./gradlew bootJar", FactKind.BUILD),
        ("apt-get install -y curl", None),
        ("echo done", None),
    ],
)
def test_step_kind(command: str, kind: FactKind | None) -> None:
    assert _runlines.step_kind(command) is kind


def test_located_segments_follow_relative_cd() -> None:
    steps = list(_runlines.located_segments("cd api && npm ci; cd /x && run", "web"))

    assert steps == [("web/api", "npm ci"), ("web/api", "run")]


def test_chain_steps_split_migrations_from_the_process() -> None:
    command = "python manage.py migrate && python manage.py collectstatic && gunicorn a"

    assert _runlines.chain_steps(command, "") == (
        [("", "python manage.py migrate")],
        ("", "gunicorn a"),
    )


def test_shown_value_hides_secrets_and_url_passwords() -> None:
    assert _runlines.shown_value("API_KEY", "abc") is None
    assert _runlines.shown_value("DB_PASSWORD", "abc") is None
    assert _runlines.shown_value("DATABASE_URL", "postgres://u:pw@h/db") == (
        "postgres://u:***@h/db"
    )
    assert _runlines.shown_value("NODE_ENV", "production") == "production"


def test_split_chain_ends_a_background_command_at_a_lone_ampersand() -> None:
    assert _runlines.split_chain("serve & echo $! > .pid; a 2>&1 && b &>/dev/null") == [
        "serve",
        "echo $! > .pid",
        "a 2>&1",
        "b &>/dev/null",
    ]
