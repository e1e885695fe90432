"""Whether the repository is a published library or framework (ky, Flask).

The README of a library shows how its users build and start their own
programs: ``localhost`` URLs and start commands in it are the users', not
the repository's. The root manifest tells: a package named as a known web
framework, or a published package with no start script, no command-line
entry and no file that starts or deploys an application.
"""

import json
import logging
import re
from typing import Any

from pta_analyzer.deferred import regex
from pta_analyzer.extractors._python_common import load_toml, normalise_name, table
from pta_analyzer.extractors.node_frameworks import FRAMEWORKS as NODE_FRAMEWORKS
from pta_analyzer.extractors.node_frameworks import SERVER_FRAMEWORKS
from pta_analyzer.extractors.python import ENTRY_FILES
from pta_analyzer.extractors.python import FRAMEWORKS as PYTHON_FRAMEWORKS
from pta_analyzer.index import RepoIndex
from pta_analyzer.scope import Scope

logger = logging.getLogger(__name__)

_SETUP_NAME = regex(r"^name\s*=\s*(\S+)\s*$", re.M)
_NODE_ENTRY_FILES = frozenset({"server.js", "server.ts", "app.js", "app.ts"})


def library_names(index: RepoIndex) -> list[str]:
    """The names the root manifest publishes the library under ([] for none).

    A package named as a known web framework is a library; so is a published
    package with no start script, no command-line entry and no entry file.
    """
    pyproject = _toml(index, "pyproject.toml")
    package = _json(index, "package.json")
    names = _python_names(index, pyproject) + _node_names(package)
    if any(n in PYTHON_FRAMEWORKS or n in NODE_FRAMEWORKS for n in names):
        return names
    if _has_entry_file(index):
        return []
    if _is_python_library(pyproject) or _is_node_library(package):
        return names
    return []


def is_library_package(index: RepoIndex) -> bool:
    """True when the root manifest publishes a library or a web framework."""
    return bool(library_names(index))


def _toml(index: RepoIndex, path: str) -> dict[str, Any] | None:
    source = index.read(path) if index.exists(path) else None
    return load_toml(source) if source is not None else None


def _json(index: RepoIndex, path: str) -> dict[str, Any] | None:
    source = index.read(path) if index.exists(path) else None
    if source is None:
        return None
    try:
        data = json.loads(source.text)
    except ValueError:
        logger.debug("manifest not parsed", extra={"path": path})
        return None
    return data if isinstance(data, dict) else None


def _python_names(index: RepoIndex, pyproject: dict[str, Any] | None) -> list[str]:
    names: list[str] = []
    if pyproject is not None and table(pyproject, "build-system"):
        name = table(pyproject, "project").get("name")
        if isinstance(name, str):
            names.append(normalise_name(name))
    setup_cfg = index.read("setup.cfg") if index.exists("setup.cfg") else None
    if setup_cfg is not None and "[metadata]" in setup_cfg.text:
        found = _SETUP_NAME().search(setup_cfg.text)
        if found:
            names.append(normalise_name(found.group(1)))
    return names


def _node_names(package: dict[str, Any] | None) -> list[str]:
    if package is None or package.get("private") is True:
        return []
    name = package.get("name")
    return [name.lower()] if isinstance(name, str) else []


def _is_python_library(pyproject: dict[str, Any] | None) -> bool:
    """A built distribution with no console scripts of its own."""
    if pyproject is None or not table(pyproject, "build-system"):
        return False
    project = table(pyproject, "project")
    scripts = table(pyproject, "project.scripts") or table(
        pyproject, "tool.poetry.scripts"
    )
    return bool(project.get("name")) and not scripts


def _is_node_library(package: dict[str, Any] | None) -> bool:
    """A public package exporting modules, with no start script or bin."""
    if package is None or package.get("private") is True:
        return False
    scripts = package.get("scripts")
    dependencies = package.get("dependencies")
    if isinstance(scripts, dict) and ("start" in scripts or "dev" in scripts):
        return False
    if isinstance(dependencies, dict) and any(
        NODE_FRAMEWORKS.get(name) in SERVER_FRAMEWORKS for name in dependencies
    ):
        return False
    exported = "main" in package or "exports" in package
    return exported and "bin" not in package


def _has_entry_file(index: RepoIndex) -> bool:
    """A file at the root or in a top-level directory that starts an app."""
    for path in index.paths():
        name = path.rpartition("/")[2]
        if name not in ENTRY_FILES and name not in _NODE_ENTRY_FILES:
            continue
        if path.count("/") <= 1 and index.scope(path) is Scope.APP:
            return True
    return False
