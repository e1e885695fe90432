"""Elixir projects: Mix, Phoenix and Ecto.

Each mix.exs is a project; the children of an umbrella (``apps_path``) give
their frameworks and services, and their commands run at the umbrella's root.
mix.exs is Elixir code, so it is read line by line with patterns for the
``project`` keywords and ``{:dep, ...}`` tuples, never evaluated.
"""

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from pta_analyzer.deferred import regex
from pta_analyzer.evidence import Evidence
from pta_analyzer.extractors._ecosystems import (
    default_port,
    directory_of,
    existing,
    fact,
    glob_in,
    is_under,
    join,
    line_evidence,
    manifests,
    project_kind,
    service_facts,
)
from pta_analyzer.facts import Fact, FactKind
from pta_analyzer.index import RepoIndex, SourceText
from pta_analyzer.scope import Scope

logger = logging.getLogger(__name__)

PHOENIX_PORT = 4000
# Mix dependencies are matched against these names only: most are plain words
# ("amqp", "sentry", "tds") that mean another library elsewhere.
DEP_SERVICES: dict[str, str] = {
    "postgrex": "postgres", "myxql": "mysql", "ecto_sqlite3": "sqlite",
    "tds": "mssql", "redix": "redis", "amqp": "rabbitmq", "broadway_kafka": "kafka",
    "kafka_ex": "kafka", "brod": "kafka", "mongodb_driver": "mongodb",
    "ex_aws_s3": "s3", "stripity_stripe": "stripe", "sentry": "sentry",
    "swoosh": "smtp", "bamboo": "smtp",
}  # fmt: skip

_DEP = regex(r"\{\s*:(\w+)\s*,")
_ELIXIR = regex(r"\belixir:\s*\"([^\"]+)\"")


@dataclass
class MixProject:
    """What one mix.exs declares, with the line of each dependency."""

    source: SourceText
    deps: dict[str, int] = field(default_factory=dict)
    is_umbrella: bool = False
    escript_line: int = 0
    setup_line: int = 0  # a `setup:` alias (Phoenix generates one)

    @property
    def directory(self) -> str:
        return directory_of(self.source.path)


def extract(index: RepoIndex) -> Iterator[Fact]:
    """Facts from every mix.exs of the repository."""
    projects = [_parse(s) for s in manifests(index, "mix.exs")]
    umbrellas = [p.directory for p in projects if p.is_umbrella]
    for project in projects:
        outer = [
            d
            for d in umbrellas
            if d != project.directory and is_under(project.directory, d)
        ]
        yield from _project_facts(
            index, project, max(outer, key=len) if outer else None
        )


def _parse(source: SourceText) -> MixProject:
    project = MixProject(source=source)
    in_deps = in_aliases = False
    for number, raw in enumerate(source.lines, start=1):
        line = raw.split("#", 1)[0]
        if re.match(r"^\s*defp?\s+\w+", line):
            in_deps = bool(re.match(r"^\s*defp?\s+deps\b", line))
            in_aliases = bool(re.match(r"^\s*defp?\s+aliases\b", line))
        if in_aliases and re.match(r"^\s*\"?setup\"?:", line):
            project.setup_line = project.setup_line or number
        if "apps_path:" in line:
            project.is_umbrella = True
        if "escript:" in line and not project.escript_line:
            project.escript_line = number
        if in_deps:
            for match in _DEP().finditer(line):
                project.deps.setdefault(match[1], number)
    return project


def _project_facts(
    index: RepoIndex, project: MixProject, umbrella: str | None
) -> Iterator[Fact]:
    source, scope = project.source, index.scope(project.source.path)
    cwd = umbrella if umbrella is not None else project.directory
    rule = "elixir.mix"

    if umbrella is None:
        manifest = line_evidence(source, r"^\s*def\s+project\b")
        yield from _root_facts(index, project, manifest, scope)
    for number, match in source.find_lines(_ELIXIR()):
        cited = source.evidence(number)
        yield fact(FactKind.RUNTIME, f"elixir {match[1]}", rule, [cited], scope)
        break

    if "phoenix" in project.deps:
        yield from _phoenix_facts(project, cwd, scope)
    elif project.escript_line:
        cited = source.evidence(project.escript_line)
        note = "mix.exs builds an escript"
        yield project_kind("cli", rule, [cited], scope, cwd, note)
    if "ecto_sql" in project.deps:
        yield fact(
            FactKind.MIGRATE,
            "mix ecto.migrate",
            rule,
            [source.evidence(project.deps["ecto_sql"])],
            scope,
            inferred=True,
            cwd=cwd,
            note="applies the Ecto migrations under priv/repo/migrations",
        )
    yield from _service_facts(project, scope)


def _phoenix_facts(project: MixProject, cwd: str, scope: Scope) -> Iterator[Fact]:
    rule = "elixir.mix"
    cited = project.source.evidence(project.deps["phoenix"])
    yield fact(FactKind.FRAMEWORK, "phoenix", rule, [cited], scope)
    yield default_port(PHOENIX_PORT, "Phoenix", rule, cited, scope)
    yield fact(
        FactKind.DEV,
        "mix phx.server",
        rule,
        [cited],
        scope,
        inferred=True,
        cwd=cwd,
        note="starts the Phoenix endpoint",
        attrs={"process": "web"},
    )
    yield project_kind("service", rule, [cited], scope, cwd, "a Phoenix application")


def _service_facts(project: MixProject, scope: Scope) -> Iterator[Fact]:
    return service_facts(
        project.deps,
        DEP_SERVICES.get,
        lambda name: project.source.evidence(project.deps[name]),
        "elixir.mix",
        scope,
        "mix.exs depends on {name}",
    )


def _root_facts(
    index: RepoIndex, project: MixProject, cited: Evidence, scope: Scope
) -> Iterator[Fact]:
    cwd, rule = project.directory, "elixir.mix"
    lock = existing(index, join(cwd, "mix.lock"))
    yield fact(FactKind.PACKAGE_MANAGER, "mix", rule, [cited, *lock], scope)
    yield fact(
        FactKind.INSTALL,
        "mix deps.get",
        rule,
        [cited],
        scope,
        inferred=True,
        cwd=cwd,
        note="fetches the dependencies mix.exs lists",
    )
    if project.setup_line:
        yield fact(
            FactKind.INSTALL,
            "mix setup",
            rule,
            [project.source.evidence(project.setup_line)],
            scope,
            cwd=cwd,
            note="mix.exs defines a setup alias",
            attrs={"via": "mix alias"},
        )
    yield fact(
        FactKind.BUILD,
        "mix compile",
        rule,
        [cited],
        scope,
        inferred=True,
        cwd=cwd,
        note="compiles the project",
    )
    tests = sorted(p for p in glob_in(index, cwd, "*_test.exs") if "/test/" in f"/{p}")
    if tests:
        yield fact(
            FactKind.TEST,
            "mix test",
            rule,
            [cited, *existing(index, tests[0])],
            scope,
            inferred=True,
            cwd=cwd,
            note="runs the project's own ExUnit tests",
        )
