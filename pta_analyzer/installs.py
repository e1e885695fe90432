"""What an install command installs: the project itself, or named packages.

``pip install -r requirements.txt``, ``pip install -e .``, ``npm ci``,
``cargo install --path .`` set up the checkout they run in. ``pip install
semgrep``, ``go install x@latest`` or ``cargo install cargo-nextest`` fetch
named packages from a registry: tools, or a published release of the
project, never the checkout's own dependencies. ``named_packages`` tells the
two apart; it is a pure function of the command text.
"""

from collections.abc import Sequence

from pta_analyzer.deferred import regex
from pta_analyzer.shelltools import ASSIGNMENT, words_of
from pta_analyzer.shellwords import path_name

# Options of each installer that take a separate value.
_PIP_VALUE_OPTIONS = frozenset(
    {
        "-c", "--constraint", "-t", "--target", "-i", "--index-url",
        "--extra-index-url", "-f", "--find-links", "--python", "--overrides",
        "--config-settings", "--config-setting", "-C", "--root", "--prefix",
        "--platform", "--python-version", "--only-binary", "--no-binary",
        "--trusted-host", "--src", "--upgrade-strategy", "-p",
    }
)  # fmt: skip
_PROJECT_OPTIONS = frozenset(
    {"-r", "--requirement", "-e", "--editable", "--path", "--requirements"}
)
_NPM_VALUE_OPTIONS = frozenset({"--prefix", "--registry", "--cache", "-w"})
_CARGO_VALUE_OPTIONS = frozenset(
    {"--version", "--git", "--branch", "--tag", "--rev", "--root", "--features"}
)
_WRAPPERS = frozenset({"sudo", "env", "time", "exec", "command"})
_SPECIFIER = regex(r"[\[<>=!~;@ ].*$")


def named_packages(command: str) -> list[str]:
    """The registry packages an install command names ([] for the checkout).

    ``pip install --user build boto3`` gives ``["build", "boto3"]``;
    ``pip install -e .``, ``npm install``, ``go mod download`` give ``[]``,
    and so does any command that is not an install.
    """
    words = _program_words(words_of(command))
    if not words:
        return []
    program = path_name(words[0])
    args = words[1:]
    if program in {"python", "python3", "py"} and args[:2] == ["-m", "pip"]:
        program, args = "pip", args[2:]
    if program == "uv" and args[:1] == ["pip"]:
        program, args = "pip", args[1:]
    if program in {"pip", "pip3", "pipx"} and args[:1] == ["install"]:
        return _names(args[1:], _PIP_VALUE_OPTIONS)
    if program in {"npm", "pnpm", "yarn", "bun"}:
        return _node_names(program, args)
    if program == "go" and args[:1] in (["install"], ["get"]):
        return _names(args[1:], frozenset({"-modfile"}))
    if program == "cargo" and args[:1] == ["install"]:
        return _names(args[1:], _CARGO_VALUE_OPTIONS)
    if program == "gem" and args[:1] == ["install"]:
        return _names(args[1:], frozenset({"-v", "--version"}))
    return []


def _program_words(words: Sequence[str]) -> list[str]:
    index = 0
    while index < len(words) and (
        ASSIGNMENT.match(words[index]) or words[index] in _WRAPPERS
    ):
        index += 1
    return list(words[index:])


def _node_names(program: str, args: Sequence[str]) -> list[str]:
    if not args:
        return []
    sub = args[0]
    if sub in {"install", "i", "add"} and (program != "yarn" or sub == "add"):
        return _names(args[1:], _NPM_VALUE_OPTIONS)
    if program == "yarn" and sub == "global" and args[1:2] == ["add"]:
        return _names(args[2:], _NPM_VALUE_OPTIONS)
    return []


def _names(args: Sequence[str], value_options: frozenset[str]) -> list[str]:
    """Package names among ``args``; [] when any argument is the checkout."""
    names: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        option = arg.split("=", 1)[0]
        if option in _PROJECT_OPTIONS:
            return []
        if arg.startswith("-"):
            skip = "=" not in arg and arg in value_options
            continue
        if _is_local(arg):
            return []
        names.append(_SPECIFIER().sub("", arg).lower())
    return [name for name in names if name]


def _is_local(arg: str) -> bool:
    """A path in the checkout (``.``, ``./x``, ``.[dev]``, ``./...``)."""
    if arg.startswith((".", "/", "~", "$")) or arg.startswith("file:"):
        return True
    return arg.endswith((".whl", ".tar.gz", ".txt")) and "/" in arg
