"""Install commands: the checkout itself, or named registry packages."""

import pytest

from pta_analyzer.installs import named_packages


@pytest.mark.parametrize(
    "command",
    [
        "pip install -r requirements.txt",
        "pip install -e .",
        "pip install .",
        "python -m pip install -e '.[test]'",
        "uv pip install --system --overrides o.txt --prerelease=allow -e '.[docs]'",
        "pip install -e .[testing,docs] --config-settings editable-mode=strict",
        "uv sync --locked",
        "poetry install",
        "npm ci",
        "npm install --ignore-scripts --include=dev",
        "yarn install",
        "yarn",
        "go mod download",
        "go install ./...",
        "cargo install --path .",
        "bundle install",
        "pip install dist/pkg-1.0.tar.gz",
    ],
)
def test_installs_of_the_checkout_name_no_package(command: str) -> None:
    assert named_packages(command) == []


@pytest.mark.parametrize(
    ("command", "names"),
    [
        ('pip install semgrep=="$semgrep_version"', ["semgrep"]),
        ("pip install --user build boto3", ["build", "boto3"]),
        ("uv pip install certifi", ["certifi"]),
        ('uv pip install "elasticsearch>=7,<8"', ["elasticsearch"]),
        ("uv pip install --system packaging", ["packaging"]),
        ("sudo python3 -m pip install 'django[argon2]'", ["django"]),
        (
            "go install golang.org/x/tools/cmd/goimports@latest",
            ["golang.org/x/tools/cmd/goimports"],
        ),
        ("cargo install cargo-nextest --locked", ["cargo-nextest"]),
        ("cargo install --version 1.2 just", ["just"]),
        ("npm install express", ["express"]),
        ("yarn add left-pad", ["left-pad"]),
        ("gem install bundler -v 2.4", ["bundler"]),
    ],
)
def test_installs_of_registry_packages_name_them(
    command: str, names: list[str]
) -> None:
    assert named_packages(command) == names


def test_commands_that_install_nothing_name_nothing() -> None:
    assert named_packages("pytest -q") == []
    assert named_packages("") == []
    assert named_packages("pip list") == []
