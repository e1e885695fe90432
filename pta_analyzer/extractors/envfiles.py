"""Environment example files: the variables a project expects to be set.

``.env.example`` and its relatives declare variable names, often with a
default or a placeholder. Each ``NAME=value`` line becomes an ENV_VAR fact
(declared only: a file naming a variable does not prove any code reads it);
values are kept as defaults unless the name says the value is a credential.
Port-like variables also give a declared PORT. A committed ``.env`` is a
secret risk in itself, reported by location, never by value.
"""

import logging
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import PurePosixPath

from pta_analyzer.deferred import regex
from pta_analyzer.evidence import Evidence, is_secret_name
from pta_analyzer.facts import WEIGHT_MANIFEST, Fact, FactKind
from pta_analyzer.index import RepoIndex, SourceText
from pta_analyzer.scope import Scope

logger = logging.getLogger(__name__)

# File names of env declarations, lowercased.
EXAMPLE_NAMES = frozenset(
    {
        ".env.example", ".env.sample", ".env.template", ".env.dist",
        ".env.defaults", "example.env", "sample.env", "env.example",
        "env.sample", "template.env", ".env.local.example", ".env.development",
        ".env.dev", ".env.test", ".env.testing", ".env.ci", ".env-example",
        ".env-sample", ".env_example", ".env_sample",
    }
)  # fmt: skip
REAL_NAMES = frozenset({".env"})  # committed files that are the live settings
TEST_NAMES = frozenset({".env.test", ".env.testing", ".env.ci"})
MAX_VALUE_CHARS = 200  # longer defaults are kept out of the facts

# Words that, besides ``evidence.SECRET_NAME``, mark a name in an env file as a
# credential: an env file holds little else, so any ``_KEY`` or ``WEBHOOK``.
MORE_SECRET_NAME = regex(
    r"(?i)(?:(?:^|_)PASS(?:$|_)|(?:^|_)PWD$|(?:^|_)KEY$|(?:^|_)AUTH(?:$|_)|"
    r"DSN|SALT|SIGNING|ENCRYPTION|WEBHOOK)"
)
# Names whose value is the port the application itself listens on.
APP_PORT_NAME = regex(
    r"^(?:(?:APP|SERVER|HTTP|HTTPS|API|WEB|LISTEN|SERVICE|BACKEND|FRONTEND|"
    r"NODE|FLASK_RUN|DJANGO|EXPRESS|VITE)_)?PORT$"
)
APP_ADDRESS_NAME = regex(
    r"^(?:(?:APP|SERVER|HTTP|API|WEB|LISTEN|SERVICE)_)?(?:ADDR|ADDRESS|BIND|LISTEN)$"
)

_LINE = regex(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*?)\s*$")
_URL_PASSWORD = regex(r"://[^/\s:@]+:[^@\s/]+@")
# Values that stand for "put yours here" rather than a usable default.
_PLACEHOLDER = regex(
    r"^<.*>$|^\{\{.*\}\}$|^\[.*\]$|(?i:^(?:your|my)[-_ ]|change[-_ ]?me|"
    r"^x{3,}$|replace[-_ ]?(?:me|this)|^todo$|\.\.\.$)"
)
_ADDRESS_PORT = regex(r"^[\w.\-\[\]]*:(\d{2,5})$")


def extract(index: RepoIndex) -> Iterator[Fact]:
    """Variables, ports and secret risks from env files."""
    paths = index.named(*sorted(EXAMPLE_NAMES | REAL_NAMES))
    for source in index.texts(paths):
        name = PurePosixPath(source.path).name.lower()
        scope = Scope.TEST if name in TEST_NAMES else index.scope(source.path)
        real = name in REAL_NAMES
        if real:
            yield _committed_env(source, scope)
        yield from _declarations(source, scope, real)


def _declarations(source: SourceText, scope: Scope, real: bool) -> Iterator[Fact]:
    seen: set[str] = set()
    for number, line in enumerate(source.lines, start=1):
        match = _LINE().match(line)
        if match is None or line.lstrip().startswith("#"):
            continue
        name, value = match.group(1), _unquote(match.group(2))
        if name in seen:
            continue
        seen.add(name)
        secret = _is_secret(name, value)
        evidence = _evidence(source, number, name, hide=secret or real)
        yield _variable(source, scope, name, value, secret, evidence)
        port = _port_of(name, value)
        if port is not None:
            yield Fact(
                kind=FactKind.PORT,
                key=str(port),
                source="envfiles.port",
                evidence=(evidence,),
                scope=scope,
                weight=WEIGHT_MANIFEST,
                note=f"{name} in {PurePosixPath(source.path).name}",
                attrs={"role": "declared", "variable": name},
            )


def _variable(
    source: SourceText,
    scope: Scope,
    name: str,
    value: str,
    secret: bool,
    evidence: Evidence,
) -> Fact:
    placeholder = bool(_PLACEHOLDER().search(value))
    hidden = secret or placeholder or len(value) > MAX_VALUE_CHARS
    attrs: dict[str, object] = {
        "declared_only": True,
        "default": None if hidden else value,
        "file": source.path,
    }
    if secret:
        attrs["secret"] = True
    if placeholder:
        attrs["placeholder"] = True
    return Fact(
        kind=FactKind.ENV_VAR,
        key=name,
        source="envfiles.declaration",
        evidence=(evidence,),
        scope=scope,
        weight=WEIGHT_MANIFEST,
        note=f"declared in {PurePosixPath(source.path).name}",
        attrs=attrs,
    )


def _committed_env(source: SourceText, scope: Scope) -> Fact:
    evidence = source.evidence(1) if source.lines else source.file_evidence()
    return Fact(
        kind=FactKind.SECRET,
        key=f"dotenv-file@{source.path}:1",
        source="envfiles.committed_dotenv",
        evidence=(replace(evidence, display=".env file committed (values hidden)"),),
        scope=scope,
        weight=WEIGHT_MANIFEST,
        note="a .env file is committed; it usually holds live settings",
        attrs={"kind": "dotenv-file"},
    )


def _evidence(source: SourceText, number: int, name: str, hide: bool) -> Evidence:
    evidence = source.evidence(number)
    if hide:
        return replace(evidence, display=f"{name}=***")
    return evidence


def _unquote(value: str) -> str:
    """The value without quotes and without a trailing `` # comment``."""
    if value[:1] in {"'", '"'}:
        end = value.find(value[0], 1)
        return value[1:end] if end > 0 else value[1:]
    return re.split(r"\s+#", value, maxsplit=1)[0].strip()


def _is_secret(name: str, value: str) -> bool:
    return is_secret_name(name, MORE_SECRET_NAME()) or bool(
        _URL_PASSWORD().search(value)
    )


def _port_of(name: str, value: str) -> int | None:
    upper = name.upper()
    text = value
    if APP_ADDRESS_NAME().match(upper):
        match = _ADDRESS_PORT().match(value)
        if match is None:
            return None
        text = match.group(1)
    elif not APP_PORT_NAME().match(upper):
        return None
    if not text.isdigit():
        return None
    port = int(text)
    return port if 0 < port < 65536 else None
