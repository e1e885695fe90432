"""Tests of the Go extractor."""

from pta_analyzer.extractors.golang import extract
from pta_analyzer.facts import WEIGHT_CONVENTION, WEIGHT_GUESS, FactKind, Status
from pta_analyzer.scope import Scope
from tests.analyzer.conftest import MakeRepo, assert_evidence_verifies, keys, of_kind

GO_MOD = """module example.com/shop

go 1.22

require (
\tgithub.com/gin-gonic/gin v1.9.1
\tgithub.com/jackc/pgx/v5 v5.5.0
\tgithub.com/redis/go-redis/v9 v9.0.0 // indirect
)
"""
MAIN = 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println(1)\n}\n'


def test_go_mod_gives_package_manager_runtime_and_install(make_repo: MakeRepo) -> None:
    index = make_repo({"go.mod": GO_MOD, "go.sum": "x v1 h1:abc\n"})
    facts = list(extract(index))

    (manager,) = of_kind(facts, FactKind.PACKAGE_MANAGER)
    assert manager.key == "go"
    assert [e.location for e in manager.evidence] == ["go.mod:1", "go.sum:1"]
    (runtime,) = of_kind(facts, FactKind.RUNTIME)
    assert (runtime.key, runtime.evidence[0].line_start) == ("go 1.22", 3)
    (install,) = of_kind(facts, FactKind.INSTALL)
    assert (install.key, install.status) == ("go mod download", Status.INFERRED)
    assert keys(facts, FactKind.BUILD) == {"go build ./..."}
    assert_evidence_verifies(index, facts)


def test_root_main_package_runs_with_go_run_dot(make_repo: MakeRepo) -> None:
    index = make_repo({"go.mod": "module x\n\ngo 1.21\n", "main.go": MAIN})
    facts = list(extract(index))

    (dev,) = of_kind(facts, FactKind.DEV)
    assert (dev.key, dev.status, dev.cwd) == ("go run .", Status.INFERRED, "")
    assert dev.evidence[0].location == "main.go:5"
    (kind,) = of_kind(facts, FactKind.PROJECT_KIND)
    assert kind.key == "cli"
    assert_evidence_verifies(index, facts)


def test_cmd_packages_get_named_builds_and_runs(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "svc/go.mod": GO_MOD,
            "svc/cmd/api/main.go": MAIN,
            "svc/cmd/worker/main.go": MAIN,
            "svc/internal/lib.go": "package internal\n\nfunc main() {}\n",
        }
    )
    facts = list(extract(index))

    assert keys(facts, FactKind.DEV) == {"go run ./cmd/api", "go run ./cmd/worker"}
    assert keys(facts, FactKind.BUILD) == {
        "go build ./...",
        "go build -o api ./cmd/api",
        "go build -o worker ./cmd/worker",
    }
    assert {f.cwd for f in of_kind(facts, FactKind.DEV)} == {"svc"}
    assert_evidence_verifies(index, facts)


def test_framework_and_services_skip_indirect_requirements(make_repo: MakeRepo) -> None:
    index = make_repo({"go.mod": GO_MOD, "main.go": MAIN})
    facts = list(extract(index))

    (framework,) = of_kind(facts, FactKind.FRAMEWORK)
    assert (framework.key, framework.evidence[0].line_start) == ("gin", 6)
    assert keys(facts, FactKind.SERVICE) == {"postgres"}
    assert keys(facts, FactKind.PROJECT_KIND) == {"service"}


def test_test_files_give_go_test_in_app_scope(make_repo: MakeRepo) -> None:
    index = make_repo({"go.mod": GO_MOD, "pkg/a_test.go": "package pkg\n"})
    facts = list(extract(index))

    (test,) = of_kind(facts, FactKind.TEST)
    assert (test.key, test.scope) == ("go test ./...", Scope.APP)
    assert [e.path for e in test.evidence] == ["go.mod", "pkg/a_test.go"]
    assert keys(facts, FactKind.PROJECT_KIND) == {"library"}


def test_example_main_is_tagged_example(make_repo: MakeRepo) -> None:
    index = make_repo({"go.mod": GO_MOD, "examples/hello/main.go": MAIN})
    facts = list(extract(index))

    (dev,) = of_kind(facts, FactKind.DEV)
    assert (dev.key, dev.scope) == ("go run ./examples/hello", Scope.EXAMPLE)
    assert keys(facts, FactKind.PROJECT_KIND) == {"library"}


def test_build_ignored_script_is_not_a_main_package(make_repo: MakeRepo) -> None:
    script = "//go:build ignore\n\n" + MAIN
    index = make_repo({"go.mod": GO_MOD, "gen.go": script})

    assert of_kind(extract(index), FactKind.DEV) == []


def test_malformed_go_mod_does_not_raise(make_repo: MakeRepo) -> None:
    index = make_repo(
        {
            "go.mod": "require (\n)))garbage ((\nmodule x\ngo\n",
            "x.go": b"\xff\xfe",
            "other/go.mod": "module\ngo 1.2\n",
        }
    )
    facts = list(extract(index))

    (manager,) = of_kind(facts, FactKind.PACKAGE_MANAGER)
    assert manager.evidence[0].location == "go.mod:3"
    assert of_kind(facts, FactKind.RUNTIME) == []


def test_helper_mains_beside_the_root_command_weigh_less(make_repo: MakeRepo) -> None:
    index = make_repo({"go.mod": GO_MOD, "main.go": MAIN, "scripts/gen/main.go": MAIN})
    facts = list(extract(index))

    weights = {f.key: f.weight for f in of_kind(facts, FactKind.DEV)}
    assert weights["go run ./scripts/gen"] == WEIGHT_GUESS
    assert weights["go run ."] == WEIGHT_CONVENTION


def test_empty_go_mod_and_go_sum_are_not_cited(make_repo: MakeRepo) -> None:
    index = make_repo(
        {"go.mod": "module x\n", "go.sum": "", "tools/go.mod": "", "main.go": MAIN}
    )
    facts = list(extract(index))

    (manager,) = of_kind(facts, FactKind.PACKAGE_MANAGER)
    assert [e.path for e in manager.evidence] == ["go.mod"]
    assert all(e.path != "tools/go.mod" for f in facts for e in f.evidence)


def test_testdata_and_underscore_dirs_hold_no_main_packages(
    make_repo: MakeRepo,
) -> None:
    index = make_repo(
        {
            "go.mod": GO_MOD,
            "testdata/app/main.go": MAIN,
            "_tools/gen/main.go": MAIN,
            "cmd/api/main.go": MAIN,
        }
    )
    facts = list(extract(index))

    assert keys(facts, FactKind.DEV) == {"go run ./cmd/api"}
