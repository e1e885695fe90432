"""Extractors: one small module per ecosystem or file kind.

Each module in this package defines ``extract(index: RepoIndex) -> Iterable[Fact]``,
a pure function of the repository's files. Modules are found by name, so adding
an extractor is adding a file; they run in name order, and the assembler's
result does not depend on that order.
"""

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from types import ModuleType

from pta_analyzer.facts import Fact
from pta_analyzer.index import RepoIndex

Extractor = Callable[[RepoIndex], Iterable[Fact]]


def all_extractors() -> list[tuple[str, Extractor]]:
    """Every extractor of this package as ``(module name, extract)``, sorted."""
    found: list[tuple[str, Extractor]] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        try:
            module: ModuleType = importlib.import_module(f"{__name__}.{info.name}")
        except Exception as error:  # reported by the caller like any failure
            found.append((info.name, _failing(error)))
            continue
        extract = getattr(module, "extract", None)
        if callable(extract):
            found.append((info.name, extract))
    return found


def _failing(error: Exception) -> Extractor:
    """An extractor standing in for a module that could not be imported."""

    def extract(_index: RepoIndex) -> Iterable[Fact]:
        raise error

    return extract
