"""Tests of the task-runner extractor (make, just, task)."""

from pta_analyzer.extractors.make import RECIPE_WEIGHT, TARGET_WEIGHT, extract
from pta_analyzer.facts import FactKind, Status
from pta_analyzer.scope import Scope

from .conftest import MakeRepo, assert_evidence_verifies, keys

MAKEFILE = """\
.PHONY: install test build run
PYTHON ?= python3
TEST_ARGS := -q
TEST_ARGS += --maxfail=1

install:
\t$(PYTHON) -m pip install -r requirements.txt

build: install
\t@echo "building"
\tgo build \\
\t\t-o bin/app \\
\t\t./cmd/app

# run the server
run:
\t$(PYTHON) app.py

test:
\tuv pip install -e .
\truff check .
\tpytest $(TEST_ARGS) $(UNKNOWN)

migrate: bin/migrate

clean:
\trm -rf build
"""


def test_make_targets_by_name(make_repo: MakeRepo) -> None:
    index = make_repo({"Makefile": MAKEFILE})
    facts = list(extract(index))

    targets = {f.key: f.kind for f in facts if f.source == "make.make_target"}
    assert targets == {
        "make install": FactKind.INSTALL,
        "make build": FactKind.BUILD,
        "make run": FactKind.DEV,
        "make test": FactKind.TEST,
    }
    assert_evidence_verifies(index, facts)


def test_target_cites_its_line_through_its_recipe(make_repo: MakeRepo) -> None:
    index = make_repo({"Makefile": MAKEFILE})

    [build] = [f for f in extract(index) if f.key == "make build"]
    assert [e.location for e in build.evidence] == ["Makefile:9-13"]
    assert build.weight == TARGET_WEIGHT
    assert build.status is Status.EVIDENCED


def test_recipe_commands_are_expanded_and_weigh_less(make_repo: MakeRepo) -> None:
    index = make_repo({"Makefile": MAKEFILE})
    facts = list(extract(index))

    recipe = {f.key: f for f in facts if f.source == "make.recipe"}
    assert set(recipe) == {
        "python3 -m pip install -r requirements.txt",
        "go build -o bin/app ./cmd/app",
        "python3 app.py",
        "uv pip install -e .",
        "pytest -q --maxfail=1 $(UNKNOWN)",
    }
    go_build = recipe["go build -o bin/app ./cmd/app"]
    assert go_build.kind is FactKind.BUILD
    assert go_build.weight == RECIPE_WEIGHT < TARGET_WEIGHT
    assert go_build.attrs["via"] == "make build"
    assert [e.location for e in go_build.evidence] == ["Makefile:11-13"]
    assert recipe["uv pip install -e ."].kind is FactKind.INSTALL
    assert_evidence_verifies(index, facts)


def test_phony_and_file_alias_targets_are_not_commands(make_repo: MakeRepo) -> None:
    index = make_repo({"Makefile": MAKEFILE})
    facts = list(extract(index))

    assert not any(".PHONY" in f.key for f in facts)
    assert "make migrate" not in keys(facts, FactKind.MIGRATE)


def test_makefile_in_subdirectory_sets_cwd(make_repo: MakeRepo) -> None:
    index = make_repo({"server/GNUmakefile": "test:\n\tgo test ./...\n"})

    assert {(f.key, f.cwd) for f in extract(index)} == {
        ("make test", "server"),
        ("go test ./...", "server"),
    }


def test_migrate_target_is_migrate(make_repo: MakeRepo) -> None:
    index = make_repo({"Makefile": "db-migrate:\n\talembic upgrade head\n"})

    assert keys(extract(index), FactKind.MIGRATE) == {
        "make db-migrate",
        "alembic upgrade head",
    }


def test_justfile_recipes_drop_variadic_parameters(make_repo: MakeRepo) -> None:
    justfile = """\
default:
    @just --list

[unix]
test *args:
    nix-shell --pure --run 'cargo nextest run --workspace {{args}}'

build profile="release":
    cargo build --profile {{profile}}
"""
    index = make_repo({"justfile": justfile})
    facts = list(extract(index))

    assert keys(facts, FactKind.TEST) == {"just test", "cargo nextest run --workspace"}
    assert keys(facts, FactKind.BUILD) == {
        "just build",
        "cargo build --profile release",
    }
    [just_test] = [f for f in facts if f.key == "just test"]
    assert [e.location for e in just_test.evidence] == ["justfile:5-6"]
    assert_evidence_verifies(index, facts)


def test_taskfile_tasks(make_repo: MakeRepo) -> None:
    taskfile = """\
version: '3'
tasks:
  install:
    cmds:
      - npm ci
  serve:
    cmds:
      - cmd: node server.js
  lint:
    cmds: [eslint .]
"""
    index = make_repo({"Taskfile.yml": taskfile})
    facts = list(extract(index))

    assert keys(facts, FactKind.INSTALL) == {"task install", "npm ci"}
    assert keys(facts, FactKind.DEV) == {"task serve", "node server.js"}
    assert_evidence_verifies(index, facts)


def test_makefile_under_docs_is_docs_scope(make_repo: MakeRepo) -> None:
    index = make_repo({"docs/Makefile": "build:\n\tsphinx-build . _build\n"})

    assert {f.scope for f in extract(index)} == {Scope.DOCS}


def test_malformed_files_do_not_raise(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "Makefile": "test: \\\n\t\\\n:\n=:\n\t\n",
            "justfile": "test:\n",
            "Taskfile.yml": "tasks: [oops\n",
        }
    )
    facts = list(extract(index))

    assert keys(facts, FactKind.TEST) <= {"make test", "just test"}
    assert_evidence_verifies(index, facts)


def test_recipe_cd_moves_the_command_cwd(make_repo: MakeRepo) -> None:
    index = make_repo({"Makefile": "run:\n\tcd server && npm start\n"})

    [npm] = [f for f in extract(index) if f.source == "make.recipe"]
    assert (npm.key, npm.cwd) == ("npm start", "server")


def test_a_develop_target_that_only_installs_is_an_install(make_repo: MakeRepo) -> None:
    makefile = (
        "develop: clean\n\tpip install -e .[testing]\n"
        "\tnpm install --no-save && npm run build\n"
        "dev:\n\tpip install -e .\n\tflask --app app run\n"
    )
    index = make_repo({"Makefile": makefile})

    facts = list(extract(index))

    assert [(f.kind, f.key) for f in facts] == [
        (FactKind.INSTALL, "make develop"),
        (FactKind.INSTALL, "pip install -e .[testing]"),
        (FactKind.INSTALL, "npm install --no-save"),
        (FactKind.BUILD, "npm run build"),
        (FactKind.DEV, "make dev"),
        (FactKind.INSTALL, "pip install -e ."),
        (FactKind.DEV, "flask --app app run"),
    ]
    assert_evidence_verifies(index, facts)


def test_taskfile_cli_args_are_dropped_and_other_templates_skipped(
    make_repo: MakeRepo,
) -> None:
    taskfile = (
        "version: '3'\ntasks:\n  test:\n    cmds:\n"
        "      - go test ./... {{.CLI_ARGS}}\n      - go test {{.PKG}}\n"
    )
    index = make_repo({"Taskfile.yaml": taskfile})

    facts = list(extract(index))

    assert [(f.kind, f.key) for f in facts] == [
        (FactKind.TEST, "task test"),
        (FactKind.TEST, "go test ./..."),
    ]
    assert_evidence_verifies(index, facts)


def test_a_recipe_that_only_passes_its_arguments_through_is_no_command(
    make_repo: MakeRepo,
) -> None:
    justfile = "@run *options:\n  uv run -- {{options}}\n\ntest:\n  uv run pytest\n"
    index = make_repo({"Justfile": justfile})

    facts = list(extract(index))

    assert [(f.kind, f.key) for f in facts] == [
        (FactKind.TEST, "just test"),
        (FactKind.TEST, "uv run pytest"),
    ]


def test_recipe_bookkeeping_lines_are_not_commands(make_repo: MakeRepo) -> None:
    makefile = (
        "test:\n\t@echo 'mode: count' > all.out\n\tgo test ./...\n"
        "\ttail -n +2 c.out >> all.out\n"
        "run-restart:\n\t@pkill -P `cat .pid` || true\n\tgo run cmd/server/main.go\n"
    )
    index = make_repo({"Makefile": makefile})

    facts = list(extract(index))

    assert [(f.kind, f.key) for f in facts] == [
        (FactKind.TEST, "make test"),
        (FactKind.TEST, "go test ./..."),
        (FactKind.DEV, "make run-restart"),
        (FactKind.DEV, "go run cmd/server/main.go"),
    ]
