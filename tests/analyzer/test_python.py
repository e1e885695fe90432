"""The Python extractor: package managers, installs, dependencies, kinds."""

from pta_analyzer.extractors.python import extract
from pta_analyzer.facts import Fact, FactKind, Status
from pta_analyzer.scope import Scope
from tests.analyzer.conftest import MakeRepo, extract_verified, of_kind, one


def run(make_repo: MakeRepo, files: dict[str, str | bytes]) -> list[Fact]:
    return extract_verified(make_repo, extract, files)


def test_requirements_file_gives_pip_install_in_its_directory(
    make_repo: MakeRepo,
) -> None:
    facts = run(make_repo, {"server/requirements.txt": "flask==3.0\n"})

    install = one(facts, FactKind.INSTALL, "pip install -r requirements.txt")
    assert install.cwd == "server"
    assert install.status is Status.EVIDENCED
    assert install.evidence[0].path == "server/requirements.txt"
    assert one(facts, FactKind.PACKAGE_MANAGER, "pip").cwd == "server"


def test_requirements_include_is_followed_for_dependencies(
    make_repo: MakeRepo,
) -> None:
    facts = run(
        make_repo,
        {
            "requirements.txt": "-r requirements/base.txt\n",
            "requirements/base.txt": "# web\ndjango>=4\npsycopg2-binary\n",
        },
    )

    django = one(facts, FactKind.FRAMEWORK, "django")
    assert django.evidence[0].location == "requirements/base.txt:2"
    postgres = one(facts, FactKind.SERVICE, "postgres")
    assert postgres.evidence[0].location == "requirements/base.txt:3"


def test_include_cycle_does_not_loop(make_repo: MakeRepo) -> None:
    facts = run(
        make_repo,
        {"requirements.txt": "-r dev.txt\nflask\n", "dev.txt": "-r requirements.txt\n"},
    )

    assert one(facts, FactKind.FRAMEWORK, "flask").evidence[0].line_start == 2


def test_dependency_extras_name_services(make_repo: MakeRepo) -> None:
    facts = run(make_repo, {"requirements.txt": "databases[postgresql]==0.6\n"})

    assert one(facts, FactKind.SERVICE, "postgres").evidence[0].line_start == 1


def test_poetry_project_installs_with_poetry(make_repo: MakeRepo) -> None:
    pyproject = (
        '[tool.poetry]\nname = "x"\ndescription = "A thing"\n\n'
        '[tool.poetry.dependencies]\npython = "^3.11"\nfastapi = "^0.100"\n\n'
        '[tool.poetry.group.dev.dependencies]\npytest = "^8"\n'
    )
    facts = run(make_repo, {"pyproject.toml": pyproject, "poetry.lock": "# lock\n"})

    install = one(facts, FactKind.INSTALL, "poetry install")
    assert [e.path for e in install.evidence] == ["pyproject.toml", "poetry.lock"]
    assert install.evidence[0].line_start == 1
    assert one(facts, FactKind.FRAMEWORK, "fastapi").evidence[0].line_start == 7
    assert one(facts, FactKind.RUNTIME, "python ^3.11").evidence[0].line_start == 6
    assert one(facts, FactKind.DESCRIPTION, "A thing").evidence[0].line_start == 3
    assert not [f for f in facts if f.key == "pip install -e ."]


def test_uv_lock_gives_uv_sync(make_repo: MakeRepo) -> None:
    pyproject = '[project]\nname = "x"\ndependencies = ["redis>=5"]\n'
    facts = run(make_repo, {"pyproject.toml": pyproject, "uv.lock": "version = 1\n"})

    assert one(facts, FactKind.INSTALL, "uv sync").evidence[0].path == "uv.lock"
    assert one(facts, FactKind.PACKAGE_MANAGER, "uv")
    assert one(facts, FactKind.SERVICE, "redis").evidence[0].line_start == 3


def test_pdm_and_hatch_tables_name_their_tools(make_repo: MakeRepo) -> None:
    pyproject = (
        '[project]\nname = "x"\n\n[tool.pdm]\ndistribution = true\n\n'
        "[tool.hatch.envs.default]\ndependencies = []\n"
    )
    facts = run(make_repo, {"pyproject.toml": pyproject})

    assert one(facts, FactKind.INSTALL, "pdm install").evidence[0].line_start == 4
    assert one(facts, FactKind.INSTALL, "hatch env create").evidence[0].line_start == 7


def test_pep621_package_installs_editable_and_is_a_library(
    make_repo: MakeRepo,
) -> None:
    pyproject = (
        '[build-system]\nrequires = ["setuptools"]\n'
        'build-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "lib"\nrequires-python = ">=3.10"\n'
        'dependencies = ["attrs"]\n'
    )
    facts = run(make_repo, {"pyproject.toml": pyproject})

    install = one(facts, FactKind.INSTALL, "pip install -e .")
    assert install.evidence[0].line_start == 5
    assert one(facts, FactKind.RUNTIME, "python >=3.10").evidence[0].line_start == 7
    kind = one(facts, FactKind.PROJECT_KIND, "library")
    assert kind.status is Status.INFERRED


def test_console_script_is_a_command_and_a_cli_hint(make_repo: MakeRepo) -> None:
    pyproject = (
        '[project]\nname = "tool"\ndependencies = ["click"]\n\n'
        '[project.scripts]\ntool = "tool.cli:main"\n'
    )
    facts = run(make_repo, {"pyproject.toml": pyproject})

    script = one(facts, FactKind.PROD, "tool")
    assert script.evidence[0].line_start == 6
    assert script.attrs["process"] == "cli"
    assert one(facts, FactKind.PROJECT_KIND, "cli")


def test_console_script_behind_an_optional_extra_is_a_library_helper(
    make_repo: MakeRepo,
) -> None:
    pyproject = (
        '[build-system]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "dotlib"\n\n'
        '[project.optional-dependencies]\ncli = ["click>=5.0"]\n\n'
        '[project.scripts]\ndotlib = "dotlib.__main__:cli"\n'
    )
    facts = run(
        make_repo,
        {
            "pyproject.toml": pyproject,
            "src/dotlib/__init__.py": "",
            "src/dotlib/__main__.py": "from .cli import cli\ncli()\n",
        },
    )

    assert not of_kind(facts, FactKind.PROD)
    assert not of_kind(facts, FactKind.DEV)
    assert one(facts, FactKind.PROJECT_KIND, "library")


def test_setup_cfg_dependencies_scripts_and_description(make_repo: MakeRepo) -> None:
    setup_cfg = (
        "[metadata]\nname = app\ndescription = Serves things\n\n"
        "[options]\npython_requires = >=3.9\ninstall_requires =\n"
        "    flask>=2\n    celery[redis]\n\n"
        "[options.entry_points]\nconsole_scripts =\n    serve = app.cli:main\n"
    )
    app = "from flask import Flask\napp = Flask(__name__)\n"
    facts = run(make_repo, {"setup.cfg": setup_cfg, "app/__init__.py": app})

    assert one(facts, FactKind.INSTALL, "pip install -e .").evidence[0].line_start == 1
    assert one(facts, FactKind.FRAMEWORK, "flask").evidence[0].line_start == 8
    assert one(facts, FactKind.SERVICE, "redis").evidence[0].line_start == 9
    assert one(facts, FactKind.PROD, "serve").evidence[0].line_start == 13
    assert one(facts, FactKind.DESCRIPTION, "Serves things")
    assert one(facts, FactKind.RUNTIME, "python >=3.9")


def test_setup_py_install_requires_and_console_scripts(make_repo: MakeRepo) -> None:
    setup_py = (
        "from setuptools import setup\n\nsetup(\n    name='x',\n"
        "    description='Does x',\n"
        "    install_requires=[\n        'tornado>=6',\n        'pymongo',\n    ],\n"
        "    entry_points={'console_scripts': ['xrun = x.main:run']},\n)\n"
    )
    facts = run(make_repo, {"setup.py": setup_py})

    assert one(facts, FactKind.INSTALL, "pip install -e .").evidence[0].line_start == 3
    assert one(facts, FactKind.FRAMEWORK, "tornado").evidence[0].line_start == 7
    assert one(facts, FactKind.SERVICE, "mongodb").evidence[0].line_start == 8
    assert one(facts, FactKind.PROD, "xrun").evidence[0].line_start == 10
    assert one(facts, FactKind.DESCRIPTION, "Does x")


def test_pipfile_gives_pipenv_install(make_repo: MakeRepo) -> None:
    pipfile = (
        '[packages]\nflask = "*"\npsycopg2 = "*"\n\n[dev-packages]\npytest = "*"\n\n'
        '[requires]\npython_version = "3.11"\n'
    )
    facts = run(make_repo, {"Pipfile": pipfile, "Pipfile.lock": "{}\n"})

    install = one(facts, FactKind.INSTALL, "pipenv install")
    assert [e.path for e in install.evidence] == ["Pipfile", "Pipfile.lock"]
    assert one(facts, FactKind.SERVICE, "postgres").evidence[0].line_start == 3
    assert one(facts, FactKind.RUNTIME, "python 3.11").evidence[0].line_start == 9
    assert one(facts, FactKind.TEST, "pytest").evidence[0].location == "Pipfile:6"


def test_conda_environment_gives_conda_env_create(make_repo: MakeRepo) -> None:
    environment = (
        "name: sci\ndependencies:\n  - python=3.10\n  - pip\n  - pip:\n"
        "      - streamlit==1.30\n"
    )
    facts = run(make_repo, {"environment.yml": environment})

    install = one(facts, FactKind.INSTALL, "conda env create -f environment.yml")
    assert install.evidence[0].line_start == 2
    assert one(facts, FactKind.FRAMEWORK, "streamlit").evidence[0].line_start == 6
    assert one(facts, FactKind.RUNTIME, "python 3.10").evidence[0].line_start == 3


def test_runtime_files_give_python_versions(make_repo: MakeRepo) -> None:
    facts = run(
        make_repo,
        {
            "requirements.txt": "flask\n",
            ".python-version": "3.12.1\n",
            "runtime.txt": "python-3.11.4\n",
        },
    )

    assert one(facts, FactKind.RUNTIME, "python 3.12.1").evidence[0].line_start == 1
    assert one(facts, FactKind.RUNTIME, "python 3.11.4")


def test_web_framework_dependency_makes_a_service(make_repo: MakeRepo) -> None:
    facts = run(make_repo, {"requirements.txt": "requests\nfastapi\n"})

    kind = one(facts, FactKind.PROJECT_KIND, "service")
    assert kind.evidence[0].line_start == 2


def test_celery_only_makes_a_worker(make_repo: MakeRepo) -> None:
    facts = run(make_repo, {"requirements.txt": "celery[redis]\n"})

    assert one(facts, FactKind.PROJECT_KIND, "worker")
    assert one(facts, FactKind.SERVICE, "redis")


def test_optional_dependency_weighs_less(make_repo: MakeRepo) -> None:
    facts = run(
        make_repo,
        {"requirements.txt": "flask\n", "requirements-dev.txt": "pytest\nredis\n"},
    )

    redis = one(facts, FactKind.SERVICE, "redis")
    flask = one(facts, FactKind.FRAMEWORK, "flask")
    assert redis.weight < flask.weight
    dev = one(facts, FactKind.INSTALL, "pip install -r requirements-dev.txt")
    assert (
        dev.weight
        < one(facts, FactKind.INSTALL, "pip install -r requirements.txt").weight
    )


def test_manifest_in_examples_is_tagged_example(make_repo: MakeRepo) -> None:
    facts = run(make_repo, {"examples/demo/requirements.txt": "flask\n"})

    install = one(facts, FactKind.INSTALL, "pip install -r requirements.txt")
    assert install.scope is Scope.EXAMPLE
    assert install.cwd == "examples/demo"


def test_malformed_manifests_do_not_raise(make_repo: MakeRepo) -> None:
    facts = run(
        make_repo,
        {
            "pyproject.toml": "[project\nname = ",
            "Pipfile": "[[[",
            "setup.cfg": "not ini at all\n[metadata\n",
            "setup.py": "setup(install_requires=[",
            "environment.yml": "dependencies: [unclosed\n",
            "requirements.txt": b"\xff\xfe\x00bad",
            "app.py": b"\x00\x01binary",
        },
    )

    assert isinstance(facts, list)


def test_utf16_requirements_are_read(make_repo: MakeRepo) -> None:
    content = "flask==3.0.0\n".encode("utf-16")
    facts = run(make_repo, {"main.py": "print(1)\n", "requirements.txt": content})

    assert one(facts, FactKind.FRAMEWORK, "flask").evidence[0].line_start == 1


def test_poetry_backend_without_tool_table_installs_with_poetry(
    make_repo: MakeRepo,
) -> None:
    pyproject = (
        '[project]\nname = "x"\n\n[build-system]\n'
        'build-backend = "poetry.core.masonry.api"\n'
    )
    facts = run(make_repo, {"pyproject.toml": pyproject})

    assert one(facts, FactKind.INSTALL, "poetry install").evidence[0].line_start == 4
    assert not [f for f in facts if f.key == "pip install -e ."]


def test_pdm_and_hatch_scripts_become_commands(make_repo: MakeRepo) -> None:
    pyproject = (
        '[project]\nname = "x"\n\n[tool.pdm.scripts]\n'
        'dev = "uvicorn app:app --reload --port 8001"\n'
        'lint = "ruff check ."\n\n'
        "[tool.hatch.envs.default.scripts]\n"
        'test = ["pytest -q"]\n\n'
        "[tool.hatch.envs.db.scripts]\n"
        'migrate = {cmd = "alembic upgrade head"}\n'
    )
    facts = run(make_repo, {"pyproject.toml": pyproject})

    dev = one(facts, FactKind.DEV, "pdm run dev")
    assert dev.evidence[0].line_start == 5
    port = one(facts, FactKind.PORT, "8001")
    assert port.attrs["role"] == "bind"
    assert one(facts, FactKind.TEST, "hatch run test").evidence[0].line_start == 9
    assert one(facts, FactKind.MIGRATE, "hatch run db:migrate")
    assert not [f for f in facts if f.key == "pdm run lint"]


def test_poe_tasks_become_poe_commands_in_each_shape(make_repo: MakeRepo) -> None:
    pyproject = (
        '[project]\nname = "x"\n\n[tool.poe]\nenvfile = ".env"\n\n'
        "[tool.poe.tasks]\n"
        'start.help = "Start the development server"\n'
        'start.cmd = "uvicorn app:app --reload --port 8002"\n'
        'serve = {shell = "gunicorn app:app --bind 0.0.0.0:8003"}\n'
        'build = ["python -m build"]\n'
        'worker = "celery -A app worker"\n\n'
        "[tool.poe.tasks.test]\n"
        'sequence = [{cmd = "pytest -q"}, {cmd = "coverage report"}]\n'
    )
    facts = run(make_repo, {"pyproject.toml": pyproject})

    start = one(facts, FactKind.DEV, "poe start")  # --reload: a dev server
    assert start.evidence[0].line_start == 8
    assert start.attrs["via"] == "poe"
    assert "uvicorn app:app --reload" in start.note
    assert one(facts, FactKind.PROD, "poe serve").evidence[0].line_start == 10
    assert one(facts, FactKind.BUILD, "poe build").evidence[0].line_start == 11
    test = one(facts, FactKind.TEST, "poe test")
    assert test.evidence[0].line_start == 14  # its own table's header
    assert "pytest -q && coverage report" in test.note
    ports = {f.key for f in facts if f.kind is FactKind.PORT}
    assert ports == {"8002", "8003"}
    assert not [f for f in facts if f.key == "poe worker"]  # its name says nothing


def test_a_serving_script_that_reloads_is_a_dev_command(make_repo: MakeRepo) -> None:
    pipfile = (
        '[scripts]\nstart = "uvicorn app:app --reload"\nserve = "uvicorn app:app"\n'
    )
    facts = run(make_repo, {"Pipfile": pipfile})

    assert one(facts, FactKind.DEV, "pipenv run start").evidence[0].line_start == 2
    assert one(facts, FactKind.PROD, "pipenv run serve").evidence[0].line_start == 3
    assert not [
        f for f in facts if f.key == "pipenv run start" and f.kind is FactKind.PROD
    ]


def test_pipfile_scripts_become_pipenv_run_commands(make_repo: MakeRepo) -> None:
    pipfile = (
        '[packages]\nflask = "*"\n\n[scripts]\n'
        'start = "gunicorn app:app --bind 0.0.0.0:8080"\ntest = "pytest"\n'
    )
    facts = run(make_repo, {"Pipfile": pipfile})

    assert one(facts, FactKind.PROD, "pipenv run start").evidence[0].line_start == 5
    assert one(facts, FactKind.PORT, "8080").status is Status.EVIDENCED
    assert one(facts, FactKind.TEST, "pipenv run test").evidence[0].line_start == 6


def test_packaged_flask_extension_is_a_library(make_repo: MakeRepo) -> None:
    pyproject = (
        '[build-system]\nbuild-backend = "flit_core.buildapi"\n\n'
        '[project]\nname = "flask-thing"\ndependencies = ["flask>=3"]\n'
    )
    facts = run(
        make_repo,
        {
            "pyproject.toml": pyproject,
            "src/flask_thing/__init__.py": "class Thing:\n    pass\n",
            "tests/conftest.py": "from flask import Flask\napp = Flask(__name__)\n",
        },
    )

    kinds = of_kind(facts, FactKind.PROJECT_KIND)
    assert [(k.key, k.evidence[0].location) for k in kinds] == [
        ("library", "pyproject.toml:1")
    ]


def test_project_defining_an_app_is_a_service(make_repo: MakeRepo) -> None:
    facts = run(
        make_repo,
        {
            "setup.py": "setup(install_requires=['flask'])\n",
            "web.py": "from flask import Flask\napp = Flask(__name__)\n",
        },
    )

    kind = one(facts, FactKind.PROJECT_KIND, "service")
    assert kind.evidence[0].location == "web.py:2"
    assert kind.status is Status.INFERRED


def test_setup_cfg_script_behind_cli_extra_is_a_helper(make_repo: MakeRepo) -> None:
    setup_cfg = (
        "[metadata]\nname = envlib\n\n[options.extras_require]\ncli = click\n\n"
        "[options.entry_points]\nconsole_scripts =\n    envlib = envlib.cli:main\n"
    )
    facts = run(make_repo, {"setup.cfg": setup_cfg})

    assert not of_kind(facts, FactKind.PROD)
    assert one(facts, FactKind.PROJECT_KIND, "library")


def test_setup_py_script_behind_cli_extra_is_a_helper(make_repo: MakeRepo) -> None:
    setup_py = (
        "setup(\n    name='envlib',\n    extras_require={'cli': ['click']},\n"
        "    entry_points={'console_scripts': ['envlib = envlib.cli:main']},\n)\n"
    )
    facts = run(make_repo, {"setup.py": setup_py})

    assert not of_kind(facts, FactKind.PROD)


def test_a_web_framework_package_is_a_library_without_run_commands(
    make_repo: MakeRepo,
) -> None:
    pyproject = (
        '[build-system]\nbuild-backend = "flit_core.buildapi"\n\n'
        '[project]\nname = "Flask"\ndependencies = ["werkzeug"]\n\n'
        '[project.scripts]\nflask = "flask.cli:main"\n'
    )
    facts = run(make_repo, {"pyproject.toml": pyproject, "src/flask/cli.py": ""})

    assert not of_kind(facts, FactKind.PROD)
    assert one(facts, FactKind.PROJECT_KIND, "library")


def test_a_package_extending_django_without_a_project_is_a_library(
    make_repo: MakeRepo,
) -> None:
    pyproject = (
        '[build-system]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "cms"\ndependencies = ["Django>=4.2"]\n\n'
        '[project.scripts]\ncms = "cms.bin.cms:main"\n'
    )
    facts = run(
        make_repo,
        {
            "pyproject.toml": pyproject,
            "cms/apps.py": "from django.apps import AppConfig\n",
            "cms/test/manage.py": "import django\n",
        },
    )

    assert not of_kind(facts, FactKind.PROD)
    assert one(facts, FactKind.PROJECT_KIND, "library")


def test_a_packaged_service_with_an_entry_module_is_not_a_library(
    make_repo: MakeRepo,
) -> None:
    pyproject = (
        '[tool.poetry]\nname = "conduit"\n\n[tool.poetry.dependencies]\n'
        'fastapi = "*"\n\n[build-system]\nbuild-backend = "poetry.core.masonry.api"\n'
    )
    facts = run(
        make_repo,
        {"pyproject.toml": pyproject, "app/main.py": "app = get_application()\n"},
    )

    assert not [f for f in of_kind(facts, FactKind.PROJECT_KIND) if f.key == "library"]


def test_a_module_named_setup_py_is_no_package(make_repo: MakeRepo) -> None:
    module = "from django.urls import path\n\ndef setup(settings):\n    return 1\n"
    facts = run(make_repo, {"config/toolbar/setup.py": module})

    assert of_kind(facts, FactKind.INSTALL) == []
    assert of_kind(facts, FactKind.PROJECT_KIND) == []
