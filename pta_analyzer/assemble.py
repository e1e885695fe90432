"""Assemble: merge the extractors' facts into claims and choose the answers.

Facts that state the same thing (same kind, directory and key) become one
claim carrying all their evidence. Each claim is then either used as one of
the application's answers or kept out with a stated reason (found only in
tests, only declared, a backing service's port...). Nothing is dropped
silently: ``claims.json`` lists the claims kept out too.
"""

import hashlib
import heapq
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from pta_analyzer.evidence import Evidence
from pta_analyzer.facts import COMMAND_KINDS, Fact, FactKind, Status
from pta_analyzer.portscan import ports_from_command
from pta_analyzer.scope import Scope, classify_scope, is_tool_folder

logger = logging.getLogger(__name__)

MAX_EVIDENCE_PER_CLAIM = 8
MANAGER_BONUS = 15  # install commands of the lockfile's own package manager
JS_MANAGERS = frozenset({"npm", "yarn", "pnpm", "bun"})
COMMAND_MANAGERS: dict[str, str] = {
    "pip": "pip", "pip3": "pip", "uv": "uv", "poetry": "poetry", "pipenv": "pipenv",
    "pdm": "pdm", "hatch": "hatch", "conda": "conda", "npm": "npm", "yarn": "yarn",
    "pnpm": "pnpm", "bun": "bun", "bundle": "bundler", "composer": "composer",
    "cargo": "cargo", "go": "go", "mvn": "maven", "mvnw": "maven", "gradle": "gradle",
    "gradlew": "gradle", "mix": "mix", "dotnet": "nuget",
}  # fmt: skip
CORROBORATION_BONUS = 8  # weight added per other extractor stating the same
CORROBORATION_MAX = 3
STATUS_RANK = {Status.EVIDENCED: 0, Status.INFERRED: 1, Status.UNKNOWN: 2}
SCOPE_RANK = {Scope.APP: 0, Scope.CI: 1, Scope.DOCS: 2, Scope.EXAMPLE: 3, Scope.TEST: 4}

# Where a claim of each kind may come from to count as the application's own.
ACCEPTED_SCOPES: dict[FactKind, frozenset[Scope]] = {
    FactKind.INSTALL: frozenset({Scope.APP, Scope.CI}),
    FactKind.BUILD: frozenset({Scope.APP, Scope.CI}),
    FactKind.TEST: frozenset({Scope.APP, Scope.CI}),
    FactKind.MIGRATE: frozenset({Scope.APP, Scope.CI}),
    FactKind.DEPLOY: frozenset({Scope.APP, Scope.CI}),
    FactKind.SECRET: frozenset(Scope),
}
APP_ONLY = frozenset({Scope.APP})
# Kinds whose statements differ by directory; the others (ports, variables,
# services...) are one statement for the whole repository.
DIRECTORY_KINDS = COMMAND_KINDS | {FactKind.COMPONENT}

# Variables that a library the project uses reads by itself, by prefix: a
# name declared in an example env file with such a prefix is read, even if
# no line of the project's code reads it.
LIBRARY_ENV_PREFIXES: dict[str, tuple[str, ...]] = {
    "elastic-apm": ("ELASTIC_APM_",),
    "sentry": ("SENTRY_",),
    "aws": ("AWS_",),
    "s3": ("AWS_",),
    "flask": ("FLASK_",),
    "spring-boot": ("SPRING_",),
    "rails": ("RAILS_",),
    "phoenix": ("MIX_", "PHX_"),
    "newrelic": ("NEW_RELIC_",),
    "datadog": ("DD_",),
}


@dataclass
class Claim:
    """One statement about the repository, merged from every fact that makes it."""

    id: str
    kind: FactKind
    key: str
    cwd: str
    status: Status
    weight: int
    scope: Scope
    evidence: list[Evidence]
    sources: list[str]
    notes: list[str]
    attrs: dict[str, object]
    unknown_reason: str = ""
    used: bool = False
    excluded_reason: str = ""
    bonus: int = 0  # ranking adjustment decided with the other claims in view

    @property
    def roles(self) -> list[str]:
        """For ports: every role a fact gave it (bind, expose, publish...)."""
        roles = self.attrs.get("roles")
        return [str(role) for role in roles] if isinstance(roles, list) else []

    @property
    def rank_weight(self) -> int:
        """Weight plus a bonus for each other kind of file that says the same."""
        families = {source.split(".", 1)[0] for source in self.sources}
        bonus = CORROBORATION_BONUS * min(len(families) - 1, CORROBORATION_MAX)
        return self.weight + bonus + self.bonus

    @property
    def sort_key(self) -> tuple[int, bool, int, int, int, str, str]:
        """Best first: evidenced, not in a hidden directory (a tool's own
        folder: ``.devcontainer``, ``.semgrep``), weighty, application
        scope, near the root."""
        return (
            STATUS_RANK[self.status],
            is_tool_folder(self.cwd),
            -self.rank_weight,
            SCOPE_RANK[self.scope],
            self.cwd.count("/") + (1 if self.cwd else 0),
            self.cwd,
            self.key,
        )


@dataclass
class Assembly:
    """All claims, and the ones chosen as the application's answers, by kind."""

    claims: list[Claim] = field(default_factory=list)
    chosen: dict[FactKind, list[Claim]] = field(default_factory=dict)

    def of(self, kind: FactKind) -> list[Claim]:
        """The chosen claims of one kind, best first."""
        return self.chosen.get(kind, [])


def assemble(facts: Iterable[Fact]) -> Assembly:
    """Merge facts into claims and choose the application's answers."""
    all_facts = list(facts)
    all_facts.extend(_ports_of_commands(all_facts))

    claims = _merge(all_facts)
    library_prefixes = _library_env_prefixes(claims)
    for claim in claims:
        claim.excluded_reason = _exclusion(claim, library_prefixes)
    _exclude_overridden_defaults(claims)
    _prefer_the_projects_package_managers(claims)
    for claim in claims:
        claim.used = not claim.excluded_reason

    assembly = Assembly(claims=claims)
    for claim in sorted(claims, key=lambda c: c.sort_key):
        if claim.used:
            assembly.chosen.setdefault(claim.kind, []).append(claim)
    logger.debug("assembled", extra={"claims": len(claims)})
    return assembly


def claim_id(kind: FactKind, cwd: str, key: str) -> str:
    """A stable id for a claim: ``c-`` and 16 hex digits of its identity hash."""
    digest = hashlib.sha256(f"{kind}\0{cwd}\0{key}".encode()).hexdigest()
    return "c-" + digest[:16]


def normalize_key(kind: FactKind, key: str) -> str:
    """Commands compare with runs of spaces folded; names as written."""
    if kind in COMMAND_KINDS:
        return " ".join(key.split())
    return key.strip()


def _ports_of_commands(facts: list[Fact]) -> list[Fact]:
    """Ports stated inside run commands (``--port 8000``, ``-b :8000``)."""
    derived: list[Fact] = []
    for fact in facts:
        if fact.kind not in (FactKind.DEV, FactKind.PROD) or not fact.evidence:
            continue
        for port, role in ports_from_command(fact.key):
            derived.append(
                Fact(
                    kind=FactKind.PORT,
                    key=str(port),
                    source=f"{fact.source}+command",
                    evidence=fact.evidence,
                    status=fact.status,
                    scope=fact.scope,
                    weight=fact.weight,
                    cwd=fact.cwd,
                    note=f"stated in the command `{fact.key}`",
                    attrs={"role": role},
                )
            )
    return derived


def _merge(facts: list[Fact]) -> list[Claim]:
    groups: dict[tuple[FactKind, str, str], list[Fact]] = defaultdict(list)
    for fact in facts:
        key = normalize_key(fact.kind, fact.key)
        cwd = fact.cwd if fact.kind in DIRECTORY_KINDS else ""
        if key or fact.status is Status.UNKNOWN:
            groups[(fact.kind, cwd, key)].append(fact)

    claims = [
        _claim_of(kind, cwd, key, group) for (kind, cwd, key), group in groups.items()
    ]
    claims.sort(key=lambda c: (str(c.kind), c.cwd, c.key))
    return claims


def _claim_of(kind: FactKind, cwd: str, key: str, group: list[Fact]) -> Claim:
    ordered = sorted(
        group, key=lambda f: (STATUS_RANK[f.status], -f.weight, SCOPE_RANK[f.scope])
    )
    best = ordered[0]
    evidence = heapq.nsmallest(
        MAX_EVIDENCE_PER_CLAIM,
        {item for fact in group for item in fact.evidence},
        key=_evidence_order,
    )
    return Claim(
        id=claim_id(kind, cwd, key),
        kind=kind,
        key=key,
        cwd=cwd,
        status=best.status,
        weight=max(f.weight for f in group),
        scope=min((f.scope for f in group), key=lambda s: SCOPE_RANK[s]),
        evidence=evidence,
        sources=sorted({f.source for f in group}),
        notes=_unique(f.note for f in ordered if f.note),
        attrs=_merge_attrs(kind, ordered),
        unknown_reason=best.unknown_reason,
    )


def _evidence_order(item: Evidence) -> tuple[object, ...]:
    """The order of ``Evidence`` itself, as one tuple: far quicker to compare."""
    return (
        item.path, item.line_start, item.line_end, item.snippet_hash, item.display,
        item.kind, item.file_sha256,
    )  # fmt: skip


def _merge_attrs(kind: FactKind, ordered: list[Fact]) -> dict[str, object]:
    merged: dict[str, object] = {}
    for fact in ordered:
        for name, value in fact.attrs.items():
            if merged.get(name) is None and value is not None:
                merged[name] = value

    if kind is FactKind.ENV_VAR:
        reads = [f for f in ordered if not f.attrs.get("declared_only")]
        merged["declared_only"] = not reads
        required = [f.attrs.get("required") for f in reads]
        merged["required"] = (
            True
            if True in required
            else False
            if required and None not in required
            else None
        )
        merged["declared_in"] = _unique(
            e.path for f in ordered if f.attrs.get("declared_only") for e in f.evidence
        )
    if kind is FactKind.PORT:
        merged["roles"] = sorted({str(f.attrs.get("role", "")) for f in ordered} - {""})
    if any(f.attrs.get("for") != "ci" for f in ordered):
        merged.pop("for", None)  # CI's only when no other file names it
    if kind not in DIRECTORY_KINDS:
        merged["dirs"] = sorted({f.cwd for f in ordered})
    return merged


def _exclusion(claim: Claim, library_prefixes: tuple[str, ...]) -> str:
    """Why a claim is not one of the application's answers ("" when it is)."""
    accepted = ACCEPTED_SCOPES.get(claim.kind, APP_ONLY)
    if claim.scope not in accepted:
        return f"found only in {claim.scope} files"
    if claim.kind in COMMAND_KINDS and claim.kind is not FactKind.TEST:
        target_scope = _scope_of_arguments(claim.key, claim.cwd)
        if target_scope is not Scope.APP:
            return f"runs or installs {target_scope} files, not the application"
    if claim.kind is FactKind.PORT and set(claim.roles) <= {"service"}:
        return "a backing service's port, not the application's"
    if claim.kind is FactKind.SERVICE and claim.attrs.get("for") == "ci":
        return "started only by CI for the tests"
    if claim.kind is FactKind.ENV_VAR and claim.attrs.get("declared_only"):
        if claim.key.upper().startswith(library_prefixes):
            claim.notes.append("read by a library the project configures")
            return ""
        return "declared but never read by the application's code"
    return ""


def _exclude_overridden_defaults(claims: list[Claim]) -> None:
    """A framework's default port yields to a port stated in the same directory."""
    stated_dirs: set[str] = set()
    for claim in claims:
        if _is_port(claim) and claim.status is Status.EVIDENCED:
            stated_dirs.update(_dirs(claim))
    for claim in claims:
        overridden = set(_dirs(claim)) & stated_dirs
        if _is_port(claim) and claim.status is Status.INFERRED and overridden:
            claim.excluded_reason = "a default overridden by a port stated there"


def _prefer_the_projects_package_managers(claims: list[Claim]) -> None:
    """Install and build commands of the managers the lockfiles name rank first."""
    managers = {
        c.key for c in claims
        if c.kind is FactKind.PACKAGE_MANAGER and c.status is Status.EVIDENCED
        and not c.excluded_reason
    }  # fmt: skip
    if not managers:
        return
    for claim in claims:
        if claim.kind not in (FactKind.INSTALL, FactKind.BUILD):
            continue
        manager = manager_of_command(claim.key)
        if manager in managers:
            claim.bonus += MANAGER_BONUS
        elif manager is not None and manager in JS_MANAGERS and managers & JS_MANAGERS:
            claim.bonus -= MANAGER_BONUS


def manager_of_command(command: str) -> str | None:
    """The package manager a command runs (``python -m pip install`` -> pip)."""
    words = command.split()
    if words[:2] == ["python", "-m"] or words[:2] == ["python3", "-m"]:
        words = words[2:]
    if not words:
        return None
    tool = words[0].removeprefix("./")
    return COMMAND_MANAGERS.get(tool)


def _is_port(claim: Claim) -> bool:
    return claim.kind is FactKind.PORT and not claim.excluded_reason


def _dirs(claim: Claim) -> list[str]:
    dirs = claim.attrs.get("dirs")
    return [str(d) for d in dirs] if isinstance(dirs, list) else []


def _scope_of_arguments(command: str, cwd: str) -> Scope:
    """The scope of the paths a command names (``node examples/x`` -> example)."""
    for token in command.split()[1:]:
        if "/" not in token or "://" in token or token.startswith(("-", "$", "/")):
            continue
        path = f"{cwd}/{token}" if cwd else token
        scope = classify_scope(path.removeprefix("./") + "/_")
        if scope in (Scope.EXAMPLE, Scope.TEST, Scope.DOCS):
            return scope
    return Scope.APP


def _library_env_prefixes(claims: list[Claim]) -> tuple[str, ...]:
    prefixes: set[str] = set()
    for claim in claims:
        if (
            claim.kind in (FactKind.SERVICE, FactKind.FRAMEWORK)
            and claim.scope is Scope.APP
        ):
            prefixes.update(LIBRARY_ENV_PREFIXES.get(claim.key, ()))
    return tuple(sorted(prefixes))


def _unique(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        seen.setdefault(value, None)
    return list(seen)
