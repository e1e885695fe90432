"""Ports set in a JavaScript tool's configuration file.

``vite.config.ts`` ``server: { port: 3001 }`` (and the same in Vite-based
tools' configs) replaces the tool's default port, so it is the port to report
and the default is not.
"""

from collections.abc import Iterator

from pta_analyzer.deferred import regex
from pta_analyzer.facts import WEIGHT_MANIFEST, Fact, FactKind
from pta_analyzer.index import RepoIndex
from pta_analyzer.scope import Scope

CONFIG_NAMES = tuple(
    f"{tool}.config.{suffix}"
    for tool in ("vite", "vitest", "astro", "nuxt")
    for suffix in ("js", "ts", "mjs", "cjs", "mts")
)
# Characters after ``server`` within which its ``port`` must stand.
SERVER_BLOCK_CHARS = 400

_SERVER = regex(r"\bserver\s*:\s*\{")
_PORT = regex(r"\bport\s*:\s*(?P<port>\d{2,5})\b")


def config_ports(index: RepoIndex, directory: str, scope: Scope) -> Iterator[Fact]:
    """PORT facts for ``server.port`` in the tool configs of ``directory``."""
    prefix = f"{directory}/" if directory else ""
    for source in index.texts(prefix + name for name in CONFIG_NAMES):
        text = source.text
        for server in _SERVER().finditer(text):
            block = text[server.end() : server.end() + SERVER_BLOCK_CHARS]
            found = _PORT().search(block)
            if found is None or not 1 <= int(found["port"]) <= 65535:
                continue
            line = source.line_of_offset(server.end() + found.start())
            yield Fact(
                FactKind.PORT,
                str(int(found["port"])),
                "node.config_port",
                evidence=(source.evidence(line),),
                scope=scope,
                weight=WEIGHT_MANIFEST,
                cwd=directory,
                note=f"server.port in {source.path}",
                attrs={"role": "config"},
            )
            break
