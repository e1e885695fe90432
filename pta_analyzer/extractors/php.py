"""PHP projects: Composer, Laravel and Symfony.

Each composer.json is a project whose commands run in its directory. Laravel
is recognised by ``laravel/framework``; its ``artisan`` script then gives the
server, migration and test commands.
"""

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

from pta_analyzer.evidence import Evidence
from pta_analyzer.extractors._ecosystems import (
    default_port,
    directory_of,
    existing,
    fact,
    glob_in,
    join,
    line_evidence,
    manifests,
    service_facts,
)
from pta_analyzer.facts import Fact, FactKind
from pta_analyzer.index import RepoIndex, SourceText
from pta_analyzer.scope import Scope
from pta_analyzer.services import service_of_dependency

logger = logging.getLogger(__name__)

LARAVEL_SERVE_PORT = 8000
FRAMEWORKS: dict[str, str] = {
    "laravel/framework": "laravel",
    "laravel/lumen-framework": "lumen",
    "symfony/framework-bundle": "symfony",
    "slim/slim": "slim",
    "cakephp/cakephp": "cakephp",
    "yiisoft/yii2": "yii",
    "codeigniter4/framework": "codeigniter",
}


def extract(index: RepoIndex) -> Iterator[Fact]:
    """Facts from every composer.json of the repository."""
    for source in manifests(index, "composer.json"):
        if "/vendor/" in f"/{source.path}":
            continue
        try:
            data = json.loads(source.text)
        except ValueError as error:
            logger.debug(
                "unreadable composer.json",
                extra={"path": source.path, "error": str(error)},
            )
            continue
        if isinstance(data, dict):
            yield from _project_facts(index, source, data)


def _project_facts(
    index: RepoIndex, source: SourceText, data: dict[str, Any]
) -> Iterator[Fact]:
    cwd, scope = directory_of(source.path), index.scope(source.path)
    manifest = line_evidence(source, r'^\s*"require"\s*:')
    lock = existing(index, join(cwd, "composer.lock"))
    require = _table(data, "require")

    yield fact(
        FactKind.PACKAGE_MANAGER, "composer", "php.composer", [manifest, *lock], scope
    )
    yield fact(
        FactKind.INSTALL,
        "composer install",
        "php.composer",
        [manifest],
        scope,
        inferred=True,
        cwd=cwd,
        note="installs the packages composer.json requires into vendor/",
    )
    yield from _metadata_facts(source, data, scope)

    frameworks = [name for name in require if name in FRAMEWORKS]
    for name in frameworks:
        cited = _key_line(source, name)
        yield fact(FactKind.FRAMEWORK, FRAMEWORKS[name], "php.composer", [cited], scope)
    if "laravel/framework" in require and index.exists(join(cwd, "artisan")):
        version = require.get("laravel/framework")
        yield from _laravel_facts(index, source, cwd, scope, str(version))
    else:
        require_dev = _table(data, "require-dev")
        yield from _phpunit_facts(index, source, cwd, scope, require_dev)
    if "symfony/framework-bundle" in require:
        yield from _symfony_facts(source, require, cwd, scope)
    yield from _script_facts(source, data, cwd, scope)
    yield from _service_facts(source, require, scope)
    yield from _kind_facts(source, data, frameworks, cwd, scope)


def _metadata_facts(
    source: SourceText, data: dict[str, Any], scope: Scope
) -> Iterator[Fact]:
    php = _table(data, "require").get("php")
    if isinstance(php, str):
        cited = _key_line(source, "php")
        yield fact(FactKind.RUNTIME, f"php {php}", "php.composer", [cited], scope)
    description = data.get("description")
    if isinstance(description, str) and description.strip():
        yield fact(
            FactKind.DESCRIPTION,
            " ".join(description.split()),
            "php.composer",
            [_key_line(source, "description")],
            scope,
        )


def _symfony_facts(
    source: SourceText, require: dict[str, Any], cwd: str, scope: Scope
) -> Iterator[Fact]:
    bundle = "doctrine/doctrine-migrations-bundle"
    if bundle in require:
        yield fact(
            FactKind.MIGRATE,
            "php bin/console doctrine:migrations:migrate",
            "php.symfony",
            [_key_line(source, bundle)],
            scope,
            inferred=True,
            cwd=cwd,
            note="Doctrine Migrations applies the database migrations",
        )


def _kind_facts(
    source: SourceText,
    data: dict[str, Any],
    frameworks: list[str],
    cwd: str,
    scope: Scope,
) -> Iterator[Fact]:
    if frameworks:
        key, cited, note = "service", frameworks[0], "a PHP web framework application"
    elif data.get("type") == "library":
        key, cited, note = "library", "type", "composer.json declares a library"
    else:
        return
    yield fact(
        FactKind.PROJECT_KIND,
        key,
        "php.composer",
        [_key_line(source, cited)],
        scope,
        inferred=True,
        cwd=cwd,
        note=note,
    )


def _laravel_facts(
    index: RepoIndex, source: SourceText, cwd: str, scope: Scope, version: str
) -> Iterator[Fact]:
    cited = _key_line(source, "laravel/framework")
    artisan = existing(index, join(cwd, "artisan"))
    yield fact(
        FactKind.DEV,
        "php artisan serve",
        "php.laravel",
        [cited, *artisan],
        scope,
        inferred=True,
        cwd=cwd,
        note="Laravel's development server",
        attrs={"process": "web"},
    )
    yield default_port(
        LARAVEL_SERVE_PORT, "php artisan serve", "php.laravel", cited, scope
    )
    migrations = glob_in(index, cwd, "database/migrations/*.php")
    if migrations:
        yield fact(
            FactKind.MIGRATE,
            "php artisan migrate",
            "php.laravel",
            [cited, *existing(index, migrations[0])],
            scope,
            inferred=True,
            cwd=cwd,
            note="applies the migrations under database/migrations",
        )
    tests = glob_in(index, cwd, "tests/*Test.php")
    if tests:
        major = re.search(r"(\d+)", version)
        legacy = major is not None and int(major[1]) < 7
        yield fact(
            FactKind.TEST,
            "vendor/bin/phpunit" if legacy else "php artisan test",
            "php.laravel",
            [cited, *existing(index, tests[0])],
            scope,
            inferred=True,
            cwd=cwd,
            note="runs the application's own tests under tests/",
        )


def _phpunit_facts(
    index: RepoIndex,
    source: SourceText,
    cwd: str,
    scope: Scope,
    require_dev: dict[str, Any],
) -> Iterator[Fact]:
    if "phpunit/phpunit" not in require_dev:
        return
    config = existing(index, join(cwd, "phpunit.xml"), join(cwd, "phpunit.xml.dist"))
    yield fact(
        FactKind.TEST,
        "vendor/bin/phpunit",
        "php.phpunit",
        [_key_line(source, "phpunit/phpunit"), *config[:1]],
        scope,
        inferred=True,
        cwd=cwd,
        note="PHPUnit runs the project's own test suite",
    )


def _script_facts(
    source: SourceText, data: dict[str, Any], cwd: str, scope: Scope
) -> Iterator[Fact]:
    scripts = _table(data, "scripts")
    if "test" in scripts:
        yield fact(
            FactKind.TEST,
            "composer test",
            "php.composer_script",
            [_key_line(source, "test")],
            scope,
            cwd=cwd,
            note="composer.json defines a test script",
            attrs={"via": "composer script"},
        )


def _service_facts(
    source: SourceText, require: dict[str, Any], scope: Scope
) -> Iterator[Fact]:
    return service_facts(
        require,
        service_of_dependency,
        lambda name: _key_line(source, name),
        "php.composer",
        scope,
        "composer.json requires {name}",
    )


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _key_line(source: SourceText, key: str) -> Evidence:
    return line_evidence(source, rf'^\s*"{re.escape(key)}"\s*:')
