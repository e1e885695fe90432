"""Tests of the PHP (Composer, Laravel, Symfony) extractor."""

from pta_analyzer.extractors.php import extract
from pta_analyzer.facts import FactKind, Status
from pta_analyzer.scope import Scope
from tests.analyzer.conftest import MakeRepo, assert_evidence_verifies, keys, of_kind

LARAVEL = """{
    "name": "acme/shop",
    "description": "The shop",
    "require": {
        "php": "^8.2",
        "laravel/framework": "^11.0",
        "predis/predis": "^2.0"
    },
    "require-dev": {
        "phpunit/phpunit": "^11.0"
    }
}
"""
LARAVEL_APP = {
    "composer.json": LARAVEL,
    "artisan": "#!/usr/bin/env php\n<?php\n",
    "database/migrations/2024_create_users.php": "<?php\n",
    "tests/Feature/HomeTest.php": "<?php\n",
}


def test_composer_json_gives_manager_install_runtime(make_repo: MakeRepo) -> None:
    index = make_repo({"composer.json": LARAVEL, "composer.lock": "{}\n"})
    facts = list(extract(index))

    (manager,) = of_kind(facts, FactKind.PACKAGE_MANAGER)
    assert [e.location for e in manager.evidence] == [
        "composer.json:4",
        "composer.lock:1",
    ]
    assert keys(facts, FactKind.INSTALL) == {"composer install"}
    (runtime,) = of_kind(facts, FactKind.RUNTIME)
    assert (runtime.key, runtime.evidence[0].line_start) == ("php ^8.2", 5)
    assert keys(facts, FactKind.DESCRIPTION) == {"The shop"}
    assert_evidence_verifies(index, facts)


def test_laravel_app_serve_migrate_test(make_repo: MakeRepo) -> None:
    index = make_repo(LARAVEL_APP)
    facts = list(extract(index))

    (dev,) = of_kind(facts, FactKind.DEV)
    assert (dev.key, dev.status) == ("php artisan serve", Status.INFERRED)
    (port,) = of_kind(facts, FactKind.PORT)
    assert (port.key, port.attrs["role"]) == ("8000", "default")
    assert keys(facts, FactKind.MIGRATE) == {"php artisan migrate"}
    (test,) = of_kind(facts, FactKind.TEST)
    assert (test.key, test.scope) == ("php artisan test", Scope.APP)
    assert keys(facts, FactKind.FRAMEWORK) == {"laravel"}
    assert keys(facts, FactKind.SERVICE) == {"redis"}
    assert keys(facts, FactKind.PROJECT_KIND) == {"service"}
    assert_evidence_verifies(index, facts)


def test_old_laravel_tests_run_with_phpunit(make_repo: MakeRepo) -> None:
    old = LARAVEL.replace('"^11.0",\n        "predis', '"5.8.*",\n        "predis')
    index = make_repo({**LARAVEL_APP, "composer.json": old})
    facts = list(extract(index))

    assert keys(facts, FactKind.TEST) == {"vendor/bin/phpunit"}


def test_library_with_phpunit_and_test_script(make_repo: MakeRepo) -> None:
    composer = """{
    "type": "library",
    "require-dev": {"phpunit/phpunit": "^10"},
    "scripts": {
        "test": "phpunit"
    }
}
"""
    index = make_repo({"composer.json": composer, "phpunit.xml.dist": "<phpunit/>\n"})
    facts = list(extract(index))

    tests = {f.key: f for f in of_kind(facts, FactKind.TEST)}
    assert set(tests) == {"vendor/bin/phpunit", "composer test"}
    assert tests["composer test"].evidence[0].line_start == 5
    assert keys(facts, FactKind.PROJECT_KIND) == {"library"}
    assert of_kind(facts, FactKind.DEV) == []
    assert_evidence_verifies(index, facts)


def test_malformed_composer_json_is_skipped(make_repo: MakeRepo) -> None:
    index = make_repo({"composer.json": '{"require": ', "a/composer.json": "[1, 2]"})

    assert list(extract(index)) == []


def test_example_project_is_tagged_example(make_repo: MakeRepo) -> None:
    index = make_repo({f"examples/app/{k}": v for k, v in LARAVEL_APP.items()})
    facts = list(extract(index))

    (dev,) = of_kind(facts, FactKind.DEV)
    assert (dev.scope, dev.cwd) == (Scope.EXAMPLE, "examples/app")


def test_symfony_with_doctrine_migrations(make_repo: MakeRepo) -> None:
    composer = """{
    "require": {
        "symfony/framework-bundle": "^7.0",
        "doctrine/doctrine-migrations-bundle": "^3.3"
    }
}
"""
    index = make_repo({"composer.json": composer})
    facts = list(extract(index))

    assert keys(facts, FactKind.FRAMEWORK) == {"symfony"}
    (migrate,) = of_kind(facts, FactKind.MIGRATE)
    assert (migrate.key, migrate.evidence[0].line_start) == (
        "php bin/console doctrine:migrations:migrate",
        4,
    )
    assert keys(facts, FactKind.PROJECT_KIND) == {"service"}
