"""Which part of a repository a path belongs to."""

import pytest

from pta_analyzer.scope import Scope, classify_scope


@pytest.mark.parametrize(
    ("path", "scope"),
    [
        ("app.py", Scope.APP),
        ("src/server/main.go", Scope.APP),
        ("tests/test_app.py", Scope.TEST),
        ("pkg/handler_test.go", Scope.TEST),
        ("src/components/Button.test.tsx", Scope.TEST),
        ("test_settings.py", Scope.TEST),
        ("examples/hello/app.py", Scope.EXAMPLE),
        ("Examples/Hello/app.py", Scope.EXAMPLE),
        ("benchmarks/run.py", Scope.EXAMPLE),
        ("extras/profiling/run.py", Scope.EXAMPLE),  # benchmarks by another name
        ("wagtail/project_template/Dockerfile", Scope.EXAMPLE),
        ("{{cookiecutter.slug}}/manage.py", Scope.EXAMPLE),
        ("docs/install.md", Scope.DOCS),
        (".github/workflows/ci.yml", Scope.CI),
        (".gitlab-ci.yml", Scope.CI),
        ("templates/bash.txt", Scope.APP),
    ],
)
def test_scope_of_path(path: str, scope: Scope) -> None:
    assert classify_scope(path) is scope
