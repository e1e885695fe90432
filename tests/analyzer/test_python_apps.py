"""Python run commands and ports found in the source."""

from pta_analyzer.extractors.python import extract
from pta_analyzer.facts import Fact, FactKind, Status
from pta_analyzer.scope import Scope
from tests.analyzer.conftest import MakeRepo, extract_verified, of_kind, one


def run(make_repo: MakeRepo, files: dict[str, str | bytes]) -> list[Fact]:
    return extract_verified(make_repo, extract, files)


def ports(facts: list[Fact]) -> set[tuple[str, str, str]]:
    return {
        (f.key, str(f.attrs["role"]), f.status) for f in of_kind(facts, FactKind.PORT)
    }


FLASK_APP = "from flask import Flask\n\napp = Flask(__name__)\n"


def test_flask_app_without_run_line_gets_flask_run(make_repo: MakeRepo) -> None:
    facts = run(make_repo, {"requirements.txt": "flask\n", "app.py": FLASK_APP})

    dev = one(facts, FactKind.DEV, "flask run")
    assert dev.status is Status.INFERRED
    assert dev.evidence[0].location == "app.py:3"
    assert ports(facts) == {("5000", "default", "INFERRED")}


def test_flask_app_in_other_module_names_it(make_repo: MakeRepo) -> None:
    facts = run(make_repo, {"service/api.py": FLASK_APP})

    dev = one(facts, FactKind.DEV, "flask --app api run")
    assert dev.cwd == "service"


def test_flask_factory_in_package_is_found(make_repo: MakeRepo) -> None:
    factory = (
        "from flask import Flask\n\ndef create_app():\n"
        "    app = Flask(__name__)\n    return app\n"
    )
    facts = run(make_repo, {"web/__init__.py": factory, "requirements.txt": "flask\n"})

    dev = one(facts, FactKind.DEV, "flask --app web run")
    assert dev.cwd == ""
    assert dev.evidence[0].location == "web/__init__.py:3"


def test_flask_main_block_gives_python_file_with_explicit_port(
    make_repo: MakeRepo,
) -> None:
    source = (
        FLASK_APP + "\nif __name__ == '__main__':\n    app.run(debug=True, port=5001)\n"
    )
    facts = run(make_repo, {"server/app.py": source})

    dev = one(facts, FactKind.DEV, "python app.py")
    assert dev.status is Status.EVIDENCED
    assert dev.cwd == "server"
    assert dev.evidence[0].location == "server/app.py:6"
    assert not [f for f in facts if f.key.startswith("flask")]
    assert ports(facts) == {("5001", "bind", "EVIDENCED")}


def test_flask_main_block_without_port_defaults_to_5000(make_repo: MakeRepo) -> None:
    source = FLASK_APP + "\nif __name__ == '__main__':\n    app.run()\n"
    facts = run(make_repo, {"rest-server.py": source})

    one(facts, FactKind.DEV, "python rest-server.py")
    port = one(facts, FactKind.PORT, "5000")
    assert port.evidence[0].location == "rest-server.py:6"
    assert port.attrs["role"] == "default"


def test_port_from_environment_default(make_repo: MakeRepo) -> None:
    source = (
        FLASK_APP + "import os\n\nif __name__ == '__main__':\n"
        "    app.run(host='0.0.0.0',\n"
        "            port=int(os.environ.get('PORT', 8080)))\n"
    )
    facts = run(make_repo, {"app.py": source})

    port = one(facts, FactKind.PORT, "8080")
    assert port.status is Status.EVIDENCED
    assert port.evidence[0].location == "app.py:7-8"


def test_port_through_a_variable(make_repo: MakeRepo) -> None:
    source = (
        FLASK_APP
        + "PORT = 7000\n\nif __name__ == '__main__':\n    app.run(port=PORT)\n"
    )
    facts = run(make_repo, {"app.py": source})

    assert one(facts, FactKind.PORT, "7000").evidence[0].location == "app.py:4"


def test_fastapi_app_in_src_package_uses_module_path(make_repo: MakeRepo) -> None:
    facts = run(
        make_repo,
        {
            "src/requirements.txt": "fastapi\nuvicorn\n",
            "src/app/__init__.py": "",
            "src/app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
        },
    )

    prod = one(facts, FactKind.PROD, "uvicorn app.main:app")
    assert prod.cwd == "src"
    assert prod.status is Status.INFERRED
    assert ports(facts) == {("8000", "default", "INFERRED")}


def test_uvicorn_run_in_main_block_is_evidenced(make_repo: MakeRepo) -> None:
    source = (
        "import uvicorn\nfrom fastapi import FastAPI\n\napi: FastAPI = FastAPI()\n\n"
        'if __name__ == "__main__":\n    uvicorn.run(api, host="0.0.0.0", port=8080)\n'
    )
    facts = run(make_repo, {"main.py": source})

    assert one(facts, FactKind.PROD, "uvicorn main:api")
    script = one(facts, FactKind.PROD, "python main.py")
    assert script.status is Status.EVIDENCED
    assert one(facts, FactKind.PORT, "8080").attrs["role"] == "bind"


def test_script_inside_package_runs_with_dash_m(make_repo: MakeRepo) -> None:
    source = (
        "import uvicorn\n\nif __name__ == '__main__':\n"
        "    uvicorn.run('pkg.web:app', reload=True)\n"
    )
    facts = run(make_repo, {"pkg/__init__.py": "", "pkg/serve.py": source})

    dev = one(facts, FactKind.DEV, "python -m pkg.serve")
    assert dev.cwd == ""


def test_celery_app_gives_worker_command(make_repo: MakeRepo) -> None:
    source = "from celery import Celery\n\ncelery = Celery(__name__)\n"
    facts = run(make_repo, {"project/worker.py": source})

    worker = one(facts, FactKind.PROD, "celery -A worker.celery worker")
    assert worker.cwd == "project"
    assert worker.attrs["process"] == "worker"
    assert worker.status is Status.INFERRED


def test_django_project_commands(make_repo: MakeRepo) -> None:
    manage = (
        "import os\nimport sys\n\ndef main():\n"
        "    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n"
        "    from django.core.management import execute_from_command_line\n"
        "    execute_from_command_line(sys.argv)\n"
    )
    facts = run(
        make_repo,
        {
            "requirements.txt": "Django==5.0\ngunicorn\n",
            "manage.py": manage,
            "proj/__init__.py": "",
            "proj/settings.py": "WSGI_APPLICATION = 'proj.wsgi.application'\n",
            "shop/tests.py": "from django.test import TestCase\n\n"
            "class T(TestCase):\n    def test_x(self):\n        pass\n",
        },
    )

    dev = one(facts, FactKind.DEV, "python manage.py runserver")
    assert [e.location for e in dev.evidence] == ["manage.py:5", "requirements.txt:1"]
    prod = one(facts, FactKind.PROD, "gunicorn proj.wsgi")
    assert [e.location for e in prod.evidence] == [
        "proj/settings.py:1",
        "requirements.txt:2",
    ]
    assert one(facts, FactKind.MIGRATE, "python manage.py migrate")
    test = one(facts, FactKind.TEST, "python manage.py test")
    assert test.evidence[-1].path == "shop/tests.py"
    assert {f.key for f in of_kind(facts, FactKind.PORT)} == {"8000"}


def test_django_startapp_stub_tests_give_no_test_command(make_repo: MakeRepo) -> None:
    facts = run(
        make_repo,
        {
            "requirements.txt": "Django==5.0\n",
            "manage.py": "from django.core.management import "
            "execute_from_command_line\n",
            "upload/tests.py": "from django.test import TestCase\n\n"
            "# Create your tests here.\n",
        },
    )

    assert of_kind(facts, FactKind.TEST) == []


def test_django_without_gunicorn_has_no_prod_command(make_repo: MakeRepo) -> None:
    facts = run(
        make_repo,
        {
            "manage.py": "from django.core.management import "
            "execute_from_command_line\n",
            "proj/settings.py": "WSGI_APPLICATION = 'proj.wsgi.application'\n",
        },
    )

    assert not of_kind(facts, FactKind.PROD)
    assert one(facts, FactKind.DEV, "python manage.py runserver")


def test_flask_with_gunicorn_gets_gunicorn_command(make_repo: MakeRepo) -> None:
    facts = run(
        make_repo, {"requirements.txt": "flask\ngunicorn\n", "wsgi.py": FLASK_APP}
    )

    prod = one(facts, FactKind.PROD, "gunicorn wsgi:app")
    assert prod.evidence[-1].location == "requirements.txt:2"
    assert one(facts, FactKind.DEV, "flask run")


def test_gunicorn_config_bind_is_an_evidenced_port(make_repo: MakeRepo) -> None:
    config = 'bind = "0.0.0.0:8001"\nworkers = 2\nwsgi_app = "app:app"\n'
    facts = run(make_repo, {"deploy/gunicorn.conf.py": config})

    port = one(facts, FactKind.PORT, "8001")
    assert port.attrs["role"] == "bind"
    assert port.cwd == "deploy"
    assert one(facts, FactKind.PROD, "gunicorn -c gunicorn.conf.py").cwd == "deploy"


def test_package_main_gives_python_dash_m(make_repo: MakeRepo) -> None:
    facts = run(
        make_repo,
        {
            "setup.py": "setup(name='tool')\n",
            "src/tool/__init__.py": "",
            "src/tool/__main__.py": "if __name__ == '__main__':\n    print(1)\n",
        },
    )

    prod = one(facts, FactKind.PROD, "python -m tool")
    assert prod.cwd == "src"
    assert prod.evidence[0].location == "src/tool/__main__.py:1"


def test_plain_script_main_block_is_not_a_server(make_repo: MakeRepo) -> None:
    source = "def main():\n    print(1)\n\nif __name__ == '__main__':\n    main()\n"
    facts = run(make_repo, {"tool.py": source})

    assert not of_kind(facts, FactKind.PROD)
    assert not of_kind(facts, FactKind.DEV)


def test_app_in_examples_is_tagged_example(make_repo: MakeRepo) -> None:
    facts = run(make_repo, {"examples/hello/app.py": FLASK_APP})

    dev = one(facts, FactKind.DEV, "flask run")
    assert dev.scope is Scope.EXAMPLE
    assert dev.cwd == "examples/hello"


def test_app_in_tests_is_tagged_test(make_repo: MakeRepo) -> None:
    facts = run(make_repo, {"tests/fake_server.py": FLASK_APP})

    assert one(facts, FactKind.DEV, "flask --app fake_server run").scope is Scope.TEST


def test_non_utf8_source_does_not_raise(make_repo: MakeRepo) -> None:
    source = b"# caf\xe9\nfrom flask import Flask\napp = Flask(__name__)\n"
    facts = run(make_repo, {"app.py": source})

    assert one(facts, FactKind.DEV, "flask run").evidence[0].line_start == 3


def test_run_script_of_a_flask_factory_defaults_to_5000(make_repo: MakeRepo) -> None:
    source = (
        "from app import create_app\n\napp = create_app()\n\n"
        "if __name__ == '__main__':\n    app.run()\n"
    )
    facts = run(make_repo, {"requirements.txt": "flask\n", "run.py": source})

    dev = one(facts, FactKind.DEV, "python run.py")
    assert dev.evidence[0].location == "run.py:6"
    assert one(facts, FactKind.PORT, "5000").attrs["role"] == "default"


def test_main_block_calling_main_that_starts_uvicorn(make_repo: MakeRepo) -> None:
    source = (
        "import uvicorn\n\ndef main():\n    uvicorn.run('api:app', port=9000)\n\n"
        "if __name__ == '__main__':\n    main()\n"
    )
    facts = run(make_repo, {"serve.py": source})

    assert one(facts, FactKind.PROD, "python serve.py").evidence[0].line_start == 4
    assert one(facts, FactKind.PORT, "9000").status is Status.EVIDENCED


def test_aiohttp_run_app_defaults_to_8080(make_repo: MakeRepo) -> None:
    source = (
        "from aiohttp import web\n\napp = web.Application()\n\n"
        "if __name__ == '__main__':\n    web.run_app(app)\n"
    )
    facts = run(make_repo, {"server.py": source})

    assert one(facts, FactKind.PROD, "python server.py")
    assert one(facts, FactKind.PORT, "8080").attrs["role"] == "default"


def test_streamlit_script_gets_streamlit_run(make_repo: MakeRepo) -> None:
    facts = run(
        make_repo,
        {
            "requirements.txt": "streamlit\n",
            "dashboard.py": "import streamlit as st\n\nst.title('x')\n",
            "pages/one.py": "import streamlit as st\n",
        },
    )

    dev = one(facts, FactKind.DEV, "streamlit run dashboard.py")
    assert dev.status is Status.INFERRED
    assert {f.key for f in of_kind(facts, FactKind.PORT)} == {"8501"}


def test_wsgi_module_with_gunicorn_gets_gunicorn_command(make_repo: MakeRepo) -> None:
    facts = run(
        make_repo,
        {
            "requirements.txt": "flask\ngunicorn\n",
            "wsgi.py": "from myapp import create_app\n\napp = create_app()\n",
        },
    )

    prod = one(facts, FactKind.PROD, "gunicorn wsgi:app")
    assert prod.evidence[0].location == "wsgi.py:3"


def test_factory_entry_module_is_the_application(make_repo: MakeRepo) -> None:
    factory = (
        "from flask import Flask\n\ndef create_app():\n    return Flask(__name__)\n"
    )
    facts = run(
        make_repo,
        {
            "requirements.txt": "flask\ngunicorn\n",
            "blog/__init__.py": factory,
            "blog/tasks.py": "from blog import create_app\napp = create_app()\n",
            "main.py": "from blog import create_app\n\napp = create_app()\n",
        },
    )

    entry = one(facts, FactKind.DEV, "flask --app main run")
    assert entry.evidence[0].location == "main.py:3"
    assert one(facts, FactKind.PROD, "gunicorn main:app")
    package = one(facts, FactKind.DEV, "flask --app blog run")
    assert package.weight < entry.weight
    assert one(facts, FactKind.PROD, "gunicorn 'blog:create_app()'")
    assert not [f for f in facts if "tasks" in f.key]


def test_factory_entry_of_fastapi_is_served_by_uvicorn(make_repo: MakeRepo) -> None:
    facts = run(
        make_repo,
        {
            "requirements.txt": "fastapi\n",
            "asgi.py": "from core import create_app\n\napp = create_app()\n",
        },
    )

    assert one(facts, FactKind.PROD, "uvicorn asgi:app").evidence[0].line_start == 3


def test_server_call_elsewhere_in_module_is_not_the_main_block(
    make_repo: MakeRepo,
) -> None:
    source = (
        "def serve(app):\n    app.run(port=5000)\n\n"
        "def main():\n    print('cli')\n\n"
        "if __name__ == '__main__':\n    main()\n"
    )
    facts = run(make_repo, {"tool.py": source})

    assert not of_kind(facts, FactKind.PROD)
    assert not of_kind(facts, FactKind.DEV)


def test_namespace_package_imports_set_the_module_root(make_repo: MakeRepo) -> None:
    source = (
        "from fastapi import FastAPI\nfrom app.db import engine\n\napp = FastAPI()\n"
    )
    facts = run(
        make_repo,
        {"requirements.txt": "fastapi\n", "app/main.py": source, "app/db.py": ""},
    )

    prod = one(facts, FactKind.PROD, "uvicorn app.main:app")
    assert prod.cwd == ""


def test_celery_beat_schedule_gives_beat_process(make_repo: MakeRepo) -> None:
    source = (
        "from celery import Celery\n\napp = Celery('proj')\n"
        "app.conf.beat_schedule = {}\n"
    )
    facts = run(make_repo, {"proj/__init__.py": "", "proj/celery.py": source})

    assert one(facts, FactKind.PROD, "celery -A proj.celery.app worker").cwd == ""
    beat = one(facts, FactKind.PROD, "celery -A proj.celery.app beat")
    assert beat.attrs["process"] == "beat"
    assert beat.evidence[0].line_start == 4
