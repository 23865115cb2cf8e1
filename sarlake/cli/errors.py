"""How the CLI reports user errors: one line on stderr, exit code 2 (never retried)."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

__all__ = ["ErrorHandlingGroup", "environment_fault", "user_errors"]


def user_errors() -> tuple[type[BaseException], ...]:
    """Exception types that mean bad input or configuration (exit 2), not a processing failure."""
    from lake.exceptions import LakeError

    kinds: list[type[BaseException]] = [LakeError, FileNotFoundError, ValueError]
    try:
        from pges.errors import InputValidationError

        kinds.append(InputValidationError)
    except ImportError:  # pragma: no cover - the PGEs are part of the package
        pass
    return tuple(kinds)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def environment_fault(exc: BaseException) -> tuple[int, str] | None:
    """Exit code and one-line message for a fault of the environment (disk, permissions, S3), or None.

    A folder that cannot be written is a configuration fault (exit 2, a retry fails the same way); a full
    disk or an S3 endpoint that does not answer is a failure that a later retry may fix (exit 1).
    """
    import errno

    if isinstance(exc, PermissionError):
        where = f" {exc.filename}" if exc.filename else ""
        return 2, f"permission denied:{where} ({exc.strerror or exc}); choose a folder you can write"
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        where = f" writing {exc.filename}" if exc.filename else ""
        return 1, f"no space left{where} ({exc.strerror}); free space or point SARLAKE_HOME elsewhere"
    from sarlake.s3_faults import s3_fault

    fault = s3_fault(exc)
    if fault is not None:  # credentials S3 refused, a bucket it lacks: exit 2, a retry fails the same way
        return (2 if fault.lasting else 1), fault.message
    if isinstance(exc, OSError):
        return 1, _first_line(exc)
    return None


class ErrorHandlingGroup(click.Group):
    """Click group that turns user errors into one line on stderr and exit code 2.

    Environment faults (permissions, a full disk, S3 not answering) and PGE failures are one line too, with
    exit code 2 when a retry cannot help and 1 when it may.
    """

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand; report a user error in one line and exit 2."""
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise  # Click reports these itself: a usage error or a bad option value (exit 2) names the option
        except BrokenPipeError:  # the reader went away (`sarlake tag list | head`): stop quietly, like a filter
            _quiet_stdout()
            ctx.exit(141)  # what a process killed by SIGPIPE reports to `set -o pipefail`
        except user_errors() as exc:
            click.echo(f"error: {_first_line(exc)}", err=True)
            ctx.exit(2)
        except Exception as exc:
            code, message = _classify(exc)
            if code is None:
                raise
            click.echo(f"error: {message}", err=True)
            ctx.exit(code)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's last flush does not fail on the closed pipe again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (click's test runner)
        pass


def _classify(exc: Exception) -> tuple[int | None, str]:
    try:
        from pges.errors import PGEError
    except ImportError:  # pragma: no cover - the PGEs are part of the package
        PGEError = ()  # type: ignore[assignment,misc]  # noqa: N806
    if isinstance(exc, PGEError):
        return int(getattr(exc, "exit_code", 1)), _first_line(exc)
    found = environment_fault(exc)
    cause = exc.__cause__ or exc.__context__
    if found is None and cause is not None and isinstance(cause, Exception):
        found = environment_fault(cause)
    return found if found is not None else (None, "")
