"""Whether the repository is a web framework's own package (Flask, Express).

The README of a framework shows how its users build and start their own
applications: ``localhost`` URLs and start commands in it are the users',
not the repository's. The root manifest's package name tells.
"""

import json
import logging
import re

from pta_analyzer.extractors._python_common import load_toml, normalise_name, table
from pta_analyzer.extractors.node_frameworks import FRAMEWORKS as NODE_FRAMEWORKS
from pta_analyzer.extractors.python import FRAMEWORKS as PYTHON_FRAMEWORKS
from pta_analyzer.index import RepoIndex

logger = logging.getLogger(__name__)

_SETUP_NAME = re.compile(r"^name\s*=\s*(\S+)\s*$", re.M)


def is_framework_package(index: RepoIndex) -> bool:
    """True when the root manifest publishes a known web framework."""
    return any(
        name in PYTHON_FRAMEWORKS or name in NODE_FRAMEWORKS
        for name in _root_package_names(index)
    )


def _root_package_names(index: RepoIndex) -> list[str]:
    names: list[str] = []
    pyproject = index.read("pyproject.toml") if index.exists("pyproject.toml") else None
    data = load_toml(pyproject) if pyproject is not None else None
    if data is not None and table(data, "build-system"):
        name = table(data, "project").get("name")
        if isinstance(name, str):
            names.append(normalise_name(name))
    setup_cfg = index.read("setup.cfg") if index.exists("setup.cfg") else None
    if setup_cfg is not None and "[metadata]" in setup_cfg.text:
        found = _SETUP_NAME.search(setup_cfg.text)
        if found:
            names.append(normalise_name(found.group(1)))
    package = index.read("package.json") if index.exists("package.json") else None
    if package is not None:
        names.extend(_node_name(package.text))
    return names


def _node_name(text: str) -> list[str]:
    try:
        data = json.loads(text)
    except ValueError:
        logger.debug("package.json not parsed")
        return []
    if not isinstance(data, dict) or data.get("private") is True:
        return []
    name = data.get("name")
    return [name.lower()] if isinstance(name, str) else []
