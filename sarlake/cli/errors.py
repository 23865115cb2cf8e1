"""How the CLI reports user errors: one line on stderr, exit code 2 (never retried)."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

__all__ = ["ErrorHandlingGroup", "environment_fault", "s3_refusal", "user_errors"]


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
    module = type(exc).__module__
    text = str(exc)
    refused = s3_refusal(exc)
    if refused is not None:
        return refused
    duckdb_http = module.startswith(("_duckdb", "duckdb")) and type(exc).__name__ == "HTTPException"
    if duckdb_http or module.startswith(("botocore", "urllib3")) or "AWS Error" in text or "curlCode" in text:
        return 1, (f"S3 did not answer ({type(exc).__name__}: {_first_line(exc)}); check SARLAKE_S3__ENDPOINT "
                   "and the network; timeouts: SARLAKE_S3__CONNECT_TIMEOUT_SECONDS, SARLAKE_S3__READ_TIMEOUT_SECONDS")
    if isinstance(exc, OSError):
        return 1, _first_line(exc)
    return None


#: S3's answers that a credential is unknown, wrong or not allowed (an expired token is refreshed on a retry)
_DENIED_CODES = ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AllAccessDisabled",
                 "InvalidToken", "AccountProblem")
#: the same refusal as the other S3 clients word it: pyarrow (pyiceberg's files), DuckDB's httpfs
_DENIED_TEXT = ("AWS Error ACCESS_DENIED", "(HTTP 403", "InvalidAccessKeyId", "SignatureDoesNotMatch")


def s3_refusal(exc: BaseException) -> tuple[int, str] | None:
    """Exit code 2 and a one-line message when S3 refused the lake's credentials (HTTP 403), else None.

    A 403 is a configuration fault: every retry is refused the same way, so it is not reported as an S3 that
    "did not answer" (exit 1) but names the settings that choose the credentials.
    """
    text = str(exc)
    error = getattr(exc, "response", None)
    if isinstance(error, dict) and type(exc).__module__.startswith("botocore"):
        code = str(error.get("Error", {}).get("Code", ""))
        status = error.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code == "ExpiredToken" or (status != 403 and code not in _DENIED_CODES):
            return None
    elif not any(marker in text for marker in _DENIED_TEXT):
        return None
    return 2, (f"S3 refused the lake's credentials ({_first_line(exc)}); set SARLAKE_S3__ACCESS_KEY_ID and "
               "SARLAKE_S3__SECRET_ACCESS_KEY (SQL reads: SARLAKE_S3__READ_ONLY_ACCESS_KEY_ID, ..._SECRET_ACCESS_KEY; "
               "unset: the AWS credential chain) to a key whose policy allows the lake's bucket")


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
