"""JavaScript frameworks recognised from dependencies, and their default ports.

A default port is reported only where the framework's own server has one
(Next.js and Create React App on 3000, Vite on 5173...); Express and Koa
listen wherever the code says, so they have none here.
"""

from pta_analyzer.deferred import regex

# Dependency name -> framework name.
FRAMEWORKS: dict[str, str] = {
    "express": "express", "koa": "koa", "fastify": "fastify",
    "@hapi/hapi": "hapi", "hapi": "hapi", "@nestjs/core": "nestjs",
    "next": "next", "nuxt": "nuxt", "nuxt3": "nuxt", "vite": "vite",
    "react-scripts": "react-scripts", "@angular/core": "angular",
    "vue": "vue", "@vue/cli-service": "vue-cli", "svelte": "svelte",
    "@sveltejs/kit": "sveltekit", "remix": "remix", "@remix-run/dev": "remix",
    "@remix-run/node": "remix", "@remix-run/react": "remix",
    "gatsby": "gatsby", "electron": "electron", "react": "react",
}  # fmt: skip

SERVER_FRAMEWORKS = frozenset(
    {"express", "koa", "fastify", "hapi", "nestjs", "next", "nuxt", "remix"}
)
FRONTEND_FRAMEWORKS = frozenset(
    {
        "vite", "react-scripts", "angular", "vue", "vue-cli", "svelte",
        "gatsby", "react",
    }
)  # fmt: skip

# Framework -> the port its development (or production) server uses by default.
DEFAULT_PORTS: dict[str, int] = {
    "next": 3000, "nuxt": 3000, "react-scripts": 3000, "remix": 3000,
    "vite": 5173, "angular": 4200, "gatsby": 8000, "vue-cli": 8080,
}  # fmt: skip
VITE_LEGACY_PORT = 3000  # Vite before 3.0

_MAJOR = regex(r"^\D*(\d+)")
_PORT_FLAG = regex(r"(?:--port[= ]|(?<![\w-])-p\s+)(\d{2,5})\b(?![:.\d])")
_PORT_ENV = regex(r"(?<![\w])PORT=(\d{2,5})\b")


def framework_of(dependency: str) -> str | None:
    """The framework a dependency is, or None."""
    return FRAMEWORKS.get(dependency)


def default_port(framework: str, version: str) -> int | None:
    """The framework's default port for a dependency at ``version``, or None."""
    if framework == "vite":
        major = _MAJOR().match(version)
        if major is not None and 0 < int(major.group(1)) < 3:
            return VITE_LEGACY_PORT
    return DEFAULT_PORTS.get(framework)


def script_ports(body: str) -> list[int]:
    """Ports a script sets with ``--port N``, ``-p N`` or ``PORT=N``."""
    found = [int(m.group(1)) for m in _PORT_FLAG().finditer(body)]
    found += [int(m.group(1)) for m in _PORT_ENV().finditer(body)]
    return sorted({port for port in found if 0 < port < 65536})
