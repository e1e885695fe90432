"""Judgments over the chosen claims: project kind, gaps, readiness, runbooks.

These are the parts of the dossier that no single file states. Each one says
what it rests on: the kind cites the claims that decided it, every gap says
what was searched and what evidence would settle it, every readiness score
gives its reason.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from pta_analyzer.assemble import Assembly, Claim
from pta_analyzer.evidence import Evidence
from pta_analyzer.facts import FactKind, Status
from pta_analyzer.scope import Scope, is_tool_folder

SERVER_FRAMEWORKS = frozenset(
    {
        "flask", "django", "fastapi", "starlette", "aiohttp", "tornado", "express",
        "koa", "fastify", "hapi", "nestjs", "@nestjs/core", "next", "nuxt", "gin",
        "echo", "fiber", "chi", "actix-web", "axum", "rocket", "spring-boot",
        "rails", "sinatra", "laravel", "symfony", "aspnetcore", "phoenix",
        "streamlit", "remix",
    }
)  # fmt: skip
RUN_KINDS = (FactKind.PROD, FactKind.DEV)

# What an operator can do when a question stays open, by gap category.
SETTLE_HINTS: dict[str, str] = {
    "install": "a lockfile or manifest at the root, or an install section in the "
    "README",
    "run": "a Procfile, a start script in the manifest, a Dockerfile CMD, or a run "
    "section in the README",
    "test": "a test runner configuration (pytest.ini, a test script, a CI job that "
    "runs the tests)",
    "ports": "an explicit port in the start command, the server code, a Dockerfile "
    "EXPOSE or a compose ports entry",
    "kind": "a manifest that declares an entry point, a web framework dependency, "
    "or a README that says what the project is",
}
SEARCHED: dict[str, list[str]] = {
    "install": ["language manifests and lockfiles", "Dockerfile RUN lines",
                "CI workflow steps", "README install sections", "Makefile targets"],
    "run": ["Procfile", "manifest scripts and entry points", "Dockerfile CMD and "
            "ENTRYPOINT", "compose commands", "framework conventions",
            "README run sections", "Makefile targets"],
    "test": ["test runner configuration", "manifest test scripts", "CI workflow "
             "steps", "README test sections", "Makefile targets"],
    "ports": ["start commands", "server code", "framework defaults", "Dockerfile "
              "EXPOSE", "compose ports", "env example files", "README URLs"],
}  # fmt: skip


@dataclass
class KindJudgment:
    """The project's kind and the claims it rests on."""

    value: str | None
    status: Status
    reason: str
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class Gap:
    """An open question about the repository, with what would settle it."""

    category: str
    question: str
    reason_code: str
    detail: str
    severity: str
    searched: list[str] = field(default_factory=list)
    would_settle: str = ""
    claims: list[str] = field(default_factory=list)


def judge_kind(assembly: Assembly) -> KindJudgment:
    """Decide service, worker, cli, library, static-site or monorepo."""
    hints = {c.key: c for c in assembly.of(FactKind.PROJECT_KIND)}
    run_dirs = _deployable_dirs(assembly)
    if "monorepo" in hints or len(run_dirs) >= 2:
        return _kind(
            "monorepo",
            f"deployable parts in {', '.join(run_dirs) or 'workspaces'}",
            [hints.get("monorepo"), *_first_run_claims(assembly, run_dirs)],
        )

    servers = [c for c in assembly.of(FactKind.FRAMEWORK) if c.key in SERVER_FRAMEWORKS]
    if "library" in hints and "service" not in hints:
        servers = []  # a package built on a framework (a CMS on Django) serves nothing
    binds = [c for c in assembly.of(FactKind.PORT) if c.status is Status.EVIDENCED]
    if "service" in hints or servers or (binds and _has_run(assembly)):
        return _kind(
            "service",
            "a server framework, a listening port or a web process",
            [hints.get("service"), *servers[:2], *binds[:1]],
        )
    for value, reason in (
        ("worker", "only background worker processes"),
        ("cli", "a command-line entry point and no server"),
        # Before a front-end build: a package's own assets (a CMS's admin
        # pages) or its documentation site do not make it a static site.
        ("library", "a package with no entry point to run"),
        ("static-site", "a front-end build with no server"),
    ):
        if value in hints:
            return _kind(value, reason, [hints[value]])
    return KindJudgment(
        None,
        Status.UNKNOWN,
        "no manifest, framework or entry point "
        "tells what the project is; " + SETTLE_HINTS["kind"],
    )


def find_gaps(assembly: Assembly, kind: KindJudgment) -> list[Gap]:
    """Open questions, most severe first."""
    gaps: list[Gap] = []
    runnable = kind.value not in ("library", None)
    gaps.extend(_missing_commands(assembly, runnable))
    if kind.value in ("service", "monorepo"):
        gaps.extend(_port_gaps(assembly))
    gaps.extend(_env_gaps(assembly))
    gaps.extend(_secret_gaps(assembly))
    if kind.value is None:
        gaps.append(
            Gap(
                "kind",
                "What kind of project is this?",
                "NO_EVIDENCE",
                kind.reason,
                "medium",
                [],
                SETTLE_HINTS["kind"],
            )
        )
    order = {"high": 0, "medium": 1, "low": 2}
    return sorted(gaps, key=lambda g: (order[g.severity], g.category, g.question))


def readiness(assembly: Assembly, kind: KindJudgment) -> list[tuple[str, int, str]]:
    """``(dimension, score 0-10 or -1 when not applicable, reason)`` rows."""
    runnable = kind.value not in ("library", None)
    rows = [
        _command_score("install", assembly.of(FactKind.INSTALL)),
        _command_score("run", _run_claims(assembly))
        if runnable
        else ("run", -1, "a library has nothing to run"),
        _command_score("test", assembly.of(FactKind.TEST)),
        _config_score(assembly),
        _port_score(assembly)
        if kind.value in ("service", "monorepo")
        else ("ports", -1, "not a network service"),
        _deploy_score(assembly, runnable),
        _secret_score(assembly),
    ]
    return rows


def overall_score(rows: Iterable[tuple[str, int, str]]) -> int:
    """Mean of the applicable dimensions, on a 0-100 scale."""
    scores = [score for _name, score, _reason in rows if score >= 0]
    return round(sum(scores) * 10 / len(scores)) if scores else 0


def _kind(value: str, reason: str, claims: Iterable[Claim | None]) -> KindJudgment:
    evidence = [e for c in claims if c is not None for e in c.evidence[:1]]
    status = Status.INFERRED if evidence else Status.UNKNOWN
    return KindJudgment(value, status, reason, sorted(set(evidence))[:4])


def _deployable_dirs(assembly: Assembly) -> list[str]:
    """Directories other than the root with a run command of their own; a
    hidden one (``.devcontainer``) is a tool's folder, not a part."""
    dirs = {
        c.cwd
        for kind in RUN_KINDS
        for c in assembly.of(kind)
        if c.status is not Status.UNKNOWN and c.cwd and not is_tool_folder(c.cwd)
    }
    components = {c.key for c in assembly.of(FactKind.COMPONENT)}
    return sorted(d for d in dirs if not components or d in components)


def _first_run_claims(assembly: Assembly, dirs: list[str]) -> list[Claim]:
    return [
        next(c for k in RUN_KINDS for c in assembly.of(k) if c.cwd == d)
        for d in dirs[:3]
    ]


def _has_run(assembly: Assembly) -> bool:
    return bool(_run_claims(assembly))


def _run_claims(assembly: Assembly) -> list[Claim]:
    return [*assembly.of(FactKind.PROD), *assembly.of(FactKind.DEV)]


def _missing_commands(assembly: Assembly, runnable: bool) -> list[Gap]:
    wanted = [("install", [FactKind.INSTALL]), ("test", [FactKind.TEST])]
    if runnable:
        wanted.insert(1, ("run", list(RUN_KINDS)))
    gaps = []
    for category, kinds in wanted:
        claims = [c for k in kinds for c in assembly.of(k)]
        if not claims:
            gaps.append(
                Gap(
                    category,
                    f"How is it {_verb(category)}?",
                    "NO_EVIDENCE",
                    f"no {category} command was found",
                    "high" if category == "run" else "medium",
                    SEARCHED[category],
                    SETTLE_HINTS[category],
                )
            )
        elif all(c.status is not Status.EVIDENCED for c in claims):
            gaps.append(
                Gap(
                    category,
                    f"How is it {_verb(category)}?",
                    "INFERRED_ONLY",
                    f"the {category} command follows from a convention only: "
                    f"`{claims[0].key}`",
                    "low",
                    SEARCHED[category],
                    SETTLE_HINTS[category],
                    [claims[0].id],
                )
            )
    return gaps


def _verb(category: str) -> str:
    return {"install": "installed", "run": "started", "test": "tested"}[category]


def _port_gaps(assembly: Assembly) -> list[Gap]:
    ports = assembly.of(FactKind.PORT)
    if not ports:
        return [
            Gap(
                "ports",
                "Which port does it listen on?",
                "NO_EVIDENCE",
                "no port was found for a network service",
                "medium",
                SEARCHED["ports"],
                SETTLE_HINTS["ports"],
            )
        ]
    binds = [p for p in ports if "bind" in p.roles]
    if len({p.key for p in binds}) > 1:
        listed = ", ".join(sorted({p.key for p in binds}, key=int))
        return [
            Gap(
                "ports",
                "Which port does it listen on?",
                "CONFLICT",
                f"several ports are bound in different places: {listed}",
                "low",
                SEARCHED["ports"],
                "the deployment's PORT setting decides; check "
                "which process each port belongs to",
                [p.id for p in binds],
            )
        ]
    if all(p.status is not Status.EVIDENCED for p in ports):
        return [
            Gap(
                "ports",
                "Which port does it listen on?",
                "INFERRED_ONLY",
                f"only a framework default: {ports[0].key}",
                "low",
                SEARCHED["ports"],
                SETTLE_HINTS["ports"],
                [ports[0].id],
            )
        ]
    return []


def _env_gaps(assembly: Assembly) -> list[Gap]:
    gaps = []
    for claim in assembly.of(FactKind.ENV_VAR):
        if claim.attrs.get("required") is True and not claim.attrs.get("declared_in"):
            gaps.append(
                Gap(
                    "env",
                    f"What value does {claim.key} need?",
                    "REQUIRED_UNDOCUMENTED",
                    f"{claim.key} is read without a default and no example "
                    "file declares it",
                    "medium",
                    [
                        "env example files",
                        "compose environment",
                        "Dockerfile ENV",
                        "README",
                    ],
                    f"an entry for {claim.key} in .env.example or the README",
                    [claim.id],
                )
            )
    return gaps


def _secret_gaps(assembly: Assembly) -> list[Gap]:
    secrets = [c for c in assembly.of(FactKind.SECRET) if c.scope is Scope.APP]
    if not secrets:
        return []
    places = ", ".join(e.location for c in secrets[:5] for e in c.evidence[:1])
    return [
        Gap(
            "secrets",
            "Are credentials committed to the repository?",
            "SECRET_COMMITTED",
            f"{len(secrets)} possible secret(s) at {places}",
            "high",
            ["every readable file"],
            "rotate the credentials and move them to the deployment's secret store",
            [c.id for c in secrets],
        )
    ]


def _command_score(name: str, claims: list[Claim]) -> tuple[str, int, str]:
    if any(c.status is Status.EVIDENCED for c in claims):
        return (name, 10, f"stated in the repository: `{claims[0].key}`")
    if claims:
        return (name, 5, f"follows from a convention: `{claims[0].key}`")
    return (name, 0, f"no {name} command found")


def _config_score(assembly: Assembly) -> tuple[str, int, str]:
    env = assembly.of(FactKind.ENV_VAR)
    required = [c for c in env if c.attrs.get("required") is True]
    if not required:
        return ("configuration", 10, f"{len(env)} variables read, none required")
    documented = [c for c in required if c.attrs.get("declared_in")]
    score = round(10 * len(documented) / len(required))
    return (
        "configuration",
        score,
        f"{len(documented)} of {len(required)} required variables documented",
    )


def _port_score(assembly: Assembly) -> tuple[str, int, str]:
    ports = assembly.of(FactKind.PORT)
    if any(p.status is Status.EVIDENCED for p in ports):
        return ("ports", 10, f"port {ports[0].key} stated in the repository")
    if ports:
        return ("ports", 5, f"port {ports[0].key} is a framework default")
    return ("ports", 0, "no port found")


def _deploy_score(assembly: Assembly, runnable: bool) -> tuple[str, int, str]:
    deploy = assembly.of(FactKind.DEPLOY)
    if deploy:
        return ("deploy", 10, f"{len(deploy)} deployment artifact(s)")
    if not runnable:
        return ("deploy", -1, "a library is not deployed")
    return ("deploy", 0, "no Dockerfile, compose file, manifest or platform config")


def _secret_score(assembly: Assembly) -> tuple[str, int, str]:
    secrets = assembly.of(FactKind.SECRET)
    in_app = [c for c in secrets if c.scope is Scope.APP]
    if in_app:
        return ("secrets", 0, f"{len(in_app)} possible committed secret(s)")
    if secrets:
        return ("secrets", 5, "possible secrets in test or example files only")
    return ("secrets", 10, "no committed secret found")
