"""What went wrong with the MLflow registry, as the QA steps report it: nothing registered, or out of reach.

A registry that does not answer (an http server down, a database refusing connections) must not read as "no
champion, train one": that message is never retried and sends an ML engineer to train a model that exists. Out of
reach is a :class:`~pges.errors.ProcessingError` (exit 1, retried), its URI shown without a password.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pges.errors import ProcessingError

__all__ = ["hide_password", "is_not_found", "unreachable"]

#: MLflow's error codes for a model, version or alias that is not registered (every store: SQL, file, http)
NOT_FOUND_CODES = frozenset({"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"})


def hide_password(uri: str, text: str | None = None) -> str:
    """``text`` (default the URI itself) with the URI's password, if it has one, as ``***``."""
    shown = uri if text is None else text
    try:
        password = urlsplit(uri).password
    except ValueError:  # not a URI urllib reads (a bad port): no password to find in it
        return shown
    return shown.replace(password, "***") if password else shown


def is_not_found(exc: BaseException) -> bool:
    """Whether an MLflow error says the model, version or alias asked for is not registered."""
    return getattr(exc, "error_code", None) in NOT_FOUND_CODES


def unreachable(exc: BaseException, tracking_uri: str) -> ProcessingError:
    """The one-line error for a registry that did not answer ``exc`` (raise it ``from None``)."""
    lines = str(exc).strip().splitlines()
    detail = hide_password(tracking_uri, lines[0] if lines else type(exc).__name__)
    return ProcessingError(
        f"cannot reach the MLflow registry at {hide_password(tracking_uri)} ({type(exc).__name__}: {detail}); "
        "check SARLAKE_MLFLOW_TRACKING_URI and that its server or database is up (this was after MLflow's own "
        "retries: MLFLOW_HTTP_REQUEST_MAX_RETRIES for a server, about 100 s for a database)"
    )
