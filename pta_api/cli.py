"""``pta api ...``: serve the API, print its OpenAPI document.

``register(subparsers)`` is loaded by the ``pta`` command through the entry
point group ``pta.commands``.
"""

import argparse
import json
import sys

from pta_tasks.errors import ConfigError


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add ``pta api serve`` and ``pta api openapi``."""
    api = subparsers.add_parser("api", help="the REST API")
    commands = api.add_subparsers(dest="api_command", required=True)
    serve = commands.add_parser("serve", help="run the API under gunicorn (pta-api)")
    serve.set_defaults(handler=_serve)
    openapi = commands.add_parser("openapi", help="print the OpenAPI document")
    openapi.set_defaults(handler=_openapi)


def _serve(args: argparse.Namespace) -> int:
    from pta_api.server import main

    return main()


def _openapi(args: argparse.Namespace) -> int:
    from pta_api import create_app
    from pta_api.config import load_config
    from pta_api.openapi import openapi_document

    try:
        config = load_config()
    except ConfigError as error:
        print(error.detail, file=sys.stderr)
        return 2
    app = create_app(config)
    print(json.dumps(openapi_document(app, config), indent=2))
    return 0
