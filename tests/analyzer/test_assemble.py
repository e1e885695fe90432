"""Assembling facts into claims: merging, scopes, declared-only names, defaults."""

import pytest

from pta_analyzer.assemble import assemble, claim_id
from pta_analyzer.evidence import Evidence
from pta_analyzer.facts import Fact, FactKind, Status
from pta_analyzer.judge import find_gaps, judge_kind
from pta_analyzer.scope import Scope


def ev(path: str, line: int = 1) -> Evidence:
    return Evidence(path, line, line, "0" * 64, f"{path}:{line}")


def fact(kind: FactKind, key: str, path: str = "a", **extra: object) -> Fact:
    return Fact(kind=kind, key=key, source="test", evidence=(ev(path),), **extra)  # type: ignore[arg-type]


def test_same_command_from_two_places_is_one_claim_with_both_evidence() -> None:
    assembly = assemble([fact(FactKind.TEST, "pytest", "tox.ini"),
                         fact(FactKind.TEST, "pytest ", "pytest.ini")])  # fmt: skip

    (claim,) = assembly.of(FactKind.TEST)

    assert claim.key == "pytest"
    assert [e.path for e in claim.evidence] == ["pytest.ini", "tox.ini"]
    assert claim.id == claim_id(FactKind.TEST, "", "pytest")


def test_commands_in_different_directories_stay_apart() -> None:
    assembly = assemble([fact(FactKind.INSTALL, "npm ci", cwd="web"),
                         fact(FactKind.INSTALL, "npm ci", cwd="api")])  # fmt: skip

    assert [c.cwd for c in assembly.of(FactKind.INSTALL)] == ["api", "web"]


def test_run_command_found_only_in_examples_is_not_the_applications() -> None:
    assembly = assemble([
        fact(FactKind.PROD, "python examples/server.py", scope=Scope.EXAMPLE),
        fact(FactKind.PROD, "gunicorn app:app"),
    ])  # fmt: skip

    assert [c.key for c in assembly.of(FactKind.PROD)] == ["gunicorn app:app"]
    kept_out = next(c for c in assembly.claims if not c.used)
    assert kept_out.excluded_reason == "found only in example files"


def test_ci_scope_proves_test_commands_but_not_run_commands() -> None:
    assembly = assemble([fact(FactKind.TEST, "go test ./...", scope=Scope.CI),
                         fact(FactKind.DEV, "go run .", scope=Scope.CI)])  # fmt: skip

    assert [c.key for c in assembly.of(FactKind.TEST)] == ["go test ./..."]
    assert assembly.of(FactKind.DEV) == []


def test_evidenced_claims_rank_before_inferred_ones() -> None:
    assembly = assemble([
        fact(FactKind.PROD, "flask run", status=Status.INFERRED, weight=90),
        fact(FactKind.PROD, "gunicorn app:app", weight=40),
    ])  # fmt: skip

    assert [c.key for c in assembly.of(FactKind.PROD)] == [
        "gunicorn app:app",
        "flask run",
    ]


def test_declared_only_variable_is_kept_out_of_env_vars() -> None:
    assembly = assemble([
        fact(FactKind.ENV_VAR, "DEBUG", ".env.example", attrs={"declared_only": True}),
        fact(FactKind.ENV_VAR, "DB_URL", ".env.example", attrs={"declared_only": True}),
        fact(FactKind.ENV_VAR, "DB_URL", "app.py", attrs={"required": True}),
    ])  # fmt: skip

    (db_url,) = assembly.of(FactKind.ENV_VAR)
    assert db_url.key == "DB_URL"
    assert db_url.attrs["required"] is True
    assert db_url.attrs["declared_in"] == [".env.example"]
    debug = next(c for c in assembly.claims if c.key == "DEBUG")
    assert debug.excluded_reason == "declared but never read by the application's code"


def test_declared_variable_read_by_a_configured_library_is_kept() -> None:
    assembly = assemble([
        fact(FactKind.SERVICE, "elastic-apm", "package.json"),
        fact(FactKind.ENV_VAR, "ELASTIC_APM_SERVER_URL", ".env.example",
             attrs={"declared_only": True}),
    ])  # fmt: skip

    assert [c.key for c in assembly.of(FactKind.ENV_VAR)] == ["ELASTIC_APM_SERVER_URL"]


def test_variable_read_only_by_tests_is_not_the_applications() -> None:
    assembly = assemble([fact(FactKind.ENV_VAR, "TEST_DB", "tests/conftest.py",
                              scope=Scope.TEST)])  # fmt: skip

    assert assembly.of(FactKind.ENV_VAR) == []


def test_port_in_a_start_command_becomes_a_port_claim() -> None:
    assembly = assemble(
        [fact(FactKind.DEV, "uvicorn main:app --port 8004", "README.md")]
    )

    (port,) = assembly.of(FactKind.PORT)
    assert port.key == "8004"
    assert port.attrs["roles"] == ["bind"]
    assert port.evidence[0].path == "README.md"


def test_framework_default_port_yields_to_a_stated_port_in_the_same_directory() -> None:
    assembly = assemble([
        fact(FactKind.PORT, "5000", "server/app.py", status=Status.INFERRED,
             cwd="server", attrs={"role": "default"}),
        fact(FactKind.DEV, "flask run --port=5001", "README.md", cwd="server"),
        fact(FactKind.PORT, "5173", "client/package.json", status=Status.INFERRED,
             cwd="client", attrs={"role": "default"}),
    ])  # fmt: skip

    assert sorted(c.key for c in assembly.of(FactKind.PORT)) == ["5001", "5173"]


def test_backing_service_ports_are_not_the_applications() -> None:
    assembly = assemble([fact(FactKind.PORT, "5432", "docker-compose.yml",
                              attrs={"role": "service"})])  # fmt: skip

    assert assembly.of(FactKind.PORT) == []


def test_a_command_in_a_tools_hidden_directory_ranks_below_the_roots() -> None:
    assembly = assemble([
        fact(FactKind.TEST, "make test", ".semgrep/Makefile", cwd=".semgrep",
             weight=90),
        fact(FactKind.TEST, "pytest", "pyproject.toml", weight=50),
        fact(FactKind.TEST, "npm test", "web/package.json", cwd="web", weight=50),
    ])  # fmt: skip

    assert [c.key for c in assembly.of(FactKind.TEST)] == [
        "pytest", "npm test", "make test"
    ]  # fmt: skip


def test_a_service_only_ci_starts_is_kept_out_unless_the_app_names_it_too() -> None:
    ci_redis = fact(FactKind.SERVICE, "redis", ".github/workflows/ci.yml",
                    attrs={"for": "ci"})  # fmt: skip
    ci_postgres = fact(FactKind.SERVICE, "postgres", ".github/workflows/ci.yml",
                       attrs={"for": "ci"})  # fmt: skip
    app_postgres = fact(FactKind.SERVICE, "postgres", "requirements.txt")

    assembly = assemble([ci_redis, ci_postgres, app_postgres])

    assert [c.key for c in assembly.of(FactKind.SERVICE)] == ["postgres"]
    (redis,) = [c for c in assembly.claims if c.key == "redis"]
    assert redis.excluded_reason == "started only by CI for the tests"


def test_kind_is_monorepo_with_two_deployable_directories() -> None:
    assembly = assemble([fact(FactKind.DEV, "npm run dev", cwd="client"),
                         fact(FactKind.DEV, "flask run", cwd="server")])  # fmt: skip

    assert judge_kind(assembly).value == "monorepo"


def test_hidden_tool_folders_are_not_deployable_parts() -> None:
    assembly = assemble([
        fact(FactKind.DEV, "docker compose up", cwd=".devcontainer"),
        fact(FactKind.DEV, "docker compose up", cwd=".worktree-container"),
        fact(FactKind.PROD, "gunicorn app:app", "Dockerfile"),
        fact(FactKind.FRAMEWORK, "django", "pyproject.toml"),
    ])  # fmt: skip

    assert judge_kind(assembly).value == "service"


def test_library_without_run_command_has_no_run_gap() -> None:
    assembly = assemble([fact(FactKind.PROJECT_KIND, "library", "pyproject.toml"),
                         fact(FactKind.INSTALL, "pip install -e .", "pyproject.toml"),
                         fact(FactKind.TEST, "tox", "tox.ini")])  # fmt: skip
    kind = judge_kind(assembly)

    assert kind.value == "library"
    assert find_gaps(assembly, kind) == []


_DJANGO = (FactKind.FRAMEWORK, "django", "pyproject.toml")
_LIBRARY = (FactKind.PROJECT_KIND, "library", "pyproject.toml")
_STATIC_SITE = (FactKind.PROJECT_KIND, "static-site", "package.json")


@pytest.mark.parametrize(
    ("facts", "kind"),
    [
        # A package built on a server framework (a CMS on Django), with a
        # front-end build for its own pages, is a library.
        ([_LIBRARY, _DJANGO, _STATIC_SITE], "library"),
        # A library hint does not hide an application beside it.
        ([_LIBRARY, (FactKind.PROJECT_KIND, "service", "app.py"), _DJANGO], "service"),
        # A front-end build alone is a static site.
        ([_STATIC_SITE], "static-site"),
    ],
)
def test_kind_from_project_hints_and_frameworks(
    facts: list[tuple[FactKind, str, str]], kind: str
) -> None:
    assembly = assemble([fact(*given) for given in facts])

    assert judge_kind(assembly).value == kind


def test_service_without_any_command_reports_what_is_missing() -> None:
    assembly = assemble([fact(FactKind.FRAMEWORK, "flask", "requirements.txt")])
    kind = judge_kind(assembly)

    gaps = find_gaps(assembly, kind)

    assert kind.value == "service"
    assert [(g.category, g.reason_code) for g in gaps] == [
        ("run", "NO_EVIDENCE"), ("install", "NO_EVIDENCE"), ("ports", "NO_EVIDENCE"),
        ("test", "NO_EVIDENCE")]  # fmt: skip
    assert all(g.would_settle for g in gaps)


def test_required_variable_without_documentation_is_a_gap() -> None:
    assembly = assemble([fact(FactKind.ENV_VAR, "API_TOKEN", "app.py",
                              attrs={"required": True})])  # fmt: skip

    gaps = find_gaps(assembly, judge_kind(assembly))

    assert [g.reason_code for g in gaps if g.category == "env"] == [
        "REQUIRED_UNDOCUMENTED"
    ]


def test_command_that_runs_an_example_file_is_not_the_applications() -> None:
    assembly = assemble([fact(FactKind.DEV, "node examples/content-negotiation"),
                         fact(FactKind.INSTALL, "pip install -r docs/requirements.txt"),
                         fact(FactKind.TEST, "pytest tests/unit")])  # fmt: skip

    assert assembly.of(FactKind.DEV) == []
    assert assembly.of(FactKind.INSTALL) == []
    assert [c.key for c in assembly.of(FactKind.TEST)] == ["pytest tests/unit"]


def test_install_of_the_lockfiles_manager_ranks_before_a_ci_install() -> None:
    assembly = assemble([
        fact(FactKind.PACKAGE_MANAGER, "yarn", "yarn.lock"),
        fact(FactKind.INSTALL, "npm ci", ".github/workflows/ci.yml", scope=Scope.CI,
             weight=80),
        fact(FactKind.INSTALL, "yarn install", "yarn.lock", weight=70),
    ])  # fmt: skip

    assert [c.key for c in assembly.of(FactKind.INSTALL)] == ["yarn install", "npm ci"]


def test_spring_variable_declared_in_a_deployment_file_is_read_by_spring() -> None:
    assembly = assemble([
        fact(FactKind.FRAMEWORK, "spring-boot", "pom.xml"),
        fact(FactKind.ENV_VAR, "SPRING_PROFILES_ACTIVE", "k8s/app.yml",
             attrs={"declared_only": True}),
    ])  # fmt: skip

    assert [c.key for c in assembly.of(FactKind.ENV_VAR)] == ["SPRING_PROFILES_ACTIVE"]
