"""What an S3 failure means for the person who sees it: refused credentials, no such bucket, or no answer.

The lake reaches S3 through three clients (boto3; pyarrow, under pyiceberg; DuckDB's httpfs), which word the same
failure differently. The CLI (:mod:`sarlake.cli.errors`) and the plugin apps (:func:`sarlake_plugins.request_errors.
unexpected`) both turn it into one line that names the settings to check.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["S3Fault", "s3_fault"]

#: S3's answers that a credential is unknown, wrong or not allowed (an expired token is refreshed on a retry)
_DENIED_CODES = ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AllAccessDisabled",
                 "InvalidToken", "AccountProblem")
#: the same refusal as the other S3 clients word it: pyarrow (pyiceberg's files), DuckDB's httpfs
_DENIED_TEXT = ("AWS Error ACCESS_DENIED", "(HTTP 403", "InvalidAccessKeyId", "SignatureDoesNotMatch")
#: a bucket S3 does not have, as boto3 (its code) and pyarrow word it
_NO_BUCKET = ("NoSuchBucket", "NO_SUCH_BUCKET")


@dataclass(frozen=True)
class S3Fault:
    """An S3 failure and its message; ``lasting``: the credentials or the bucket (a retry fails the same way)."""

    lasting: bool
    message: str


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _refused(exc: BaseException) -> bool:
    from lake.storage import error_code

    error = getattr(exc, "response", None)
    if isinstance(error, dict) and type(exc).__module__.startswith("botocore"):
        code = error_code(exc)
        status = error.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return code != "ExpiredToken" and (status == 403 or code in _DENIED_CODES)
    return any(marker in str(exc) for marker in _DENIED_TEXT)


def s3_fault(exc: BaseException) -> S3Fault | None:
    """The S3 failure ``exc`` is, with a one-line message naming the settings to check; None if not one."""
    if _refused(exc):
        return S3Fault(True, (
            f"S3 refused the lake's credentials ({_first_line(exc)}); set SARLAKE_S3__ACCESS_KEY_ID and "
            "SARLAKE_S3__SECRET_ACCESS_KEY (SQL reads: SARLAKE_S3__READ_ONLY_ACCESS_KEY_ID, ..._SECRET_ACCESS_KEY; "
            "unset: the AWS credential chain) to a key whose policy allows the lake's bucket"))
    from lake.storage import error_code

    module, text = type(exc).__module__, str(exc)
    if error_code(exc) == "NoSuchBucket" or any(marker in text for marker in _NO_BUCKET):
        return S3Fault(True, (
            f"S3 has no such bucket ({_first_line(exc)}); create it, or set SARLAKE_WAREHOUSE and "
            "SARLAKE_PRODUCTS_ROOT (and SARLAKE_S3__ENDPOINT, if it is another S3) to the lake's bucket"))
    duckdb_http = module.startswith(("_duckdb", "duckdb")) and type(exc).__name__ == "HTTPException"
    if duckdb_http or module.startswith(("botocore", "urllib3")) or "AWS Error" in text or "curlCode" in text:
        return S3Fault(False, (
            f"S3 did not answer ({type(exc).__name__}: {_first_line(exc)}); check SARLAKE_S3__ENDPOINT and the "
            "network; timeouts: SARLAKE_S3__CONNECT_TIMEOUT_SECONDS, SARLAKE_S3__READ_TIMEOUT_SECONDS"))
    return None
