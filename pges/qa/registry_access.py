"""How the QA PGEs reach the MLflow registry: no password in a run-config, and what went wrong.

**Credentials.** A run-config is shown in the Airflow UI (a rendered template, an XCom), passed to a pod as an
argument and kept in a product's provenance, so the registry URI in it carries no password
(:func:`without_password`). The PGE takes the password from its environment: ``SARLAKE_MLFLOW_TRACKING_URI``
naming the same registry with one (the scheduler's settings for a local subprocess; the PGE credentials secret,
``SARLAKE_K8S__CREDENTIALS_SECRET``, for a pod), or MLflow's own ``MLFLOW_TRACKING_USERNAME`` and
``MLFLOW_TRACKING_PASSWORD`` for an http server.

**Errors.** A registry that does not answer (an http server down, a database refusing connections) must not read
as "no champion, train one": that message is never retried and sends an ML engineer to train a model that exists.
Out of reach is a :class:`~pges.errors.ProcessingError` (exit 1, retried), its URI shown without a password.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import SplitResult, urlsplit

from pges.errors import ProcessingError

__all__ = ["ENV_URI", "hide_password", "is_not_found", "unreachable", "with_credentials", "without_password"]

#: MLflow's error codes for a model, version or alias that is not registered (every store: SQL, file, http)
NOT_FOUND_CODES = frozenset({"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"})
#: The setting that names the registry, with its password, in a PGE's environment
ENV_URI = "SARLAKE_MLFLOW_TRACKING_URI"


def _split(uri: str) -> SplitResult | None:
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - a bad port raises here, not later
    except ValueError:  # not a URI urllib reads: nothing to hide or match in it
        return None
    return parts


def hide_password(uri: str, text: str | None = None) -> str:
    """``text`` (default the URI itself) with the URI's password, if it has one, as ``***``."""
    shown = uri if text is None else text
    parts = _split(uri)
    return shown.replace(parts.password, "***") if parts and parts.password else shown


def without_password(uri: str) -> str:
    """The URI with no password (``postgresql+psycopg2://sarlake@db/mlflow``): what a run-config carries."""
    parts = _split(uri)
    if not parts or parts.password is None:
        return uri
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.netloc.rsplit("@", 1)[0].split(":", 1)[0]
    return parts._replace(netloc=f"{user}@{netloc}").geturl()


def _registry_key(uri: str) -> tuple[str, str, str] | None:
    """What names a registry, whatever driver or password a URI gives: scheme family, user@host:port, path."""
    parts = _split(without_password(uri))
    if parts is None:
        return None
    family = parts.scheme.split("+", 1)[0]
    return {"postgres": "postgresql"}.get(family, family), parts.netloc, parts.path


def with_credentials(uri: str, env: Mapping[str, str] | None = None) -> str:
    """``uri`` with the password the environment gives for that registry, or ``uri`` as it is.

    The password is that of ``SARLAKE_MLFLOW_TRACKING_URI`` (in ``env``, default this process's) when it names the
    same registry: scheme family (``postgres``, ``postgresql`` and ``postgresql+psycopg2`` are one), user, host,
    port and database. A URI that has a password keeps it.
    """
    target = _split(uri)
    known = (os.environ if env is None else env).get(ENV_URI, "")
    source = _split(known)
    if target is None or target.password is not None or source is None or source.password is None:
        return uri
    if _registry_key(known) != _registry_key(uri):
        return uri
    user, host = target.netloc.rsplit("@", 1)  # the same user@host as the environment's, which has a user part
    return target._replace(netloc=f"{user}:{source.password}@{host}").geturl()


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
