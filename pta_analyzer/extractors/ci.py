"""CI pipelines: the commands a project's own CI runs, its services, its deploys.

GitHub Actions workflows and composite actions, GitLab CI, CircleCI, Travis
CI, Bitbucket Pipelines and Jenkinsfile ``sh`` steps are read with line
numbers. Every shell line a job runs is classified; install, build, test and
migrate commands become facts in CI scope (the CI running a command
proves it works, but a CI job starting a server proves no run command or
port). Service containers a job starts become SERVICE facts for CI, and a job
that pushes images, applies manifests or calls a hosting platform's CLI or
action becomes a DEPLOY fact.
"""

import fnmatch
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from pta_analyzer.facts import WEIGHT_CI, Fact, FactKind
from pta_analyzer.index import RepoIndex, SourceText
from pta_analyzer.installs import named_packages
from pta_analyzer.scope import Scope
from pta_analyzer.services import service_of_image
from pta_analyzer.shellcmd import (
    Role,
    ShellCommand,
    classify,
    fact_kind,
    split_commands,
)
from pta_analyzer.yamlmap import YNode, load_yaml

logger = logging.getLogger(__name__)

# Roles a CI run proves; a CI job starting a server proves nothing about how
# the application is run.
CI_ROLES = frozenset({Role.INSTALL, Role.BUILD, Role.TEST, Role.MIGRATE})

# Commands that ship the project somewhere, to the deploy target they name.
DEPLOY_COMMANDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), target)
    for pattern, target in (
        (r"^(?:docker|podman) (?:image )?push\b|buildx build\b.*--push", "registry"),
        (r"^kubectl (?:apply|set image|rollout|create|replace)\b", "kubernetes"),
        (r"^helm (?:upgrade|install)\b", "helm"),
        (r"^(?:fly|flyctl) deploy\b", "fly"),
        (r"^heroku\b|^git push\b.*\bheroku\b", "heroku"),
        (r"^(?:npx )?vercel\b", "vercel"),
        (r"^(?:npx )?netlify deploy\b", "netlify"),
        (r"^gcloud run deploy\b", "cloud-run"),
        (r"^gcloud app deploy\b", "app-engine"),
        (r"^gcloud functions deploy\b", "cloud-functions"),
        (r"^aws ecs (?:update-service|deploy)\b", "aws-ecs"),
        (r"^eb deploy\b", "elastic-beanstalk"),
        (r"^(?:sam|cdk) deploy\b", "aws"),
        (r"^(?:npx )?(?:serverless|sls) deploy\b", "serverless"),
        (r"^(?:npx )?firebase deploy\b", "firebase"),
        (r"^(?:npx )?wrangler (?:deploy|publish)\b", "cloudflare"),
        (r"^railway up\b", "railway"),
        (r"^az (?:webapp|containerapp)\b.*\b(?:deploy|up|update)\b", "azure"),
        (r"^(?:python -m )?twine upload\b|^(?:uv|poetry|pdm|hatch) publish\b", "pypi"),
        (r"^(?:npm|yarn|pnpm) publish\b", "npm"),
        (r"^cargo publish\b", "crates.io"),
        (r"^gem push\b", "rubygems"),
    )
)  # fmt: skip

# Actions (``uses:``, without the version) that deploy, to their target.
DEPLOY_ACTIONS: dict[str, str] = {
    "superfly/flyctl-actions": "fly",
    "akhileshns/heroku-deploy": "heroku",
    "amondnet/vercel-action": "vercel",
    "google-github-actions/deploy-cloudrun": "cloud-run",
    "google-github-actions/deploy-appengine": "app-engine",
    "aws-actions/amazon-ecs-deploy-task-definition": "aws-ecs",
    "azure/webapps-deploy": "azure",
    "azure/k8s-deploy": "kubernetes",
    "pypa/gh-action-pypi-publish": "pypi",
    "peaceiris/actions-gh-pages": "github-pages",
    "jamesives/github-pages-deploy-action": "github-pages",
    "actions/deploy-pages": "github-pages",
    "cloudflare/wrangler-action": "cloudflare",
    "cloudflare/pages-action": "cloudflare",
    "nwtgck/actions-netlify": "netlify",
    "softprops/action-gh-release": "github-release",
    "appleboy/ssh-action": "ssh",
}
PLATFORM_WORDS = (
    "render", "heroku", "fly", "vercel", "netlify", "railway", "aws", "azure",
    "gcp", "kubernetes", "k8s", "pages", "pypi", "npm",
)  # fmt: skip

# Travis ``services:`` names to service names.
TRAVIS_SERVICES = {
    "postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql",
    "redis": "redis", "redis-server": "redis", "mongodb": "mongodb",
    "rabbitmq": "rabbitmq", "memcached": "memcached",
    "elasticsearch": "elasticsearch", "cassandra": "cassandra",
    "docker": "",
}  # fmt: skip

GITLAB_RESERVED = frozenset(
    {
        "image", "services", "stages", "types", "before_script", "after_script",
        "variables", "cache", "include", "default", "workflow", "spec",
    }
)  # fmt: skip
_FOLDED = re.compile(r"(?::|-)\s*>[-+0-9]*\s*(?:#.*)?$")
_DEPLOY_NAME = re.compile(r"(?i)\bdeploy(?:ing|ment)?\b(?!\s*key)")
_JENKINS_SH = re.compile(r"^\s*sh\s*\(?\s*(['\"])(?P<command>[^'\"]+)\1\s*\)?\s*$")
# Step shells whose text shellcmd can read; pwsh, cmd and python steps are not.
POSIX_SHELLS = frozenset({"bash", "sh", "bash {0}", "sh {0}", "bash -e {0}"})
TRAVIS_PHASES = ("before_install", "install", "before_script", "script")


@dataclass(frozen=True)
class _Job:
    """Where a job's commands come from: its file, name and directory."""

    source: SourceText
    via: str
    name: str
    cwd: str | None  # None: outside the tree or not known
    services: tuple[str, ...] = ()


def extract(index: RepoIndex) -> Iterator[Fact]:
    """Facts from every CI pipeline file of the repository."""
    github = [p for p in index.paths() if p.startswith(".github/")]
    circleci = index.named("config.yml", "config.yaml")
    readers = (
        (_matching(github, ".github/workflows/*.y*ml"), _github),
        (_matching(github, ".github/actions/*/action.y*ml"), _composite),
        (_at_root(index, ".gitlab-ci.yml"), _gitlab),
        ([p for p in circleci if p.rpartition("/")[0] == ".circleci"], _circleci),
        (_at_root(index, "bitbucket-pipelines.yml"), _bitbucket),
        (_at_root(index, ".travis.yml"), _travis),
    )
    for paths, reader in readers:
        for source in index.texts(paths):
            documents = load_yaml(source)
            if not documents or not isinstance(documents[0].value, dict):
                logger.debug("ci file not read", extra={"path": source.path})
                continue
            yield from _deduplicated(reader(source, documents[0]))
    for source in index.texts(_at_root(index, "Jenkinsfile")):
        yield from _deduplicated(_jenkins(source))


# --- GitHub Actions --------------------------------------------------------


def _github(source: SourceText, root: YNode) -> Iterator[Fact]:
    default_cwd = _working_directory(root.get("defaults"))
    jobs = root.get("jobs")
    for name, job in jobs.items() if jobs else ():
        services = tuple(_github_services(source, name, job))
        yield from (fact for fact, _ in services)
        cwd = _working_directory(job.get("defaults"), default_cwd)
        context = _Job(
            source, "github-actions", name, cwd, tuple(s for _, s in services)
        )
        for step in _elements(job.get("steps")):
            yield from _github_step(context, step)


def _composite(source: SourceText, root: YNode) -> Iterator[Fact]:
    """A composite action of the repository: its steps run in the caller's CI."""
    runs = root.get("runs")
    name = PurePosixPath(source.path).parent.name
    context = _Job(source, "github-actions", name, "")
    for step in _elements(runs.get("steps") if runs else None):
        yield from _github_step(context, step)


def _github_services(
    source: SourceText, job_name: str, job: YNode
) -> Iterator[tuple[Fact, str]]:
    services = job.get("services")
    for _key, service in services.items() if services else ():
        image = service.get("image") if isinstance(service.value, dict) else service
        text = image.text() if image is not None else None
        if image is None or not text:
            continue
        name = service_of_image(text)
        if name:
            fact = _service_fact(source, name, image.line, job_name, text, "github")
            yield fact, name


def _github_step(job: _Job, step: YNode) -> Iterator[Fact]:
    uses = step.get("uses")
    target = _action_target(step, uses.text() if uses else None)
    if target and uses is not None:
        yield _deploy_fact(job, target, uses.line)
    run = step.get("run")
    shell = step.get("shell")
    if run is None or (shell is not None and shell.text() not in POSIX_SHELLS):
        return
    step_cwd = step.get("working-directory")
    cwd = _join_cwd(job.cwd, step_cwd.text() if step_cwd else None)
    step_job = _Job(job.source, job.via, job.name, cwd, job.services)
    facts = list(_script_facts(step_job, run))
    yield from facts
    name = step.get("name")
    named = name.text() if name is not None else None
    if (
        named
        and _DEPLOY_NAME.search(named)
        and not any(fact.kind is FactKind.DEPLOY for fact in facts)
    ):
        target = next((w for w in PLATFORM_WORDS if w in named.lower()), "unknown")
        yield _deploy_fact(job, target, name.line if name else run.line)


def _action_target(step: YNode, uses: str | None) -> str:
    if not uses:
        return ""
    action = uses.split("@", 1)[0].lower()
    if action == "docker/build-push-action":
        options = step.get("with")
        push = options.get("push") if options else None
        return "registry" if push is not None and push.text() != "false" else ""
    return DEPLOY_ACTIONS.get(action, "")


def _working_directory(defaults: YNode | None, fallback: str | None = "") -> str | None:
    run = defaults.get("run") if defaults else None
    directory = run.get("working-directory") if run else None
    if directory is None:
        return fallback
    return _join_cwd(fallback, directory.text())


def _join_cwd(base: str | None, directory: str | None) -> str | None:
    """A job's directory joined with a step's; None when outside the tree."""
    if base is None or not directory:
        return base
    if directory.startswith(("/", "~", "$")) or "${{" in directory:
        return None
    parts: list[str] = [p for p in base.split("/") if p]
    for part in PurePosixPath(directory).parts:
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


# --- GitLab, CircleCI, Travis ----------------------------------------------


def _gitlab(source: SourceText, root: YNode) -> Iterator[Fact]:
    default = root.get("default")
    shared_services = [
        root.get("services"),
        default.get("services") if default else None,
    ]
    for name, job in root.items():
        if name in GITLAB_RESERVED or not isinstance(job.value, dict):
            continue
        services = tuple(_gitlab_services(source, name, [job.get("services")]))
        yield from (fact for fact, _ in services)
        context = _Job(source, "gitlab-ci", name, "", tuple(s for _, s in services))
        job_facts = [
            fact
            for key in ("before_script", "script")
            for fact in _script_list(context, job.get(key))
        ]
        yield from job_facts
        stage = job.get("stage")
        if (
            stage is not None
            and "deploy" in (stage.text() or "")
            and not any(fact.kind is FactKind.DEPLOY for fact in job_facts)
        ):
            yield from _named_deploy(context, name, job)
    context = _Job(source, "gitlab-ci", "default", "")
    yield from (fact for fact, _ in _gitlab_services(source, "", shared_services))
    yield from _script_list(context, root.get("before_script"))
    if default is not None:
        yield from _script_list(context, default.get("before_script"))


def _gitlab_services(
    source: SourceText, job_name: str, nodes: Sequence[YNode | None]
) -> Iterator[tuple[Fact, str]]:
    for node in nodes:
        for item in _elements(node):
            image = item.get("name") if isinstance(item.value, dict) else item
            text = image.text() if image is not None else None
            name = service_of_image(text) if text else None
            if image is not None and text and name:
                yield (
                    _service_fact(source, name, image.line, job_name, text, "gitlab"),
                    name,
                )


def _named_deploy(job: _Job, name: str, node: YNode) -> Iterator[Fact]:
    """A GitLab job in a deploy stage with no recognised deploy command."""
    target = next((w for w in PLATFORM_WORDS if w in name.lower()), "unknown")
    yield _deploy_fact(job, target, node.line)


def _circleci(source: SourceText, root: YNode) -> Iterator[Fact]:
    jobs = root.get("jobs")
    for name, job in jobs.items() if jobs else ():
        images = list(_elements(job.get("docker")))
        services: list[str] = []
        for item in images[1:]:
            image = item.get("image")
            text = image.text() if image is not None else None
            service = service_of_image(text) if text else None
            if image is not None and text and service:
                services.append(service)
                yield _service_fact(source, service, image.line, name, text, "circleci")
        directory = job.get("working_directory")
        cwd = _join_cwd("", directory.text() if directory else None)
        context = _Job(source, "circleci", name, cwd, tuple(services))
        for step in _elements(job.get("steps")):
            run = step.get("run")
            if run is not None and isinstance(run.value, dict):
                step_dir = run.get("working_directory")
                step_cwd = _join_cwd(cwd, step_dir.text() if step_dir else None)
                step_job = _Job(source, context.via, name, step_cwd, context.services)
                command = run.get("command")
                if command is not None:
                    yield from _script_facts(step_job, command)
            elif run is not None:
                yield from _script_facts(context, run)


def _bitbucket(source: SourceText, root: YNode) -> Iterator[Fact]:
    definitions = root.get("definitions")
    declared = definitions.get("services") if definitions else None
    for step in _bitbucket_steps(root.get("pipelines")):
        services: list[str] = []
        for item in _elements(step.get("services")):
            label = item.text() or ""
            image = declared.get(label) if declared else None
            image_node = image.get("image") if image else None
            image_text = image_node.text() if image_node else None
            service = service_of_image(image_text or label)
            if service:
                services.append(service)
                yield _service_fact(
                    source, service, item.line, "", image_text or label, "bitbucket"
                )
        name = step.get("name")
        label = (name.text() or "") if name else ""
        context = _Job(source, "bitbucket", label, "", tuple(services))
        yield from _script_list(context, step.get("script"))


def _bitbucket_steps(node: YNode | None) -> Iterator[YNode]:
    """Every ``step`` mapping under ``pipelines``, however nested."""
    if node is None:
        return
    if isinstance(node.value, dict):
        step = node.get("step")
        if step is not None and isinstance(step.value, dict):
            yield step
        for _key, child in node.items():
            if child is not step:
                yield from _bitbucket_steps(child)
    for child in node.elements():
        yield from _bitbucket_steps(child)


def _jenkins(source: SourceText) -> Iterator[Fact]:
    """Single-line ``sh '...'`` steps of a declarative or scripted Jenkinsfile."""
    context = _Job(source, "jenkins", "", "")
    for number, match in source.find_lines(_JENKINS_SH):
        yield from _commands_of(context, [(number, match.group("command"))])


def _travis(source: SourceText, root: YNode) -> Iterator[Fact]:
    services: list[str] = []
    for item in _elements(root.get("services")):
        text = item.text()
        name = TRAVIS_SERVICES.get(text or "", "")
        if name:
            services.append(name)
            yield _service_fact(source, name, item.line, "", text or "", "travis")
    context = _Job(source, "travis", "", "", tuple(services))
    for phase in TRAVIS_PHASES:
        node = root.get(phase)
        if node is not None and isinstance(node.value, list):
            yield from _script_list(context, node)
        elif node is not None:
            yield from _script_facts(context, node)
    deploy = root.get("deploy")
    for item in (
        [deploy] if deploy and isinstance(deploy.value, dict) else _elements(deploy)
    ):
        provider = item.get("provider")
        target = provider.text() if provider is not None else None
        if provider is not None and target:
            yield _deploy_fact(context, target, provider.line)


# --- shared ----------------------------------------------------------------


def _script_list(job: _Job, node: YNode | None) -> Iterator[Fact]:
    if node is None:
        return
    if not isinstance(node.value, list):
        yield from _script_facts(job, node)
        return
    for item in node.elements():
        yield from _script_facts(job, item)


def _script_facts(job: _Job, node: YNode) -> Iterator[Fact]:
    """Command and deploy facts for the shell text of one scalar node."""
    yield from _commands_of(job, _numbered_lines(job.source, node))


def _commands_of(job: _Job, lines: list[tuple[int, str]]) -> Iterator[Fact]:
    if job.cwd is None:
        return
    for command in split_commands(lines, job.cwd):
        target = _deploy_target(command.text)
        if target:
            yield _deploy_fact(job, target, command.first_line)
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


def _matching(paths: list[str], pattern: str) -> list[str]:
    """Paths matching a shell pattern whose ``*`` stays within one directory."""
    depth = pattern.count("/")
    return [
        p for p in paths if p.count("/") == depth and fnmatch.fnmatchcase(p, pattern)
    ]


def _at_root(index: RepoIndex, name: str) -> list[str]:
    return [p for p in index.named(name) if "/" not in p]


def _deploy_target(command: str) -> str:
    for pattern, target in DEPLOY_COMMANDS:
        if pattern.search(command):
            return target
    return ""


def _command_fact(job: _Job, command: ShellCommand, role: Role) -> Fact:
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


def _service_fact(
    source: SourceText, name: str, line: int, job: str, image: str, via: str
) -> Fact:
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


def _deploy_fact(job: _Job, target: str, line: int) -> Fact:
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


def _elements(node: YNode | None) -> Iterator[YNode]:
    if node is not None:
        yield from node.elements()


def _deduplicated(facts: Iterator[Fact]) -> Iterator[Fact]:
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
