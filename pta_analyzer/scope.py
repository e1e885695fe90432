"""Where in a repository a file lives, and so whose facts it can prove.

A command found in ``tests/`` or ``examples/`` is not the application's own:
a library's test server is not its web server. Extractors tag every fact with
the scope of its file, and the assembler keeps only application-scope facts
as the application's commands, ports and endpoints.
"""

from enum import StrEnum
from functools import lru_cache

TEST_DIRS = frozenset(
    {
        "test", "tests", "__tests__", "spec", "specs", "testing", "e2e",
        "cypress", "testdata", "test_data", "fixtures", "__mocks__", "it",
    }
)  # fmt: skip
EXAMPLE_DIRS = frozenset(
    {
        "example", "examples", "sample", "samples", "demo", "demos",
        "tutorial", "tutorials", "playground", "benchmark", "benchmarks",
        "bench", "profiling", "cookbook", "recipes", "contrib",
    }
)  # fmt: skip
TEMPLATE_DIRS = frozenset(
    {"project_template", "app_template", "project-template", "skeleton", "scaffold"}
)
DOCS_DIRS = frozenset({"docs", "doc", "documentation", "website", "site-docs"})
CI_PREFIXES = (".github/", ".circleci/", ".gitlab/", ".buildkite/", ".azure/")
CI_FILES = frozenset(
    {
        ".gitlab-ci.yml", ".travis.yml", "azure-pipelines.yml", "Jenkinsfile",
        "bitbucket-pipelines.yml", "appveyor.yml", ".drone.yml",
    }
)  # fmt: skip
TEST_FILE_SUFFIXES = (
    "_test.go", "_test.py", "_spec.rb", "_test.rb", ".test.js", ".test.ts",
    ".test.jsx", ".test.tsx", ".spec.js", ".spec.ts", ".spec.jsx", ".spec.tsx",
    "Test.java", "Tests.java", "Test.kt",
)  # fmt: skip


class Scope(StrEnum):
    """The part of the repository a file belongs to."""

    APP = "app"
    TEST = "test"
    EXAMPLE = "example"
    DOCS = "docs"
    CI = "ci"


@lru_cache(maxsize=65_536)
def classify_scope(path: str) -> Scope:
    """Return the scope of a repository-relative POSIX path."""
    if path.startswith(CI_PREFIXES) or path in CI_FILES:
        return Scope.CI

    *directories, _name = path.lower().split("/")
    for part in directories:
        if part in TEST_DIRS:
            return Scope.TEST
        if part in EXAMPLE_DIRS or _is_template_dir(part):
            return Scope.EXAMPLE
        if part in DOCS_DIRS:
            return Scope.DOCS

    if _is_test_file(path.rsplit("/", 1)[-1]):
        return Scope.TEST
    return Scope.APP


def is_tool_folder(directory: str) -> bool:
    """True for a hidden top-level directory (``.devcontainer``, ``.semgrep``)
    or one inside it: a tool's own folder, not a part of the application."""
    return directory.startswith(".")


def _is_template_dir(part: str) -> bool:
    """Project templates (``project_template``, cookiecutter ``{{...}}``)."""
    return "{{" in part or "cookiecutter" in part or part in TEMPLATE_DIRS


def _is_test_file(name: str) -> bool:
    if name == "conftest.py":
        return True
    if name.startswith("test_") and name.endswith(".py"):
        return True
    return name.endswith(TEST_FILE_SUFFIXES)
