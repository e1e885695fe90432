"""Environment variables the application reads, from its code and configuration.

One ENV_VAR fact per place a variable is read, keyed by the variable's name and
citing the lines of the read. ``attrs``: ``required`` (True: the program fails
without it; False: a default is given or its absence is checked; None: unclear,
e.g. ``os.getenv("X")``), ``default`` (the literal default as text, else None)
and ``secret`` (the name says it holds a credential; its default is then never
shown). The per-language scanners are the ``envvars_*`` modules; this module
picks the files, runs them, and resolves dotenv-safe (every name of the example
file it checks is required).

Names the system or a tool sets (PATH, HOME, PYTHONUNBUFFERED...) are left
out: see ``envvars_common.AMBIENT_NAMES`` and ``TOOL_SWITCHES``.
"""

import dataclasses
import functools
import logging
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator

from pta_analyzer.deferred import regex
from pta_analyzer.evidence import Evidence, is_secret_name
from pta_analyzer.extractors import (
    envvars_go,
    envvars_js,
    envvars_placeholders,
    envvars_python,
    envvars_rust,
    envvars_scripting,
)
from pta_analyzer.extractors.envvars_common import EnvRead, keep_app_names
from pta_analyzer.facts import (
    WEIGHT_CONVENTION,
    WEIGHT_DECLARED,
    WEIGHT_MANIFEST,
    Fact,
    FactKind,
    Status,
)
from pta_analyzer.index import RepoIndex, SourceText
from pta_analyzer.needles import register
from pta_analyzer.scope import Scope, classify_scope

logger = logging.getLogger(__name__)

Scanner = Callable[[str], Iterable[EnvRead]]

JS_SUFFIXES = (
    ".js",
    ".mjs",
    ".cjs",
    ".jsx",
    ".ts",
    ".tsx",
    ".mts",
    ".cts",
    ".vue",
    ".svelte",
)
JVM_SUFFIXES = (".java", ".kt", ".kts", ".groovy", ".scala")
RUBY_SUFFIXES = (".rb", ".rake", ".ru", ".gemspec")
RUBY_NAMES = frozenset({"Rakefile", "Gemfile", "Guardfile", "Capfile"})
ERB_SUFFIXES = (".erb",)
YAML_SUFFIXES = (".yml", ".yaml")
CONFIG_SUFFIXES = (".toml", ".ini", ".conf", ".cfg", ".hcl", ".tf", *YAML_SUFFIXES)

# Words that, besides ``evidence.SECRET_NAME``, mark a variable the code reads
# as a credential. Narrower than a process's settings (no DSN, AUTH or SALT):
# a DSN read in code is a connection URL whose default is worth showing.
MORE_SECRET_NAME = re.compile(
    r"(?i)(?:PASSPHRASE|_PASS$|_PWD$|SIGNING_?KEY|ENCRYPTION_?KEY)"
)
# Names about a secret's handling rather than holding one: RESET_PASSWORD_TTL,
# TOKEN_EXPIRE_MINUTES, SECRET_KEY_FILE.
NOT_SECRET_NAME = re.compile(
    r"(?i)(?:EXPIRE|TTL|TIME|THRESHOLD|LENGTH|LIMIT|_MIN|_MAX|COUNT|FILE|PATH"
    r"|_URL|ENDPOINT|HEADER|_NAME|LOCK|DELAY|PERIOD|SECONDS|MINUTES|HOURS|DAYS"
    r"|ENABLED|REQUIRED|_TYPE|_ALGORITHM)"
)
# Agents that configure themselves from variables with a fixed prefix: when the
# code loads one, the example file's names with that prefix are its settings.
AGENT_PREFIXES: dict[str, str] = {
    "elastic-apm-node": "ELASTIC_APM_",
    "elasticapm": "ELASTIC_APM_",
    "newrelic": "NEW_RELIC_",
    "dd-trace": "DD_",
    "ddtrace": "DD_",
    "@opentelemetry/": "OTEL_",
    "opentelemetry": "OTEL_",
    "@sentry/": "SENTRY_",
    "sentry_sdk": "SENTRY_",
}
EXAMPLE_FILES = (
    ".env.example", ".env.sample", ".env.template", ".env.dist", "example.env",
    "sample.env", "env.example", ".env.local.example",
)  # fmt: skip
_AGENT_IMPORT = regex(
    r"""(?:require\(\s*['"]|from\s+['"]|import\s+['"]|^\s*import\s+|^\s*from\s+)"""
    r"""(?P<module>elastic-apm-node|elasticapm|newrelic|dd-trace|ddtrace"""
    r"""|@opentelemetry/|opentelemetry|@sentry/|sentry_sdk)"""
)
# One substring of each agent's module name: a file holding none imports none.
_AGENT_NEEDLES = register(
    "elastic",
    "newrelic",
    "dd-trace",
    "ddtrace",
    "opentelemetry",
    "sentry",
)
_YAML_PRECHECK = (
    *envvars_scripting.RUBY_PRECHECK,
    *envvars_placeholders.PLACEHOLDER_PRECHECK,
)
_EXAMPLE_LINE = regex(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")
_NOTE_DOTENV = "the file loads a .env file (python-dotenv)"


def extract(index: RepoIndex) -> Iterator[Fact]:
    """ENV_VAR facts for every variable read found in the repository."""
    facts: list[Fact] = []
    loaders: list[tuple[SourceText, int, str]] = []
    seen: set[tuple[str, str, int]] = set()
    agents: list[tuple[SourceText, int, str]] = []
    # Agents' settings are names of an example file with the agent's prefix:
    # without one, no agent import can give a fact, so none is searched for.
    has_examples = _has_agent_settings(index)

    rules: dict[str, _Rule] = {}
    for path in index.paths():
        rule = _rule_for(path)
        if rule is not None:
            rules[path] = rule
    go_files = [path for path in rules if path.endswith(".go")]
    if go_files:
        viper = envvars_go.viper_settings(
            s.text for s in index.texts(go_files) if s.holds(*envvars_go.VIPER)
        )
        scan_go = functools.partial(envvars_go.scan, viper=viper)
        for path in go_files:
            rules[path] = (scan_go, envvars_go.PRECHECK)
    for source in index.texts(rules):
        scanner, words = rules[source.path]
        if source.holds(*words):
            _add_reads(index, source, scanner, facts, seen)
        # Every path with a JS suffix has the JS rule: the suffixes are
        # compared only for the few that do.
        is_js = scanner is envvars_js.scan and source.path.endswith(JS_SUFFIXES)
        if is_js and source.holds(*envvars_js.DOTENV_SAFE):
            loader = envvars_js.dotenv_safe_example(source.text)
            if loader is not None:
                loaders.append((source, *loader))
        if (
            has_examples
            and source.path.endswith((*JS_SUFFIXES, ".py"))
            and source.holds(*_AGENT_NEEDLES)
        ):
            agents.extend(_agent_imports(source))

    if loaders:
        facts = list(_apply_dotenv_safe(index, facts, loaders))
    if agents:
        names = {fact.key for fact in facts}
        facts.extend(_agent_settings(index, agents, names))
    yield from facts


@functools.lru_cache(maxsize=4096)
def looks_secret(name: str) -> bool:
    """True when a variable's name says it holds a credential."""
    return is_secret_name(name, MORE_SECRET_NAME) and not NOT_SECRET_NAME.search(name)


def _add_reads(
    index: RepoIndex,
    source: SourceText,
    scanner: Scanner,
    facts: list[Fact],
    seen: set[tuple[str, str, int]],
) -> None:
    """Facts for the reads ``scanner`` finds in ``source`` not yet ``seen``."""
    try:
        reads = keep_app_names(scanner(source.text))
        if not reads:
            return
        note = ""
        is_python = source.path.endswith(".py")
        if is_python and envvars_python.loads_dotenv(source.text):
            note = _NOTE_DOTENV
        scope = index.scope(source.path)
        for read in reads:
            marker = (source.path, read.name, read.line_start)
            if marker not in seen:
                seen.add(marker)
                facts.append(_fact(source, read, note, scope))
    except (ValueError, RecursionError, IndexError):
        # A scanner bug or an odd file must not stop the analysis.
        logger.debug("env scan failed", extra={"path": source.path})


def _rule_for(path: str) -> "_Rule | None":
    """The scanner for ``path`` and the words it needs, or None."""
    if path.endswith(".py"):
        return _PYTHON_RULE  # most paths: what the suffix rule gives, sooner
    name = path.rpartition("/")[2]
    lowered = name.lower()
    if lowered.endswith((".min.js", ".d.ts")):
        return None  # bundles and type declarations: no reads of the program
    _, dot, suffix = lowered.rpartition(".")
    rule = _SUFFIX_RULES.get(suffix) if dot else None
    if rule is not None:
        return rule
    if dot and suffix not in _OTHER_SUFFIXES and name not in RUBY_NAMES:
        return None  # no rule below takes a file with this suffix
    if name in RUBY_NAMES:
        return envvars_scripting.scan_ruby, envvars_scripting.RUBY_PRECHECK
    if envvars_placeholders.is_spring_config(path):
        return (
            envvars_placeholders.scan_spring_config,
            envvars_placeholders.PLACEHOLDER_PRECHECK,
        )
    if envvars_placeholders.is_entrypoint_script(path):
        return (
            envvars_placeholders.scan_entrypoint,
            envvars_placeholders.ENTRYPOINT_PRECHECK,
        )
    if envvars_placeholders.is_shell_template(path):
        return (
            envvars_placeholders.scan_shell,
            envvars_placeholders.PLACEHOLDER_PRECHECK,
        )
    if lowered.endswith(YAML_SUFFIXES) and _is_app_config(path):
        return _scan_yaml, _YAML_PRECHECK
    if lowered.endswith(CONFIG_SUFFIXES) and _is_app_config(path):
        return (
            envvars_placeholders.scan_config,
            envvars_placeholders.PLACEHOLDER_PRECHECK,
        )
    return None


def _is_app_config(path: str) -> bool:
    """Configuration read at run time, not a CI pipeline's."""
    return classify_scope(path) is not Scope.CI and not path.startswith(".")


def _scan_erb(text: str) -> Iterable[EnvRead]:
    return envvars_scripting.scan_ruby(text, erb_only=True)


def _scan_yaml(text: str) -> Iterator[EnvRead]:
    """YAML: Rails-style ERB tags, else ``${X}`` placeholders."""
    if "<%" in text:
        yield from envvars_scripting.scan_ruby(text, erb_only=True)
    else:
        yield from envvars_placeholders.scan_config(text)


def _fact(source: SourceText, read: EnvRead, note: str, scope: Scope) -> Fact:
    evidence = source.evidence(read.line_start, read.line_end)
    secret = looks_secret(read.name)
    default = read.default
    if default is not None and ("{{" in default or "{%" in default):
        default = None  # a project template's variable, not a value
    notes = [part for part in (read.note, note) if part]
    if secret and default:
        evidence = _without(evidence, default)
        default = None
        notes.append("default withheld: the name says it holds a secret")
    placeholder = read.rule.startswith(("config.", "spring.placeholder", "shell."))
    return Fact(
        kind=FactKind.ENV_VAR,
        key=read.name,
        source=f"envvars.{read.rule}",
        evidence=(evidence,),
        scope=scope,
        weight=WEIGHT_MANIFEST if placeholder else WEIGHT_DECLARED,
        note="; ".join(notes),
        attrs={"required": read.required, "default": default, "secret": secret},
    )


def _without(evidence: Evidence, value: str) -> Evidence:
    """The evidence with ``value`` masked in its display."""
    return dataclasses.replace(evidence, display=evidence.display.replace(value, "***"))


def _apply_dotenv_safe(
    index: RepoIndex, facts: list[Fact], loaders: list[tuple[SourceText, int, str]]
) -> Iterator[Fact]:
    """Facts for the names dotenv-safe requires; reads of them become required."""
    required: set[str] = set()
    extra: list[Fact] = []
    for source, line, written in loaders:
        example = _find_example(index, source.path, written)
        if example is None:
            continue
        loader_evidence = source.evidence(line)
        for number, match in example.find_lines(_EXAMPLE_LINE()):
            name = match.group(1)
            if not keep_app_names([EnvRead(name, number, number, "")]):
                continue
            required.add(name)
            extra.append(
                Fact(
                    kind=FactKind.ENV_VAR,
                    key=name,
                    source="envvars.js.dotenv_safe",
                    evidence=(loader_evidence, example.evidence(number)),
                    scope=index.scope(source.path),
                    weight=WEIGHT_DECLARED,
                    note=f"dotenv-safe requires every name of {example.path}",
                    attrs={
                        "required": True,
                        "default": None,
                        "secret": looks_secret(name),
                    },
                )
            )

    for fact in facts:
        if fact.key in required and fact.attrs.get("required") is None:
            attrs = {**fact.attrs, "required": True}
            fact = dataclasses.replace(fact, attrs=attrs)
        yield fact
    yield from extra


def _agent_imports(source: SourceText) -> Iterator[tuple[SourceText, int, str]]:
    """``(file, line, module)`` for each agent the file imports."""
    for number, match in source.find_lines(_AGENT_IMPORT()):
        yield source, number, match["module"]


def _has_agent_settings(index: RepoIndex) -> bool:
    """True when some example file names a variable with an agent's prefix."""
    prefixes = tuple(set(AGENT_PREFIXES.values()))
    for example in index.texts(index.named(*EXAMPLE_FILES)):
        for _number, match in example.find_lines(_EXAMPLE_LINE()):
            if match.group(1).startswith(prefixes):
                return True
    return False


def _agent_settings(
    index: RepoIndex, agents: list[tuple[SourceText, int, str]], read: set[str]
) -> Iterator[Fact]:
    """Names of an example file that an imported agent reads by its prefix."""
    done: set[str] = set()
    for source, line, module in agents:
        prefix = AGENT_PREFIXES[module]
        for name in EXAMPLE_FILES:
            example = _find_example(index, source.path, name)
            if example is None:
                continue
            for number, match in example.find_lines(_EXAMPLE_LINE()):
                key = match.group(1)
                if not key.startswith(prefix) or key in read or key in done:
                    continue
                done.add(key)
                yield Fact(
                    kind=FactKind.ENV_VAR,
                    key=key,
                    source="envvars.agent_settings",
                    evidence=(source.evidence(line), example.evidence(number)),
                    status=Status.INFERRED,
                    scope=index.scope(source.path),
                    weight=WEIGHT_CONVENTION,
                    note=f"read by {module} (variables starting {prefix})",
                    attrs={
                        "required": None,
                        "default": None,
                        "secret": looks_secret(key),
                    },
                )


def _find_example(index: RepoIndex, loader: str, written: str) -> SourceText | None:
    """The example file a dotenv-safe call checks, as the loader names it."""
    folder = posixpath.dirname(loader)
    candidates: list[str] = []
    while True:
        candidates.append(posixpath.normpath(posixpath.join(folder, written)))
        candidates.append(
            posixpath.normpath(posixpath.join(folder, posixpath.basename(written)))
        )
        if not folder:
            break
        folder = posixpath.dirname(folder)
    for candidate in candidates:
        if not candidate.startswith("..") and index.exists(candidate):
            found = index.read(candidate)
            if found is not None:
                return found
    return None


# A scanner and the words a file must hold (one of them) for it to find any
# read: each scanner looks for one of them before anything else, so a file
# holding none is skipped with the same result. (Here, after the scanners of
# this module that the rules name.)
_Rule = tuple[Scanner, tuple[str, ...]]

# Rules decided by the file's last suffix alone (lower-cased).
_PYTHON_RULE: _Rule = (envvars_python.scan, envvars_python.PRECHECK)
_SUFFIX_RULES: dict[str, _Rule] = {
    "py": _PYTHON_RULE,
    **{s[1:]: (envvars_js.scan, envvars_js.PRECHECK) for s in JS_SUFFIXES},
    "go": (envvars_go.scan, envvars_go.PRECHECK),
    "rs": (envvars_rust.scan, envvars_rust.PRECHECK),
    **{
        s[1:]: (envvars_scripting.scan_ruby, envvars_scripting.RUBY_PRECHECK)
        for s in RUBY_SUFFIXES
    },
    **{s[1:]: (_scan_erb, envvars_scripting.RUBY_PRECHECK) for s in ERB_SUFFIXES},
    "php": (envvars_scripting.scan_php, envvars_scripting.PHP_PRECHECK),
    **{
        s: (envvars_scripting.scan_elixir, envvars_scripting.ELIXIR_PRECHECK)
        for s in ("ex", "exs")
    },
    "prisma": (envvars_placeholders.scan_prisma, envvars_placeholders.PRISMA_PRECHECK),
    **{
        s[1:]: (envvars_placeholders.scan_jvm, envvars_placeholders.JVM_PRECHECK)
        for s in JVM_SUFFIXES
    },
}
# Every suffix that the other rules of ``_rule_for`` may take (spring
# configuration, scripts, templates, YAML and configuration files).
_OTHER_SUFFIXES = frozenset(
    s.rpartition(".")[2].lower()
    for s in (
        ".properties",
        *YAML_SUFFIXES,
        *CONFIG_SUFFIXES,
        *envvars_placeholders.TEMPLATE_SUFFIXES,
        ".sh",
        ".bash",
    )
)
