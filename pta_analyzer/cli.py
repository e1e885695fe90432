"""The ``pta`` command line.

``pta analyze TARGET -o OUT`` writes a dossier; ``pta validate OUT`` re-checks
one. Other packages add subcommands (``pta db upgrade``, ``pta serve``...)
through the ``pta.commands`` entry-point group: each entry point is a function
``register(subparsers)``. Exit codes: 0 success, 2 bad arguments, and one
code per error (see ``pta_analyzer.errors.EXIT_CODES`` and the README).
"""

import argparse
import gc
import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from pta_analyzer import tool_version
from pta_analyzer.api import analyze_repository
from pta_analyzer.errors import (
    EXIT_CODES,
    AnalyzerError,
    DossierInvalid,
    ErrorCode,
    OutputUnwritable,
)
from pta_analyzer.extract import default_jobs
from pta_analyzer.source import checkout
from pta_analyzer.validate import validate_dossier

logger = logging.getLogger(__name__)

PLUGIN_GROUP = "pta.commands"
BUILTIN_COMMANDS = frozenset({"analyze", "validate"})


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(with_plugins=_names_a_plugin(arguments))
    args = parser.parse_args(arguments)
    _configure_logging(args.verbose)
    try:
        status: int = args.handler(args)
    except AnalyzerError as error:
        print(f"pta: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("pta: interrupted", file=sys.stderr)
        return 130
    return status


def build_parser(*, with_plugins: bool = True) -> argparse.ArgumentParser:
    """The argument parser with every subcommand, plugins included if asked."""
    parser = argparse.ArgumentParser(
        prog="pta",
        description="Program Totality Analyzer: how to run a repository, with proof.",
    )
    parser.add_argument("--version", action="version", version=tool_version())
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="debug logging on stderr"
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_analyze(subparsers)
    _add_validate(subparsers)
    if with_plugins:
        _add_plugins(subparsers)
    return parser


def _add_plugins(
    subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]",
) -> None:
    # Imported here: reading installed metadata costs ``pta analyze`` nothing.
    from importlib.metadata import entry_points

    for entry in sorted(entry_points(group=PLUGIN_GROUP), key=lambda e: e.name):
        entry.load()(subparsers)


def _names_a_plugin(arguments: Sequence[str]) -> bool:
    """False when the command is one of ours: plugins take time to find and load."""
    command = next((a for a in arguments if not a.startswith("-")), None)
    return command not in BUILTIN_COMMANDS


def _add_analyze(
    subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]",
) -> None:
    parser = subparsers.add_parser(
        "analyze", help="write the dossier of a repository",
        description="Analyze a directory, a git repository or a git URL.",
    )  # fmt: skip
    parser.add_argument("target", help="directory, git repository, or git URL")
    parser.add_argument(
        "-o", "--out", required=True, type=Path, help="output directory"
    )
    parser.add_argument("--ref", help="branch, tag or commit to analyze (git targets)")
    parser.add_argument(
        "--run-id", help="id written into the outputs (default: random)"
    )
    parser.add_argument(
        "--name", help="the target's name in the outputs (default: its directory's)"
    )
    parser.add_argument(
        "--url", help="the repository URL to record for a checkout made elsewhere"
    )
    parser.add_argument(
        "-j", "--jobs", type=_positive_int, default=None, metavar="N",
        help="processes that run the extractors (default: the CPUs, up to 4)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    parser.set_defaults(handler=_run_analyze)


def _positive_int(text: str) -> int:
    """A ``--jobs`` value: a whole number from 1 up."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return value


def _add_validate(
    subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]",
) -> None:
    parser = subparsers.add_parser(
        "validate", help="re-check a dossier's schemas and evidence hashes",
        description="Validate a dossier; with --repo, re-hash every cited line.",
    )  # fmt: skip
    parser.add_argument("out", type=Path, help="the dossier directory")
    parser.add_argument("--repo", type=Path, help="checkout the evidence refers to")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=_run_validate)


def _run_analyze(args: argparse.Namespace) -> int:
    _check_output_dir(args.out)
    show = _progress_printer(sys.stderr, enabled=not args.quiet and sys.stderr.isatty())
    with _collector_paused(), checkout(args.target, args.ref) as source:
        target = source.target._replace(
            name=args.name or source.target.name,
            url=args.url or source.target.url,
        )
        result = analyze_repository(
            source.root,
            args.out,
            target=target,
            run_id=args.run_id,
            progress=show,
            jobs=args.jobs or default_jobs(),
        )
    if args.json:
        print(json.dumps(result.summary, indent=2))
    else:
        _print_summary(result.summary, sys.stdout)
    return 0


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside; after it, none of what is alive then.

    An analysis builds a heap that lives until it ends and makes almost no
    reference cycles (a few hundred objects on saleor): a collection would
    only walk it. The objects alive at the end are frozen: the collections
    at the interpreter's exit would walk them too, and the exit frees them.
    """
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def _run_validate(args: argparse.Namespace) -> int:
    if not args.out.is_dir():
        raise DossierInvalid(f"{args.out}: not a directory")
    if args.repo is not None and not args.repo.is_dir():
        raise DossierInvalid(f"{args.repo}: repository directory not found")
    problems = validate_dossier(args.out, args.repo)
    if args.json:
        print(json.dumps({"valid": not problems, "problems": problems}, indent=2))
    elif problems:
        print(f"{args.out}: {len(problems)} problem(s)", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
    else:
        checked = "schemas and evidence hashes" if args.repo else "schemas"
        print(f"{args.out}: valid ({checked})")
    return EXIT_CODES[ErrorCode.DOSSIER_INVALID] if problems else 0


def _check_output_dir(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise OutputUnwritable(f"{out}: exists and is not a directory")
    candidates = (
        [out, *out.parents] if out.is_absolute() else [out, *out.parents, Path()]
    )
    probe = next(p for p in candidates if p.exists())
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputUnwritable(f"{out}: permission denied")


def _progress_printer(stream: TextIO, enabled: bool) -> Any:
    def show(stage: str) -> None:
        if enabled:
            print(f"pta: {stage}", file=stream, flush=True)

    return show


def _print_summary(summary: dict[str, Any], stream: TextIO) -> None:
    lines = [
        f"Dossier written to {summary['out_dir']}",
        f"  kind:      {summary['kind'] or 'unknown'}",
        f"  languages: {', '.join(summary['languages']) or 'none recognised'}",
    ]
    for key in ("install", "dev", "prod", "test"):
        lines.append(f"  {key + ':':10} {summary[key] or '(unknown)'}")
    ports = ", ".join(str(p) for p in summary["ports"]) or "(none)"
    services = ", ".join(summary["services"]) or "(none)"
    lines += [
        f"  ports:     {ports}",
        f"  env vars:  {summary['env_vars']}   services: {services}",
        f"  gaps:      {summary['gaps']}   secrets: {summary['secrets']}   "
        f"readiness: {summary['readiness']}/100",
        "  read DOSSIER.md there; check it with: pta validate OUT --repo TARGET",
    ]
    print("\n".join(lines), file=stream)


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
