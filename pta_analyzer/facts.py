"""Facts: what an extractor learned from the files, with the lines that prove it.

A fact is one candidate answer (a command, a port, a variable, a service...)
from one place in the repository. Several extractors may find the same answer;
the assembler merges facts with the same ``identity`` and keeps every piece of
evidence. A fact is EVIDENCED only when it cites lines that state it; a value
that follows from a convention (a framework's default port) is INFERRED.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from pta_analyzer.evidence import Evidence
from pta_analyzer.scope import Scope

WEIGHT_DECLARED = 90  # the project states it for this purpose (Procfile web)
WEIGHT_CI = 80  # the project's own CI runs it
WEIGHT_MANIFEST = 70  # a manifest names it (package.json script, pyproject)
WEIGHT_DOCUMENTED = 60  # the README says to run it
WEIGHT_CONTAINER = 55  # a Dockerfile or compose file runs it
WEIGHT_CONVENTION = 30  # follows from a framework or tool convention
WEIGHT_GUESS = 10  # plausible, weakly supported


class Status(StrEnum):
    """How well a statement is supported."""

    EVIDENCED = "EVIDENCED"
    INFERRED = "INFERRED"
    UNKNOWN = "UNKNOWN"


class FactKind(StrEnum):
    """What a fact is about; each kind has its place in ``operate.json``."""

    PACKAGE_MANAGER = "package_manager"  # key: pip, poetry, npm, yarn, cargo...
    FRAMEWORK = "framework"  # key: flask, django, fastapi, express, next...
    RUNTIME = "runtime"  # key: "python 3.11", "node 20"
    INSTALL = "install"  # key: the shell command
    BUILD = "build"
    DEV = "dev"  # start for development
    PROD = "prod"  # start for production
    TEST = "test"
    MIGRATE = "migrate"
    PORT = "port"  # key: the port number as text
    ENV_VAR = "env_var"  # key: the variable's name
    SERVICE = "service"  # key: postgres, redis, stripe...
    ENDPOINT = "endpoint"  # key: "GET /path"
    DEPLOY = "deploy"  # key: "<kind>:<path>", e.g. "dockerfile:Dockerfile"
    DESCRIPTION = "description"  # key: one paragraph of text
    PROJECT_KIND = "project_kind"  # key: service, worker, library, cli...
    COMPONENT = "component"  # key: a directory holding a deployable part
    SECRET = "secret"  # key: "<secret kind>@<path>:<line>"; never the value
    AUTH = "auth"  # key: jwt, session, oauth:github, api-key, basic...


COMMAND_KINDS = frozenset(
    {
        FactKind.INSTALL,
        FactKind.BUILD,
        FactKind.DEV,
        FactKind.PROD,
        FactKind.TEST,
        FactKind.MIGRATE,
    }
)


@dataclass(frozen=True)
class Fact:
    """One candidate answer from one place in the repository.

    ``attrs`` carries kind-specific details, as JSON-ready values:
    ports: ``role`` (bind, expose, publish, default), ``host_port``;
    env vars: ``required`` (bool or None when unclear), ``default``,
    ``declared_only`` (named in an example file or Dockerfile, never read),
    ``secret`` (the name says it holds a credential);
    commands: ``process`` (web, worker...), ``via`` (make, npm script...).
    """

    kind: FactKind
    key: str
    source: str  # extractor rule that produced it, e.g. "python.procfile"
    evidence: tuple[Evidence, ...] = ()
    status: Status = Status.EVIDENCED
    scope: Scope = Scope.APP
    weight: int = WEIGHT_MANIFEST
    cwd: str = ""  # for commands: directory relative to the root ("" = root)
    note: str = ""  # a short reason, for people
    unknown_reason: str = ""
    attrs: Mapping[str, object] = field(
        default_factory=lambda: MappingProxyType({}), compare=False, hash=False
    )

    def __post_init__(self) -> None:
        if self.status is Status.EVIDENCED and not self.evidence:
            raise ValueError(f"{self.kind} {self.key!r}: EVIDENCED needs evidence")
        if self.status is Status.UNKNOWN and not self.unknown_reason:
            raise ValueError(f"{self.kind} {self.key!r}: UNKNOWN needs a reason")
        if not isinstance(self.attrs, MappingProxyType):
            object.__setattr__(self, "attrs", MappingProxyType(dict(self.attrs)))

    def __getstate__(self) -> dict[str, object]:
        """Pickled state (for forked extract workers): ``attrs`` as a dict."""
        return {**self.__dict__, "attrs": dict(self.attrs)}

    def __setstate__(self, state: dict[str, object]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "attrs", MappingProxyType(dict(self.attrs)))

    @property
    def identity(self) -> tuple[str, str, str]:
        """Facts with the same identity are the same statement."""
        return (str(self.kind), self.cwd, self.key)
