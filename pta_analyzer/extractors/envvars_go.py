"""Environment variables read by Go code.

``os.Getenv``, ``os.LookupEnv``, struct tags ``env:"X"`` (caarlos0/env) and
``envconfig:"X"`` (kelseyhightower/envconfig), and viper: ``BindEnv`` and, after
``AutomaticEnv()``, the keys read with ``Get*("key")`` under ``SetEnvPrefix``.
"""

import re
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import NamedTuple

from pta_analyzer.deferred import regex
from pta_analyzer.extractors.envvars_common import (
    NAME,
    NAME_ARG,
    EnvRead,
    LineMap,
    blank_comments,
    constants,
    resolve_name,
)
from pta_analyzer.needles import register

# Every rule of ``scan`` needs one of these words in the file.
PRECHECK = register("Getenv", "LookupEnv", "viper", 'env:"', 'envconfig:"')
VIPER = register("viper")

_GETENV = regex(rf"\bos\.Getenv\(\s*{NAME_ARG}\s*\)")
_LOOKUP = regex(rf"\bos\.LookupEnv\(\s*{NAME_ARG}\s*\)")
_TAG = regex(
    r"`[^`\n]*\b(?P<lib>env|envconfig):\"(?P<name>[A-Za-z_]\w*)(?P<opts>[^\"]*)\"[^`\n]*`"
)
_TAG_DEFAULT = regex(r"\b(?:envDefault|default):\"(?P<value>[^\"]*)\"")
_TAG_REQUIRED = regex(r"\brequired:\"true\"")
_ENVCONFIG_PREFIX = regex(r"envconfig\.(?:Process|MustProcess)\(\s*\"(?P<prefix>\w+)\"")
_VIPER_PREFIX = regex(r"\bSetEnvPrefix\(\s*\"(?P<prefix>\w+)\"\s*\)")
_VIPER_GET = regex(
    r"\bviper\.Get(?:String|Int|Int32|Int64|Bool|Float64|Duration|StringSlice|Uint|Time)?"
    r"\(\s*\"(?P<key>[\w.-]+)\"\s*\)"
)
_VIPER_BIND = regex(
    r"\bBindEnv\(\s*\"(?P<key>[\w.-]+)\"\s*(?:,\s*\"(?P<env>\w+)\"\s*)?\)"
)
_VIPER_DEFAULT = regex(
    r"\bSetDefault\(\s*\"(?P<key>[\w.-]+)\"\s*,\s*(?P<value>\"[^\"\n]*\"|[\w.]+)"
)


class Viper(NamedTuple):
    """Viper's environment settings for the whole module.

    ``AutomaticEnv()`` and ``SetEnvPrefix`` are usually called once (in the
    root command) while keys are read with ``viper.Get*`` in other packages.
    """

    automatic: bool = False
    prefix: str = ""
    replaces_dots: bool = False
    defaults: Mapping[str, str] = MappingProxyType({})  # read-only: one is shared


def viper_settings(texts: Iterable[str]) -> Viper:
    """The viper settings stated anywhere in the module's Go files."""
    automatic, prefix, replaces_dots = False, "", False
    defaults: dict[str, str] = {}
    for text in texts:
        if "viper" not in text:
            continue
        code = blank_comments(text, "c")
        automatic = automatic or "AutomaticEnv()" in code
        found = _VIPER_PREFIX().search(code)
        prefix = prefix or (found["prefix"].upper() + "_" if found else "")
        replaces_dots = replaces_dots or _replaces_dots(code)
        for match in _VIPER_DEFAULT().finditer(code):
            defaults.setdefault(match["key"], match["value"].strip('"'))
    return Viper(automatic, prefix, replaces_dots, defaults)


def scan(text: str, viper: Viper | None = None) -> Iterator[EnvRead]:
    """Every variable read of one Go file (``viper``: the module's settings)."""
    if not any(word in text for word in PRECHECK):
        return
    tags = LineMap(text)
    yield from _scan_tags(text, tags)  # tags live in raw strings: scan unblanked

    code = blank_comments(text, "c")
    consts = constants(code)
    lines = LineMap(code)
    for match in _GETENV().finditer(code):
        name = resolve_name(match, consts)
        if name:
            yield EnvRead(name, *lines.span(match.start(), match.end()), "go.getenv")
    for match in _LOOKUP().finditer(code):
        name = resolve_name(match, consts)
        if name:
            yield EnvRead(
                name, *lines.span(match.start(), match.end()), "go.lookupenv", False
            )
    if "viper" in code:
        yield from _scan_viper(code, lines, viper or Viper())


def _scan_tags(text: str, lines: LineMap) -> Iterator[EnvRead]:
    if 'env:"' not in text and 'envconfig:"' not in text:
        return
    prefix_match = _ENVCONFIG_PREFIX().search(text)
    prefix = prefix_match["prefix"].upper() + "_" if prefix_match else ""
    for match in _TAG().finditer(text):
        options = match.group(0)
        default = _TAG_DEFAULT().search(options)
        required = (
            ",required" in match.group("opts")
            or _TAG_REQUIRED().search(options) is not None
        )
        name = match.group("name")
        if match.group("lib") == "envconfig":
            name = prefix + name
        line = lines.line(match.start())
        yield EnvRead(
            name,
            line,
            line,
            f"go.{match.group('lib')}_tag",
            False if default else (True if required else None),
            default["value"] if default else None,
        )


def _scan_viper(code: str, lines: LineMap, module: Viper) -> Iterator[EnvRead]:
    prefix_match = _VIPER_PREFIX().search(code)
    prefix = prefix_match["prefix"].upper() + "_" if prefix_match else module.prefix
    replaces_dots = _replaces_dots(code) or module.replaces_dots
    defaults = dict(module.defaults)
    defaults.update(
        {m["key"]: m["value"].strip('"') for m in _VIPER_DEFAULT().finditer(code)}
    )

    def env_name(key: str) -> str | None:
        if replaces_dots:
            key = key.replace(".", "_")
        name = (prefix + key).upper().replace("-", "_")
        return name if NAME.match(name) else None

    for match in _VIPER_BIND().finditer(code):
        name = match["env"] or env_name(match["key"])
        if name:
            yield _viper_read(name, match, lines, defaults.get(match["key"]))

    if "AutomaticEnv()" not in code and not module.automatic:
        return
    for match in _VIPER_GET().finditer(code):
        name = env_name(match["key"])
        if name:
            yield _viper_read(name, match, lines, defaults.get(match["key"]))


def _replaces_dots(code: str) -> bool:
    return 'NewReplacer(".","_")' in code.replace(" ", "")


def _viper_read(
    name: str, match: "re.Match[str]", lines: LineMap, default: str | None
) -> EnvRead:
    return EnvRead(
        name, *lines.span(match.start(), match.end()), "go.viper",
        False if default is not None else None, default,
    )  # fmt: skip
