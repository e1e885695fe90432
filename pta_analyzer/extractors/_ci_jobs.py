"""What every CI reader shares: a job, its script lines and the facts they give.

A ``Job`` says where commands come from; ``script_list`` and ``commands_of``
turn a job's script into command, deploy and service facts in CI scope.
"""

import fnmatch
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import NamedTuple

from pta_analyzer.deferred import regex
from pta_analyzer.facts import WEIGHT_CI, Fact, FactKind
from pta_analyzer.index import RepoIndex, SourceText
from pta_analyzer.installs import named_packages
from pta_analyzer.scope import Scope
from pta_analyzer.shellcmd import (
    Role,
    ShellCommand,
    classify,
    fact_kind,
    split_commands,
)
from pta_analyzer.yamlmap import YNode

# Roles a CI run proves; a CI job starting a server proves nothing about how
# the application is run.
CI_ROLES = frozenset({Role.INSTALL, Role.BUILD, Role.TEST, Role.MIGRATE})


class DeployCommand(NamedTuple):
    """A command that ships the project somewhere, and the deploy target.

    Every command ``pattern`` matches starts with one of ``programs`` (its
    first run of lower-case letters) or holds ``anywhere``, so the pattern is
    compiled and run only for such commands.
    """

    pattern: Callable[[], re.Pattern[str]]
    target: str
    programs: frozenset[str]
    anywhere: str = ""


# (pattern, target, programs) of the rules after the first
_DEPLOY_RULES = (
    (r"^kubectl (?:apply|set image|rollout|create|replace)\b", "kubernetes", "kubectl"),
    (r"^helm (?:upgrade|install)\b", "helm", "helm"),
    (r"^(?:fly|flyctl) deploy\b", "fly", "fly flyctl"),
    (r"^heroku\b|^git push\b.*\bheroku\b", "heroku", "heroku git"),
    (r"^(?:npx )?vercel\b", "vercel", "npx vercel"),
    (r"^(?:npx )?netlify deploy\b", "netlify", "npx netlify"),
    (r"^gcloud run deploy\b", "cloud-run", "gcloud"),
    (r"^gcloud app deploy\b", "app-engine", "gcloud"),
    (r"^gcloud functions deploy\b", "cloud-functions", "gcloud"),
    (r"^aws ecs (?:update-service|deploy)\b", "aws-ecs", "aws"),
    (r"^eb deploy\b", "elastic-beanstalk", "eb"),
    (r"^(?:sam|cdk) deploy\b", "aws", "sam cdk"),
    (r"^(?:npx )?(?:serverless|sls) deploy\b", "serverless", "npx serverless sls"),
    (r"^(?:npx )?firebase deploy\b", "firebase", "npx firebase"),
    (r"^(?:npx )?wrangler (?:deploy|publish)\b", "cloudflare", "npx wrangler"),
    (r"^railway up\b", "railway", "railway"),
    (r"^az (?:webapp|containerapp)\b.*\b(?:deploy|up|update)\b", "azure", "az"),
    (r"^(?:python -m )?twine upload\b|^(?:uv|poetry|pdm|hatch) publish\b",
     "pypi", "python twine uv poetry pdm hatch"),
    (r"^(?:npm|yarn|pnpm) publish\b", "npm", "npm yarn pnpm"),
    (r"^cargo publish\b", "crates.io", "cargo"),
    (r"^gem push\b", "rubygems", "gem"),
)  # fmt: skip
DEPLOY_COMMANDS = (
    DeployCommand(
        regex(r"^(?:docker|podman) (?:image )?push\b|buildx build\b.*--push"),
        "registry",
        frozenset({"docker", "podman"}),
        anywhere="buildx build",
    ),
    *(
        DeployCommand(regex(pattern), target, frozenset(programs.split()))
        for pattern, target, programs in _DEPLOY_RULES
    ),
)
_LEADING_WORD = re.compile(r"[a-z]+")
_FOLDED = re.compile(r"(?::|-)\s*>[-+0-9]*\s*(?:#.*)?$")


class Job(NamedTuple):
    """Where a job's commands come from: its file, name and directory."""

    source: SourceText
    via: str
    name: str
    cwd: str | None  # None: outside the tree or not known
    services: tuple[str, ...] = ()


def script_list(job: Job, node: YNode | None) -> Iterator[Fact]:
    """Facts for a script given as one scalar or as a list of them."""
    if node is None:
        return
    if not isinstance(node.value, list):
        yield from script_facts(job, node)
        return
    for item in node.elements():
        yield from script_facts(job, item)


def script_facts(job: Job, node: YNode) -> Iterator[Fact]:
    """Command and deploy facts for the shell text of one scalar node."""
    yield from commands_of(job, _numbered_lines(job.source, node))


def commands_of(job: Job, lines: list[tuple[int, str]]) -> Iterator[Fact]:
    """Deploy facts and the install, build, test and migrate commands of lines."""
    if job.cwd is None:
        return
    for command in split_commands(lines, job.cwd):
        target = _deploy_target(command.text)
        if target:
            yield deploy_fact(job, target, command.first_line)
            continue
        role = classify(command.text)
        if role is Role.INSTALL and named_packages(command.text):
            continue  # a tool for the pipeline, not the checkout's install
        if role in CI_ROLES and role is not None:
            yield _command_fact(job, command, role)


def _numbered_lines(source: SourceText, node: YNode) -> list[tuple[int, str]]:
    """The scalar's lines with the file line each one is on.

    Literal blocks keep one command line per file line; folded blocks are one
    command spanning the block. A value line not found in the file is left
    out, as it cannot be cited.
    """
    text = node.text()
    if not text or node.line > len(source.lines):
        return []
    if _FOLDED.search(source.lines[node.line - 1]):
        last = min(node.end_line, len(source.lines))
        found = [
            (number, source.lines[number - 1].strip())
            for number in range(node.line + 1, last + 1)
            if source.lines[number - 1].strip()
        ]
        return [(n, v + " \\") for n, v in found[:-1]] + found[-1:]
    numbered: list[tuple[int, str]] = []
    cursor = node.line
    for value in text.splitlines():
        if not value.strip():
            continue
        number = _find_line(source, value, cursor, node.end_line)
        if number is None:
            continue
        numbered.append((number, value))
        cursor = number + 1
    return numbered


def _find_line(source: SourceText, value: str, start: int, end: int) -> int | None:
    wanted = value.strip()
    last = min(max(end, start), len(source.lines))
    for number in range(start, last + 1):
        line = source.lines[number - 1].strip()
        if line == wanted or line.endswith((": " + wanted, "- " + wanted)):
            return number
        if wanted in line and number == start:
            return number
    return None


def matching(paths: list[str], pattern: str) -> list[str]:
    """Paths matching a shell pattern whose ``*`` stays within one directory."""
    depth = pattern.count("/")
    return [
        p for p in paths if p.count("/") == depth and fnmatch.fnmatchcase(p, pattern)
    ]


def at_root(index: RepoIndex, name: str) -> list[str]:
    """The files called ``name`` at the root of the tree (zero or one)."""
    return [p for p in index.named(name) if "/" not in p]


def _deploy_target(command: str) -> str:
    leading = _LEADING_WORD.match(command)
    program = leading.group() if leading is not None else ""
    for deploy in DEPLOY_COMMANDS:
        if _may_match(deploy, command, program) and deploy.pattern().search(command):
            return deploy.target
    return ""


def _may_match(deploy: DeployCommand, command: str, program: str) -> bool:
    """False for a command ``deploy.pattern`` cannot match.

    ``program`` is the command's first run of lower-case letters, or "".
    """
    if program in deploy.programs:
        return True
    return bool(deploy.anywhere) and deploy.anywhere in command


def _command_fact(job: Job, command: ShellCommand, role: Role) -> Fact:
    attrs: dict[str, object] = {"via": job.via, "job": job.name}
    if job.services:
        attrs["services"] = sorted(set(job.services))
    return Fact(
        kind=fact_kind(role),
        key=command.text,
        source=f"ci.{job.via.replace('-', '_')}",
        evidence=(job.source.evidence(command.first_line, command.last_line),),
        scope=Scope.CI,
        weight=WEIGHT_CI,
        cwd=command.cwd,
        note=f"CI job {job.name} runs it" if job.name else "CI runs it",
        attrs=attrs,
    )


def service_fact(
    source: SourceText, name: str, line: int, job: str, image: str, via: str
) -> Fact:
    """A SERVICE fact for a container a CI job starts for its tests."""
    return Fact(
        kind=FactKind.SERVICE,
        key=name,
        source=f"ci.{via}_services",
        evidence=(source.evidence(line),),
        scope=Scope.CI,
        weight=WEIGHT_CI,
        note="a CI job starts it for its tests",
        attrs={"for": "ci", "image": image, "job": job},
    )


def deploy_fact(job: Job, target: str, line: int) -> Fact:
    """A DEPLOY fact citing the line that names the target."""
    return Fact(
        kind=FactKind.DEPLOY,
        key=f"{target}:{job.source.path}",
        source=f"ci.{job.via.replace('-', '_')}_deploy",
        evidence=(job.source.evidence(line),),
        scope=Scope.CI,
        weight=WEIGHT_CI,
        note=f"CI deploys to {target}",
        attrs={"target": target, "via": job.via, "job": job.name},
    )


def elements(node: YNode | None) -> Iterator[YNode]:
    """The elements of a sequence node; none for a missing node."""
    if node is not None:
        yield from node.elements()


def deduplicated(facts: Iterator[Fact]) -> Iterator[Fact]:
    """One fact per identity and file; later copies add their evidence."""
    merged: dict[tuple[str, str, str], Fact] = {}
    for fact in facts:
        known = merged.get(fact.identity)
        if known is None:
            merged[fact.identity] = fact
            continue
        evidence = tuple(dict.fromkeys(known.evidence + fact.evidence))
        merged[fact.identity] = replace(known, evidence=evidence)
    yield from merged.values()
