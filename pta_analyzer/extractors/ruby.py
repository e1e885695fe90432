"""Ruby projects: Bundler, Rails, Rack, Sinatra and Sidekiq.

Each Gemfile is a project whose commands run in its directory. Rails is
recognised by ``gem 'rails'`` with ``config/application.rb``; the Rails major
version (from Gemfile.lock, else the Gemfile's constraint) decides between
``bin/rails`` tasks (Rails 5 and later) and ``rake`` tasks (before 5).
"""

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from pta_analyzer.deferred import regex
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
    project_kind,
    service_facts,
)
from pta_analyzer.facts import Fact, FactKind
from pta_analyzer.index import RepoIndex, SourceText
from pta_analyzer.scope import Scope
from pta_analyzer.services import service_of_dependency

logger = logging.getLogger(__name__)

RAILS_PORT = 3000
RACKUP_PORT = 9292
SINATRA_PORT = 4567
# Gem names the shared service table does not hold.
EXTRA_SERVICES: dict[str, str] = {
    "pg": "postgres", "mysql2": "mysql", "trilogy": "mysql", "sqlite3": "sqlite",
    "redis": "redis", "mongoid": "mongodb", "mongo": "mongodb",
    "aws-sdk-s3": "s3", "bunny": "rabbitmq", "dalli": "memcached",
    "ruby-kafka": "kafka", "sentry-ruby": "sentry", "sentry-raven": "sentry",
    "stripe": "stripe", "elasticsearch": "elasticsearch", "searchkick": "elasticsearch",
}  # fmt: skip
ADAPTER_SERVICES: dict[str, str] = {
    "sqlite3": "sqlite", "postgresql": "postgres", "postgis": "postgres",
    "mysql2": "mysql", "trilogy": "mysql", "mysql": "mysql", "sqlserver": "mssql",
    "oracle_enhanced": "oracle",
}  # fmt: skip

_GEM = regex(r"""^\s*gem\s*\(?\s*["']([\w.\-]+)["'](.*)$""")
_GROUP = regex(r"^\s*group\s+(.+?)\s+do\b")
_BLOCK_START = regex(
    r"^\s*(?:(platforms?|source|git|path|install_if)\b.*\bdo\b|(if|unless|case)\b)"
)
_RUBY = regex(r"""^\s*ruby\s*\(?\s*["']([^"']+)["']""")
_VERSION = regex(r"(\d+)(?:\.\d+)*")
_LOCK_RAILS = regex(r"^    (rails|railties) \((\d+)[\d.]*\)")
_ADAPTER = regex(r"^\s*adapter:\s*[\"']?([\w-]+)")


class Gem(NamedTuple):
    """One ``gem`` line of a Gemfile."""

    name: str
    line: int
    groups: frozenset[str]
    constraint: str


@dataclass
class Gemfile:
    """A parsed Gemfile: its gems and the ``ruby`` line."""

    source: SourceText
    directory: str
    gems: dict[str, Gem] = field(default_factory=dict)
    ruby: str = ""
    ruby_line: int = 0

    def has(self, *names: str) -> Gem | None:
        """The first of ``names`` the Gemfile requires, or None."""
        return next((self.gems[n] for n in names if n in self.gems), None)


def extract(index: RepoIndex) -> Iterator[Fact]:
    """Facts from every Gemfile of the repository and the project around it."""
    for source in manifests(index, "Gemfile", "gems.rb"):
        yield from _project_facts(index, parse_gemfile(source))


def parse_gemfile(source: SourceText) -> Gemfile:
    """Read the gems (with their groups) and the ruby version of a Gemfile."""
    gemfile = Gemfile(source=source, directory=directory_of(source.path))
    stack: list[frozenset[str]] = []
    for number, raw in enumerate(source.lines, start=1):
        line = raw.split("#", 1)[0]
        if match := _GROUP().match(line):
            stack.append(_symbols(match[1]))
            continue
        if _BLOCK_START().match(line):
            stack.append(frozenset())
            continue
        if re.match(r"^\s*end\b", line) and stack:
            stack.pop()
            continue
        groups = frozenset().union(*stack) if stack else frozenset()
        if match := _GEM().match(line):
            inline = re.search(r"group[s]?\s*(?::|=>)\s*(\[[^\]]*\]|:\w+)", match[2])
            if inline:
                groups = groups | _symbols(inline[1])
            gem = Gem(match[1], number, groups, match[2])
            gemfile.gems.setdefault(gem.name, gem)
        elif match := _RUBY().match(line):
            gemfile.ruby, gemfile.ruby_line = match[1], number
    return gemfile


def _symbols(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"\w+", text))


def _project_facts(index: RepoIndex, gemfile: Gemfile) -> Iterator[Fact]:
    source, cwd = gemfile.source, gemfile.directory
    scope = index.scope(source.path)
    manifest = line_evidence(source, r"^\s*source\s")
    lock_path = join(
        cwd, "Gemfile.lock" if source.path.endswith("Gemfile") else "gems.locked"
    )
    yield fact(
        FactKind.PACKAGE_MANAGER,
        "bundler",
        "ruby.gemfile",
        [manifest, *existing(index, lock_path)],
        scope,
    )
    yield fact(
        FactKind.INSTALL,
        "bundle install",
        "ruby.gemfile",
        [manifest],
        scope,
        inferred=True,
        cwd=cwd,
        note="installs the gems the Gemfile lists",
    )
    yield from _runtime_facts(index, gemfile, scope)

    rails = gemfile.has("rails", "railties")
    is_rails = rails is not None and index.exists(join(cwd, "config/application.rb"))
    if rails is not None and is_rails:
        major, stated = _rails_major(index, lock_path, rails)
        yield from _rails_facts(index, gemfile, rails, (major, stated), scope)
    else:
        yield from _rack_facts(index, gemfile, scope)
        yield from _plain_test_facts(index, gemfile)

    sidekiq = gemfile.has("sidekiq")
    if sidekiq is not None:
        yield fact(
            FactKind.PROD,
            "bundle exec sidekiq",
            "ruby.sidekiq",
            [source.evidence(sidekiq.line)],
            scope,
            inferred=True,
            cwd=cwd,
            note="Sidekiq runs background jobs in a process of its own",
            attrs={"process": "worker"},
        )
    yield from _gem_services(gemfile, scope)
    if is_rails:
        yield from _database_yml_services(index, cwd)


def _runtime_facts(index: RepoIndex, gemfile: Gemfile, scope: Scope) -> Iterator[Fact]:
    if gemfile.ruby and gemfile.ruby_line:
        yield fact(
            FactKind.RUNTIME,
            f"ruby {gemfile.ruby}",
            "ruby.gemfile",
            [gemfile.source.evidence(gemfile.ruby_line)],
            scope,
        )
    version_file = index.read(join(gemfile.directory, ".ruby-version"))
    if version_file is not None:
        number = version_file.find_line(r"\S")
        if number is not None:
            version = version_file.lines[number - 1].strip().removeprefix("ruby-")
            yield fact(
                FactKind.RUNTIME,
                f"ruby {version}",
                "ruby.ruby_version",
                [version_file.evidence(number)],
                index.scope(version_file.path),
            )


def _rails_major(
    index: RepoIndex, lock_path: str, rails: Gem
) -> tuple[int | None, tuple[Evidence, ...]]:
    """The Rails major version and the Gemfile.lock line stating it, if any."""
    lock = index.read(lock_path)
    if lock is not None:
        for number, match in lock.find_lines(_LOCK_RAILS()):
            return int(match[2]), (lock.evidence(number),)
    constraint = _VERSION().search(rails.constraint)
    return (int(constraint[1]) if constraint else None), ()


class _Rails(NamedTuple):
    """What the Rails commands of one application depend on."""

    cwd: str
    cited: Evidence  # the gem 'rails' line
    command: str  # bin/rails, or bundle exec rails without the binstub
    legacy: bool  # before Rails 5: rake tasks instead of rails tasks
    stated: tuple[Evidence, ...]  # the Gemfile.lock line of the version
    version_note: str


def _rails_facts(
    index: RepoIndex,
    gemfile: Gemfile,
    rails: Gem,
    version: tuple[int | None, tuple[Evidence, ...]],
    scope: Scope,
) -> Iterator[Fact]:
    cwd, cited = gemfile.directory, gemfile.source.evidence(rails.line)
    major, stated = version
    app = _Rails(
        cwd=cwd,
        cited=cited,
        command=(
            "bin/rails" if index.exists(join(cwd, "bin/rails")) else "bundle exec rails"
        ),
        legacy=major is not None and major < 5,
        stated=stated,
        version_note=f"Rails {major}" if major is not None else "Rails version unknown",
    )

    yield fact(FactKind.FRAMEWORK, "rails", "ruby.rails", [cited], scope)
    yield default_port(RAILS_PORT, "rails server", "ruby.rails", cited, scope)
    note = "a Rails application"
    yield project_kind("service", "ruby.rails", [cited], scope, cwd, note)
    yield fact(
        FactKind.DEV,
        f"{app.command} server",
        "ruby.rails",
        [cited, *existing(index, join(cwd, "config/application.rb"))],
        scope,
        inferred=True,
        cwd=cwd,
        note="starts the Rails application server",
        attrs={"process": "web"},
    )
    yield from _rails_binstub_facts(index, app, scope)
    yield from _rails_task_facts(index, app, scope)
    yield from _rspec_facts(index, gemfile)


def _rails_binstub_facts(index: RepoIndex, app: _Rails, scope: Scope) -> Iterator[Fact]:
    """bin/setup and bin/dev: the scripts Rails generates for these steps."""
    scripts = (
        (FactKind.INSTALL, "bin/setup", "installs the gems and prepares the database"),
        (FactKind.DEV, "bin/dev", "starts the processes of Procfile.dev"),
    )
    for kind, script, note in scripts:
        cited = existing(index, join(app.cwd, script))
        if cited:
            yield fact(
                kind,
                script,
                "ruby.rails_binstub",
                cited,
                scope,
                inferred=True,
                cwd=app.cwd,
                note=f"the application's own script; by Rails convention it {note}",
            )


def _rails_task_facts(index: RepoIndex, app: _Rails, scope: Scope) -> Iterator[Fact]:
    migrations = glob_in(index, app.cwd, "db/migrate/*.rb")
    schema = existing(
        index,
        *migrations[:1],
        join(app.cwd, "db/schema.rb"),
        join(app.cwd, "config/database.yml"),
    )
    if schema:
        yield fact(
            FactKind.MIGRATE,
            "rake db:migrate" if app.legacy else f"{app.command} db:migrate",
            "ruby.rails",
            [app.cited, *app.stated, *schema[:1]],
            scope,
            inferred=True,
            cwd=app.cwd,
            note=f"applies Active Record migrations ({app.version_note})",
        )

    test_files = glob_in(index, app.cwd, "test/*_test.rb")
    if test_files:
        yield fact(
            FactKind.TEST,
            "bundle exec rake test" if app.legacy else f"{app.command} test",
            "ruby.rails",
            [app.cited, *app.stated, *existing(index, test_files[0])],
            scope,
            inferred=True,
            cwd=app.cwd,
            note=f"runs the application's own Minitest suite ({app.version_note})",
        )


def _rspec_facts(index: RepoIndex, gemfile: Gemfile) -> Iterator[Fact]:
    scope = index.scope(gemfile.source.path)
    rspec = gemfile.has("rspec-rails", "rspec", "rspec-core")
    specs = glob_in(index, gemfile.directory, "spec/*_spec.rb")
    if rspec is None or not specs:
        return
    yield fact(
        FactKind.TEST,
        "bundle exec rspec",
        "ruby.rspec",
        [gemfile.source.evidence(rspec.line), *existing(index, specs[0])],
        scope,
        inferred=True,
        cwd=gemfile.directory,
        note="runs the project's own RSpec suite under spec/",
    )


def _plain_test_facts(index: RepoIndex, gemfile: Gemfile) -> Iterator[Fact]:
    yield from _rspec_facts(index, gemfile)
    cwd, scope = gemfile.directory, index.scope(gemfile.source.path)
    tests = glob_in(index, cwd, "test/*_test.rb", "test/test_*.rb")
    rakefile = index.read(join(cwd, "Rakefile"))
    if not tests or rakefile is None:
        return
    task = rakefile.find_line(r"TestTask|task\s*\(?\s*:?[\"']?test\b")
    if task is None:
        return
    yield fact(
        FactKind.TEST,
        "bundle exec rake test",
        "ruby.rake",
        [rakefile.evidence(task), *existing(index, tests[0])],
        scope,
        cwd=cwd,
        note="the Rakefile defines the test task that runs the suite under test/",
    )


def _rack_facts(index: RepoIndex, gemfile: Gemfile, scope: Scope) -> Iterator[Fact]:
    cwd = gemfile.directory
    config_ru = index.read(join(cwd, "config.ru"))
    sinatra = gemfile.has("sinatra")
    if sinatra is not None:
        cited = gemfile.source.evidence(sinatra.line)
        yield fact(FactKind.FRAMEWORK, "sinatra", "ruby.gemfile", [cited], scope)
    if config_ru is not None:
        yield from _rackup_facts(index, config_ru, cwd)
    elif sinatra is not None:
        cited = gemfile.source.evidence(sinatra.line)
        yield default_port(SINATRA_PORT, "Sinatra", "ruby.gemfile", cited, scope)
        note = "a Sinatra application"
        yield project_kind("service", "ruby.gemfile", [cited], scope, cwd, note)
    else:
        gemspecs = glob_in(index, cwd, "*.gemspec")
        own = [p for p in gemspecs if directory_of(p) == cwd]
        if own:
            note = "a gem with no application server"
            cited_spec = existing(index, own[0])
            yield project_kind("library", "ruby.gemspec", cited_spec, scope, cwd, note)


def _rackup_facts(index: RepoIndex, config_ru: SourceText, cwd: str) -> Iterator[Fact]:
    run_line = config_ru.find_line(r"^\s*run\b")
    cited = config_ru.evidence(run_line) if run_line else config_ru.file_evidence()
    scope = index.scope(config_ru.path)
    yield fact(
        FactKind.DEV,
        "bundle exec rackup",
        "ruby.rack",
        [cited],
        scope,
        inferred=True,
        cwd=cwd,
        note="config.ru declares the Rack application",
        attrs={"process": "web"},
    )
    yield default_port(RACKUP_PORT, "rackup", "ruby.rack", cited, scope)
    note = "a Rack application"
    yield project_kind("service", "ruby.rack", [cited], scope, cwd, note)


def _gem_services(gemfile: Gemfile, scope: Scope) -> Iterator[Fact]:
    return service_facts(
        (gem.name for gem in gemfile.gems.values() if not _only_for_tests(gem)),
        lambda name: EXTRA_SERVICES.get(name) or service_of_dependency(name),
        lambda name: gemfile.source.evidence(gemfile.gems[name].line),
        "ruby.gemfile",
        scope,
        "the Gemfile requires {name}",
    )


def _only_for_tests(gem: Gem) -> bool:
    return bool(gem.groups) and gem.groups <= {"test"}


def _database_yml_services(index: RepoIndex, cwd: str) -> Iterator[Fact]:
    source = index.read(join(cwd, "config/database.yml"))
    if source is None:
        return
    lines: dict[str, int] = {}
    for number, match in source.find_lines(_ADAPTER()):
        lines.setdefault(match[1], number)
    yield from service_facts(
        lines,
        ADAPTER_SERVICES.get,
        lambda adapter: source.evidence(lines[adapter]),
        "ruby.database_yml",
        index.scope(source.path),
        "Active Record adapter {name}",
    )
