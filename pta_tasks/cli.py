"""The service's subcommands of ``pta``: db, submit, worker, beat, reconcile, serve.

``register(subparsers)`` is called by the ``pta`` command for the entry point
group ``pta.commands``; ``python -m pta_tasks`` offers the same commands
without it. Each command loads the settings once and exits non-zero with the
error's ``CODE: detail`` on stderr.
"""

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence

from pta_tasks.errors import PtaError
from pta_tasks.settings import Settings, load_settings

logger = logging.getLogger(__name__)

Handler = Callable[[argparse.Namespace, Settings], int]
EXIT_FAILURE = 1
EXIT_DISABLED = 3


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add the service's subcommands to the ``pta`` parser."""
    db = subparsers.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser("upgrade", help="apply the migrations")
    upgrade.set_defaults(handler=_wrap(_db_upgrade))
    check = db_commands.add_parser("check", help="fail if the schema is behind")
    check.set_defaults(handler=_wrap(_db_check))

    submit = subparsers.add_parser("submit", help="queue a repository for analysis")
    submit.add_argument("url", help="repository URL (or a path, for the CLI)")
    submit.add_argument("--ref", help="branch, tag or commit to analyze")
    submit.add_argument("--commit", help="the exact commit id (40 hex digits)")
    submit.set_defaults(handler=_wrap(_submit))

    worker = subparsers.add_parser("worker", help="run a Celery worker")
    worker.add_argument("--concurrency", type=int, help="pool processes")
    worker.add_argument("--loglevel", default="INFO")
    worker.add_argument("--hostname", help="worker node name")
    worker.set_defaults(handler=_wrap(_worker))

    beat = subparsers.add_parser("beat", help="run the reconciler's schedule")
    beat.add_argument("--loglevel", default="INFO")
    beat.set_defaults(handler=_wrap(_beat))

    reconcile = subparsers.add_parser("reconcile", help="run one reconciler pass")
    reconcile.set_defaults(handler=_wrap(_reconcile))

    serve = subparsers.add_parser(
        "serve", help="run the API, one worker and beat together (embedded)"
    )
    serve.set_defaults(handler=_wrap(_serve))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m pta_tasks``: the same subcommands as ``pta``."""
    parser = argparse.ArgumentParser(prog="pta")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    status: int = args.handler(args)
    return status


def _wrap(handler: Handler) -> Callable[[argparse.Namespace], int]:
    # The ``pta`` command calls ``args.handler(args)``; settings are loaded
    # here, once, and every expected failure becomes ``CODE: detail``.
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args, load_settings())
        except PtaError as error:
            print(f"pta: {error}", file=sys.stderr)
            return EXIT_FAILURE

    return run


def _db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from pta_tasks.db import current_revision, make_engine, upgrade_database

    engine = make_engine(settings.database_url)
    upgrade_database(engine)
    print(json.dumps({"revision": current_revision(engine)}))
    return 0


def _db_check(args: argparse.Namespace, settings: Settings) -> int:
    from pta_tasks.db import check_schema_current, make_engine

    check_schema_current(make_engine(settings.database_url))
    return 0


def _submit(args: argparse.Namespace, settings: Settings) -> int:
    from pta_tasks.app import create_celery, make_dispatcher
    from pta_tasks.db import check_schema_current, make_engine, make_sessionmaker
    from pta_tasks.enqueue import enqueue_run

    engine = make_engine(settings.database_url)
    check_schema_current(engine)
    # The CLI may name a local path unless ALLOW_LOCAL_REPOS says otherwise.
    allow_local = True if "ALLOW_LOCAL_REPOS" not in os.environ else None
    app = create_celery(settings, with_tasks=False)
    result = enqueue_run(
        make_sessionmaker(engine),
        settings,
        make_dispatcher(app),
        args.url,
        ref=args.ref,
        commit_sha=args.commit,
        event_type="cli",
        allow_local=allow_local,
    )
    out = {"run_id": str(result.run_id), "status": result.status}
    print(json.dumps(out | {"created": result.created}))
    return 0


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from pta_tasks.worker import run_worker

    if not settings.worker_enabled:
        print(
            "CI_WORKER_ENABLED is false: this worker refuses to start",
            file=sys.stderr,
        )
        return EXIT_DISABLED
    return run_worker(settings, args.concurrency, args.loglevel, args.hostname)


def _beat(args: argparse.Namespace, settings: Settings) -> int:
    from pta_tasks.worker import run_beat

    return run_beat(settings, args.loglevel)


def _reconcile(args: argparse.Namespace, settings: Settings) -> int:
    from pta_tasks.reconcile import reconcile_once
    from pta_tasks.worker import Runtime

    report = reconcile_once(Runtime(settings))
    print(json.dumps(report))
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from pta_tasks.embedded import serve

    return serve(settings)
