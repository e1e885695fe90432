"""Tests of the Procfile extractor."""

from pta_analyzer.extractors.procfile import extract
from pta_analyzer.facts import WEIGHT_DECLARED, FactKind, Status
from pta_analyzer.scope import Scope

from .conftest import MakeRepo, assert_evidence_verifies, keys, of_kind

PROCFILE = """\
web: gunicorn app.wsgi --bind 0.0.0.0:$PORT
worker: celery -A app worker -l info
release: python manage.py migrate --noinput
"""


def test_procfile_web_process_is_the_prod_command(make_repo: MakeRepo) -> None:
    index = make_repo({"Procfile": PROCFILE})
    facts = list(extract(index))

    [web] = [f for f in of_kind(facts, FactKind.PROD) if f.attrs["process"] == "web"]
    assert web.key == "gunicorn app.wsgi --bind 0.0.0.0:$PORT"
    assert web.weight == WEIGHT_DECLARED
    assert web.status is Status.EVIDENCED
    assert web.cwd == ""
    assert [e.location for e in web.evidence] == ["Procfile:1"]
    assert_evidence_verifies(index, facts)


def test_other_processes_are_prod_with_their_name(make_repo: MakeRepo) -> None:
    index = make_repo({"Procfile": PROCFILE})
    facts = list(extract(index))

    [worker] = [f for f in facts if f.attrs.get("process") == "worker"]
    assert worker.kind is FactKind.PROD
    assert worker.key == "celery -A app worker -l info"
    assert worker.weight < WEIGHT_DECLARED


def test_release_that_migrates_is_migrate(make_repo: MakeRepo) -> None:
    index = make_repo({"Procfile": PROCFILE})

    [migrate] = of_kind(extract(index), FactKind.MIGRATE)
    assert migrate.key == "python manage.py migrate --noinput"
    assert migrate.attrs["process"] == "release"


def test_release_that_does_not_migrate_is_prod(make_repo: MakeRepo) -> None:
    index = make_repo({"Procfile": "release: ./scripts/notify.sh\n"})

    [release] = list(extract(index))
    assert release.kind is FactKind.PROD
    assert release.attrs["process"] == "release"


def test_chained_web_line_also_yields_its_steps(make_repo: MakeRepo) -> None:
    line = (
        "web: python manage.py migrate && python manage.py collectstatic "
        "--no-input && gunicorn locallibrary.wsgi\n"
    )
    index = make_repo({"Procfile": line})
    facts = list(extract(index))

    assert keys(facts, FactKind.PROD) == {
        line[5:].strip(),
        "gunicorn locallibrary.wsgi",
    }
    assert keys(facts, FactKind.MIGRATE) == {"python manage.py migrate"}
    assert_evidence_verifies(index, facts)


def test_procfile_in_a_subdirectory_sets_cwd(make_repo: MakeRepo) -> None:
    index = make_repo({"backend/Procfile": "web: node server.js\n"})

    [web] = list(extract(index))
    assert web.cwd == "backend"


def test_procfile_dev_is_development(make_repo: MakeRepo) -> None:
    index = make_repo({"Procfile.dev": "web: bin/rails server -p 3000\n"})

    [web] = list(extract(index))
    assert web.kind is FactKind.DEV


def test_procfile_under_examples_is_example_scope(make_repo: MakeRepo) -> None:
    index = make_repo({"examples/app/Procfile": "web: node index.js\n"})

    [web] = list(extract(index))
    assert web.scope is Scope.EXAMPLE


def test_comments_blank_and_odd_lines_are_skipped(make_repo: MakeRepo) -> None:
    index = make_repo(
        {"Procfile": "# web: old\n\nnot a process line\nweb:\n", "x/Procfile": b"\0\1"}
    )

    assert list(extract(index)) == []


def test_cd_in_a_process_sets_the_step_cwd(make_repo: MakeRepo) -> None:
    index = make_repo({"Procfile": "web: cd backend && gunicorn app:app\n"})

    steps = {(f.key, f.cwd) for f in extract(index)}
    assert steps == {
        ("cd backend && gunicorn app:app", ""),
        ("gunicorn app:app", "backend"),
    }


def test_release_with_flask_app_option_is_a_migration(make_repo: MakeRepo) -> None:
    index = make_repo({"Procfile": "release: flask --app app db upgrade\n"})

    facts = list(extract(index))

    assert [(f.kind, f.key) for f in facts] == [
        (FactKind.MIGRATE, "flask --app app db upgrade")
    ]
