"""The analyzer's exceptions: one base, each subclass with a stable code.

The command line maps every code to its own exit status (see ``EXIT_CODES``),
so scripts can tell a missing path from an unknown ref without parsing text.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    """Stable codes of the analyzer's failures, shown as ``CODE: detail``."""

    TARGET_NOT_FOUND = "TARGET_NOT_FOUND"
    NOT_A_REPOSITORY = "NOT_A_REPOSITORY"
    INVALID_TARGET = "INVALID_TARGET"
    REPO_UNREACHABLE = "REPO_UNREACHABLE"
    REF_NOT_FOUND = "REF_NOT_FOUND"
    OUTPUT_UNWRITABLE = "OUTPUT_UNWRITABLE"
    DOSSIER_INVALID = "DOSSIER_INVALID"
    SCHEMA_INVALID = "SCHEMA_INVALID"
    INTERNAL_ERROR = "INTERNAL_ERROR"


# Exit status of ``pta`` for each code; 0 is success and 1 is reserved for
# argument errors reported by argparse (which uses 2) or unexpected bugs.
EXIT_CODES: dict[ErrorCode, int] = {
    ErrorCode.TARGET_NOT_FOUND: 3,
    ErrorCode.NOT_A_REPOSITORY: 4,
    ErrorCode.INVALID_TARGET: 5,
    ErrorCode.REPO_UNREACHABLE: 6,
    ErrorCode.REF_NOT_FOUND: 7,
    ErrorCode.OUTPUT_UNWRITABLE: 8,
    ErrorCode.DOSSIER_INVALID: 9,
    ErrorCode.SCHEMA_INVALID: 10,
    ErrorCode.INTERNAL_ERROR: 70,
}


class AnalyzerError(Exception):
    """Base of every error the analyzer raises on purpose."""

    code: ErrorCode = ErrorCode.INTERNAL_ERROR

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}"

    @property
    def exit_code(self) -> int:
        """The ``pta`` exit status for this error."""
        return EXIT_CODES[self.code]


class TargetNotFound(AnalyzerError):
    """Raised when the target path does not exist."""

    code = ErrorCode.TARGET_NOT_FOUND


class NotARepository(AnalyzerError):
    """Raised when the target is neither a directory nor a git repository."""

    code = ErrorCode.NOT_A_REPOSITORY


class InvalidTarget(AnalyzerError):
    """Raised when a target URL is malformed or uses a refused scheme."""

    code = ErrorCode.INVALID_TARGET


class RepoUnreachable(AnalyzerError):
    """Raised when a git URL cannot be cloned (no such host or repository)."""

    code = ErrorCode.REPO_UNREACHABLE


class RefNotFound(AnalyzerError):
    """Raised when ``--ref`` names no branch, tag or commit of the target."""

    code = ErrorCode.REF_NOT_FOUND


class OutputUnwritable(AnalyzerError):
    """Raised when the output directory cannot be created or written."""

    code = ErrorCode.OUTPUT_UNWRITABLE


class DossierInvalid(AnalyzerError):
    """Raised when a dossier fails its schemas or its evidence hashes."""

    code = ErrorCode.DOSSIER_INVALID


class SchemaInvalid(AnalyzerError):
    """Raised when freshly rendered output does not match its own schema (a bug)."""

    code = ErrorCode.SCHEMA_INVALID
