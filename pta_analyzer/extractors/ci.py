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

import logging
import re
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from pathlib import PurePosixPath

from pta_analyzer.deferred import regex
from pta_analyzer.extractors._ci_jobs import (
    Job,
    at_root,
    commands_of,
    deduplicated,
    deploy_fact,
    elements,
    matching,
    script_facts,
    script_list,
    service_fact,
)
from pta_analyzer.facts import Fact, FactKind
from pta_analyzer.index import RepoIndex, SourceText
from pta_analyzer.services import service_of_image
from pta_analyzer.yamlmap import YNode, load_yaml

logger = logging.getLogger(__name__)


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
_DEPLOY_NAME = re.compile(r"(?i)\bdeploy(?:ing|ment)?\b(?!\s*key)")
_JENKINS_SH = regex(r"^\s*sh\s*\(?\s*(['\"])(?P<command>[^'\"]+)\1\s*\)?\s*$")
# Step shells whose text shellcmd can read; pwsh, cmd and python steps are not.
POSIX_SHELLS = frozenset({"bash", "sh", "bash {0}", "sh {0}", "bash -e {0}"})
TRAVIS_PHASES = ("before_install", "install", "before_script", "script")


def extract(index: RepoIndex) -> Iterator[Fact]:
    """Facts from every CI pipeline file of the repository."""
    github = _under(index, ".github/")
    circleci = index.named("config.yml", "config.yaml")
    readers = (
        (matching(github, ".github/workflows/*.y*ml"), _github),
        (matching(github, ".github/actions/*/action.y*ml"), _composite),
        (at_root(index, ".gitlab-ci.yml"), _gitlab),
        ([p for p in circleci if p.rpartition("/")[0] == ".circleci"], _circleci),
        (at_root(index, "bitbucket-pipelines.yml"), _bitbucket),
        (at_root(index, ".travis.yml"), _travis),
    )
    for paths, reader in readers:
        for source in index.texts(paths):
            documents = load_yaml(source)
            if not documents or not isinstance(documents[0].value, dict):
                logger.debug("ci file not read", extra={"path": source.path})
                continue
            yield from deduplicated(reader(source, documents[0]))
    for source in index.texts(at_root(index, "Jenkinsfile")):
        yield from deduplicated(_jenkins(source))


def _under(index: RepoIndex, prefix: str) -> list[str]:
    """The paths starting with ``prefix``: one run of the sorted paths."""
    paths = list(index.paths())
    start = end = bisect_left(paths, prefix)
    while end < len(paths) and paths[end].startswith(prefix):
        end += 1
    return paths[start:end]


# --- GitHub Actions --------------------------------------------------------


def _github(source: SourceText, root: YNode) -> Iterator[Fact]:
    default_cwd = _working_directory(root.get("defaults"))
    jobs = root.get("jobs")
    for name, job in jobs.items() if jobs else ():
        services = tuple(_github_services(source, name, job))
        yield from (fact for fact, _ in services)
        cwd = _working_directory(job.get("defaults"), default_cwd)
        context = Job(
            source, "github-actions", name, cwd, tuple(s for _, s in services)
        )
        for step in elements(job.get("steps")):
            yield from _github_step(context, step)


def _composite(source: SourceText, root: YNode) -> Iterator[Fact]:
    """A composite action of the repository: its steps run in the caller's CI."""
    runs = root.get("runs")
    name = PurePosixPath(source.path).parent.name
    context = Job(source, "github-actions", name, "")
    for step in elements(runs.get("steps") if runs else None):
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
            fact = service_fact(source, name, image.line, job_name, text, "github")
            yield fact, name


def _github_step(job: Job, step: YNode) -> Iterator[Fact]:
    uses = step.get("uses")
    target = _action_target(step, uses.text() if uses else None)
    if target and uses is not None:
        yield deploy_fact(job, target, uses.line)
    run = step.get("run")
    shell = step.get("shell")
    if run is None or (shell is not None and shell.text() not in POSIX_SHELLS):
        return
    step_cwd = step.get("working-directory")
    cwd = _join_cwd(job.cwd, step_cwd.text() if step_cwd else None)
    step_job = Job(job.source, job.via, job.name, cwd, job.services)
    facts = list(script_facts(step_job, run))
    yield from facts
    name = step.get("name")
    named = name.text() if name is not None else None
    if (
        named
        and _DEPLOY_NAME.search(named)
        and not any(fact.kind is FactKind.DEPLOY for fact in facts)
    ):
        target = next((w for w in PLATFORM_WORDS if w in named.lower()), "unknown")
        yield deploy_fact(job, target, name.line if name else run.line)


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
        context = Job(source, "gitlab-ci", name, "", tuple(s for _, s in services))
        job_facts = [
            fact
            for key in ("before_script", "script")
            for fact in script_list(context, job.get(key))
        ]
        yield from job_facts
        stage = job.get("stage")
        if (
            stage is not None
            and "deploy" in (stage.text() or "")
            and not any(fact.kind is FactKind.DEPLOY for fact in job_facts)
        ):
            yield from _named_deploy(context, name, job)
    context = Job(source, "gitlab-ci", "default", "")
    yield from (fact for fact, _ in _gitlab_services(source, "", shared_services))
    yield from script_list(context, root.get("before_script"))
    if default is not None:
        yield from script_list(context, default.get("before_script"))


def _gitlab_services(
    source: SourceText, job_name: str, nodes: Sequence[YNode | None]
) -> Iterator[tuple[Fact, str]]:
    for node in nodes:
        for item in elements(node):
            image = item.get("name") if isinstance(item.value, dict) else item
            text = image.text() if image is not None else None
            name = service_of_image(text) if text else None
            if image is not None and text and name:
                yield (
                    service_fact(source, name, image.line, job_name, text, "gitlab"),
                    name,
                )


def _named_deploy(job: Job, name: str, node: YNode) -> Iterator[Fact]:
    """A GitLab job in a deploy stage with no recognised deploy command."""
    target = next((w for w in PLATFORM_WORDS if w in name.lower()), "unknown")
    yield deploy_fact(job, target, node.line)


def _circleci(source: SourceText, root: YNode) -> Iterator[Fact]:
    jobs = root.get("jobs")
    for name, job in jobs.items() if jobs else ():
        images = list(elements(job.get("docker")))
        services: list[str] = []
        for item in images[1:]:
            image = item.get("image")
            text = image.text() if image is not None else None
            service = service_of_image(text) if text else None
            if image is not None and text and service:
                services.append(service)
                yield service_fact(source, service, image.line, name, text, "circleci")
        directory = job.get("working_directory")
        cwd = _join_cwd("", directory.text() if directory else None)
        context = Job(source, "circleci", name, cwd, tuple(services))
        for step in elements(job.get("steps")):
            run = step.get("run")
            if run is not None and isinstance(run.value, dict):
                step_dir = run.get("working_directory")
                step_cwd = _join_cwd(cwd, step_dir.text() if step_dir else None)
                step_job = Job(source, context.via, name, step_cwd, context.services)
                command = run.get("command")
                if command is not None:
                    yield from script_facts(step_job, command)
            elif run is not None:
                yield from script_facts(context, run)


def _bitbucket(source: SourceText, root: YNode) -> Iterator[Fact]:
    definitions = root.get("definitions")
    declared = definitions.get("services") if definitions else None
    for step in _bitbucket_steps(root.get("pipelines")):
        services: list[str] = []
        for item in elements(step.get("services")):
            label = item.text() or ""
            image = declared.get(label) if declared else None
            image_node = image.get("image") if image else None
            image_text = image_node.text() if image_node else None
            service = service_of_image(image_text or label)
            if service:
                services.append(service)
                yield service_fact(
                    source, service, item.line, "", image_text or label, "bitbucket"
                )
        name = step.get("name")
        label = (name.text() or "") if name else ""
        context = Job(source, "bitbucket", label, "", tuple(services))
        yield from script_list(context, step.get("script"))


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
    context = Job(source, "jenkins", "", "")
    for number, match in source.find_lines(_JENKINS_SH()):
        yield from commands_of(context, [(number, match.group("command"))])


def _travis(source: SourceText, root: YNode) -> Iterator[Fact]:
    services: list[str] = []
    for item in elements(root.get("services")):
        text = item.text()
        name = TRAVIS_SERVICES.get(text or "", "")
        if name:
            services.append(name)
            yield service_fact(source, name, item.line, "", text or "", "travis")
    context = Job(source, "travis", "", "", tuple(services))
    for phase in TRAVIS_PHASES:
        node = root.get(phase)
        if node is not None and isinstance(node.value, list):
            yield from script_list(context, node)
        elif node is not None:
            yield from script_facts(context, node)
    deploy = root.get("deploy")
    for item in (
        [deploy] if deploy and isinstance(deploy.value, dict) else elements(deploy)
    ):
        provider = item.get("provider")
        target = provider.text() if provider is not None else None
        if provider is not None and target:
            yield deploy_fact(context, target, provider.line)
