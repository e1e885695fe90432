"""Python test and migration commands."""

import pytest

from pta_analyzer.extractors.python import extract
from pta_analyzer.facts import Fact, FactKind, Status
from pta_analyzer.scope import Scope
from tests.analyzer.conftest import MakeRepo, extract_verified, keys, one


def run(make_repo: MakeRepo, files: dict[str, str | bytes]) -> list[Fact]:
    return extract_verified(make_repo, extract, files)


@pytest.mark.parametrize(
    ("name", "content", "line"),
    [
        ("pytest.ini", "; settings\n[pytest]\naddopts = -q\n", 2),
        ("pyproject.toml", "[tool.black]\n\n[tool.pytest.ini_options]\n", 3),
        ("setup.cfg", "[flake8]\n[tool:pytest]\ntestpaths = tests\n", 2),
        ("tox.ini", "[pytest]\naddopts = -q\n", 1),
    ],
)
def test_pytest_configuration_gives_pytest(
    make_repo: MakeRepo, name: str, content: str, line: int
) -> None:
    facts = run(make_repo, {name: content})

    test = one(facts, FactKind.TEST, "pytest")
    assert test.evidence[0].location == f"{name}:{line}"
    assert test.status is Status.EVIDENCED


def test_conftest_alone_proves_pytest_with_app_scope(make_repo: MakeRepo) -> None:
    facts = run(
        make_repo,
        {"src/requirements.txt": "fastapi\n", "src/tests/conftest.py": "import x\n"},
    )

    test = one(facts, FactKind.TEST, "pytest")
    assert test.cwd == "src"
    assert test.scope is Scope.APP
    assert "test suite" in test.note
    assert [e.path for e in test.evidence] == ["src/tests/conftest.py"]


def test_pytest_dependency_and_conftest_are_both_cited(make_repo: MakeRepo) -> None:
    facts = run(
        make_repo,
        {"requirements.txt": "flask\npytest==8\n", "tests/conftest.py": "x = 1\n"},
    )

    test = one(facts, FactKind.TEST, "pytest")
    assert [e.location for e in test.evidence] == [
        "requirements.txt:2",
        "tests/conftest.py:1",
    ]
    assert test.scope is Scope.APP


def test_tox_and_nox_give_their_commands(make_repo: MakeRepo) -> None:
    noxfile = "import nox\n\n@nox.session\ndef tests(session):\n    pass\n"
    facts = run(
        make_repo,
        {"tox.ini": "[tox]\nenvlist = py311\n", "noxfile.py": noxfile},
    )

    assert one(facts, FactKind.TEST, "tox").evidence[0].location == "tox.ini:1"
    assert one(facts, FactKind.TEST, "nox").evidence[0].location == "noxfile.py:3"


def test_unittest_only_suite_gives_python_m_unittest(make_repo: MakeRepo) -> None:
    facts = run(
        make_repo,
        {
            "requirements.txt": "requests\n",
            "tests/test_core.py": "import unittest\n\n"
            "class T(unittest.TestCase):\n    pass\n",
        },
    )

    test = one(facts, FactKind.TEST, "python -m unittest")
    assert test.status is Status.INFERRED
    assert test.scope is Scope.APP
    assert test.evidence[0].location == "tests/test_core.py:1"


def test_unittest_is_not_claimed_when_pytest_is_used(make_repo: MakeRepo) -> None:
    facts = run(
        make_repo,
        {
            "requirements-dev.txt": "pytest\n",
            "tests/test_core.py": "import unittest\n",
        },
    )

    assert keys(facts, FactKind.TEST) == {"pytest"}


def test_alembic_ini_gives_upgrade_head(make_repo: MakeRepo) -> None:
    facts = run(
        make_repo,
        {"backend/alembic.ini": "[alembic]\nscript_location = migrations\n"},
    )

    migrate = one(facts, FactKind.MIGRATE, "alembic upgrade head")
    assert migrate.cwd == "backend"
    assert migrate.evidence[0].location == "backend/alembic.ini:1"


def test_flask_migrate_gives_flask_db_upgrade(make_repo: MakeRepo) -> None:
    facts = run(
        make_repo,
        {
            "requirements.txt": "flask\nFlask-Migrate\n",
            "app.py": "from flask import Flask\napp = Flask(__name__)\n",
        },
    )

    migrate = one(facts, FactKind.MIGRATE, "flask db upgrade")
    assert [e.location for e in migrate.evidence] == ["requirements.txt:2", "app.py:2"]


def test_no_tests_no_test_command(make_repo: MakeRepo) -> None:
    facts = run(make_repo, {"requirements.txt": "flask\n", "app.py": "print(1)\n"})

    assert not keys(facts, FactKind.TEST)


def test_bare_test_functions_suggest_pytest(make_repo: MakeRepo) -> None:
    facts = run(
        make_repo,
        {
            "requirements.txt": "requests\n",
            "tests/test_api.py": "from api import f\n\n\n"
            "def test_f():\n    assert f()\n",
        },
    )

    test = one(facts, FactKind.TEST, "pytest")
    assert test.status is Status.INFERRED
    assert test.evidence[0].location == "tests/test_api.py:4"
    assert test.scope is Scope.APP


def test_flask_migrate_alembic_ini_is_left_to_flask_db(make_repo: MakeRepo) -> None:
    facts = run(
        make_repo,
        {
            "requirements.txt": "flask\nflask-migrate\n",
            "app.py": "from flask import Flask\napp = Flask(__name__)\n",
            "migrations/alembic.ini": "[alembic]\n",
            "migrations/env.py": "from flask import current_app\n",
        },
    )

    assert keys(facts, FactKind.MIGRATE) == {"flask db upgrade"}


def test_root_tests_module_with_unittest(make_repo: MakeRepo) -> None:
    facts = run(
        make_repo,
        {
            "requirements.txt": "flask\n",
            "tests.py": "#!/usr/bin/env python\nimport unittest\n",
        },
    )

    test = one(facts, FactKind.TEST, "python -m unittest")
    assert test.evidence[0].location == "tests.py:2"


def test_unittest_import_is_found_on_one_line_only(make_repo: MakeRepo) -> None:
    # "from" ending one line and "unittest" starting the next make no import
    # line; the indented one further on is.
    module = (
        'NOTE = """\nfrom\nunittest we take nothing\n"""\n\n'
        "def helper():\n    \n    import unittest\n"
    )
    facts = run(make_repo, {"requirements.txt": "requests\n", "tests.py": module})

    test = one(facts, FactKind.TEST, "python -m unittest")
    assert test.evidence[0].location == "tests.py:8"


def test_async_bare_test_function_is_cited_at_its_line(make_repo: MakeRepo) -> None:
    module = "import asyncio\n\n\nasync   def test_run():\n    assert True\n"
    facts = run(make_repo, {"requirements.txt": "requests\n", "tests/t.py": module})

    test = one(facts, FactKind.TEST, "pytest")
    assert test.evidence[0].location == "tests/t.py:4"
