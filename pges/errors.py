"""Errors of the PGEs. Each carries a ``code`` the orchestrator routes on and the process exit code.

``InputValidationError`` (exit 2) is never retried: the run-config or an input is wrong and a retry would
fail the same way. ``ProcessingError`` (exit 1) is a failure that a retry may fix.
"""

from __future__ import annotations

__all__ = ["InputValidationError", "PGEError", "ProcessingError"]


class PGEError(Exception):
    """Base of every PGE error: a one-line message saying what was wrong and what to do."""

    code: str = "PGE_ERROR"
    exit_code: int = 1


class InputValidationError(PGEError, ValueError):
    """Invalid input: unknown run-config key, missing DEM, corrupt raster, inputs that do not overlap.

    ``parameter`` names the run-config parameter at fault when one is (``"reference"``), so that a caller that
    set it from an option of its own can name that option.
    """

    code = "INVALID_INPUT"
    exit_code = 2

    def __init__(self, message: str, *, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter


class ProcessingError(PGEError, RuntimeError):
    """Processing failed on valid input (a crashed unwrapper, a full disk, an upload that failed)."""

    code = "PROCESSING_FAILED"
    exit_code = 1
