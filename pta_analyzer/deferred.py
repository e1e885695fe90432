"""Regular expressions compiled when first used, not when their module loads.

Compiling is most of what importing the extractors costs, and most patterns
belong to one language or file kind that a given repository may not have. A
pattern made with ``regex`` is compiled by its first call, in whichever
process runs the extractor that needs it (``--jobs`` workers compile theirs
side by side), and that call's result is returned from then on.
"""

import re
from collections.abc import Callable
from functools import cache


def regex(source: str, flags: int = 0) -> Callable[[], "re.Pattern[str]"]:
    """A function returning ``re.compile(source, flags)``, compiled once.

    Raises re.error on its first call when ``source`` is not a pattern.
    """

    @cache
    def compiled() -> "re.Pattern[str]":
        return re.compile(source, flags)

    return compiled
