"""PTA's analyzer: a repository directory in, an evidence-bound dossier out.

The library reads only the directory it is given and writes only the output
directory it is given. It imports neither Flask, Celery nor SQLAlchemy and
configures no logging handlers; the command line (``pta_analyzer.cli``) is the
only part that fetches a remote target or talks to a terminal.
"""

__version__ = "0.1.0"
TOOL_NAME = "pta"


def tool_version() -> str:
    """Return the version string written into every output, e.g. ``pta-0.1.0``."""
    return f"{TOOL_NAME}-{__version__}"
