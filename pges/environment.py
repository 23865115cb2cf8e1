"""What a PGE reads from its environment besides the run-config: S3 connection and scratch folder.

A PGE runs alone in a container or a subprocess and never imports the lake package, so it reads the same
``SARLAKE_*`` variables the orchestrator exports (``lake.settings.Settings.to_env``) directly:

========================================  =====================================================
``SARLAKE_S3__ENDPOINT``                  S3 endpoint URL (unset: AWS's default endpoint)
``SARLAKE_S3__REGION``                    region (default ``us-east-1``)
``SARLAKE_S3__ACCESS_KEY_ID`` / ``..._SECRET_ACCESS_KEY``  keys (unset: the default AWS credential chain,
                                          e.g. IRSA in Kubernetes)
``SARLAKE_S3__PATH_STYLE``                path-style addressing (default true)
``SARLAKE_S3__CONNECT_TIMEOUT_SECONDS``   seconds to wait for a connection (default 10)
``SARLAKE_S3__READ_TIMEOUT_SECONDS``      seconds to wait for an answer (default 60)
``SARLAKE_S3__MAX_ATTEMPTS``              attempts per call, first try included (default 3)
``SARLAKE_SCRATCH``                       staging folder (default ``$SARLAKE_HOME/scratch``, else the temp dir)
========================================  =====================================================
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["mlflow_s3_environment", "s3_client", "scratch_root"]

_TRUE = {"1", "true", "yes", "on"}


def _path_style(env: Mapping[str, str]) -> bool:
    return env.get("SARLAKE_S3__PATH_STYLE", "true").strip().lower() in _TRUE


#: ``SARLAKE_S3__*`` limits of every S3 call: variable -> (default, type, lower bound, upper bound), the same
#: defaults and ranges as ``lake.settings.S3Settings``
_LIMITS: dict[str, tuple[float, type, float, float]] = {
    "SARLAKE_S3__CONNECT_TIMEOUT_SECONDS": (10.0, float, 0.0, 600.0),
    "SARLAKE_S3__READ_TIMEOUT_SECONDS": (60.0, float, 0.0, 3600.0),
    "SARLAKE_S3__MAX_ATTEMPTS": (3, int, 1, 20),
}


def _limit(name: str) -> float:
    from pges.errors import InputValidationError

    default, kind, low, high = _LIMITS[name]
    text = os.environ.get(name, "").strip()
    try:
        value = kind(text) if text else default
    except ValueError:
        value = float("nan")
    ok = low <= value <= high if kind is int else low < value <= high  # NaN is neither
    if not ok:
        interval = f"[{low:g}, {high:g}]" if kind is int else f"({low:g}, {high:g}]"
        raise InputValidationError(f"{name}={text!r}: give a{'n integer' if kind is int else ' number'} in {interval}")
    return value


#: one client per process and S3 environment (boto3 clients are thread-safe; making one costs about 9 ms, and
#: its pooled connections save a handshake per call); a changed variable or a forked process gets a new one
_CLIENTS: dict[tuple[Any, ...], Any] = {}
_CLIENTS_LOCK = threading.Lock()
_AWS_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")


def s3_client() -> Any:
    """A boto3 S3 client configured from ``SARLAKE_S3__*`` (boto3 is imported here, not at module import).

    Every call has the connect and read timeouts and the bounded attempts of ``SARLAKE_S3__CONNECT_TIMEOUT_SECONDS``,
    ``..._READ_TIMEOUT_SECONDS`` and ``..._MAX_ATTEMPTS`` (the orchestrator's S3 settings, exported to every PGE),
    so an S3 server that stops answering fails the PGE instead of stalling it. The client is made once per
    process and environment and reused.

    Raises:
        InputValidationError: one of those variables is not a number in its range.
    """
    env = os.environ
    limits = tuple(_limit(name) for name in _LIMITS)  # validated at every call, cached or not
    options = (env.get("SARLAKE_S3__ENDPOINT") or None, env.get("SARLAKE_S3__REGION") or "us-east-1",
               env.get("SARLAKE_S3__ACCESS_KEY_ID") or None, env.get("SARLAKE_S3__SECRET_ACCESS_KEY") or None,
               _path_style(env))
    key = (os.getpid(), options, limits, tuple(env.get(v) for v in _AWS_VARIABLES))
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            client = _CLIENTS[key] = _make_client(*options, *limits)
    return client


def _make_client(endpoint: str | None, region: str, key_id: str | None, secret: str | None, path_style: bool,
                 connect_timeout: float, read_timeout: float, attempts: float) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3", endpoint_url=endpoint, region_name=region, aws_access_key_id=key_id, aws_secret_access_key=secret,
        config=Config(s3={"addressing_style": "path" if path_style else "auto"}, connect_timeout=connect_timeout,
                      read_timeout=read_timeout, retries={"total_max_attempts": int(attempts), "mode": "standard"}),
    )


#: what :func:`mlflow_s3_environment` set, so that a later call may change it and nobody else's value is touched
_MLFLOW_SET: dict[str, str] = {}


def mlflow_s3_environment(artifact_uri: str | None, source: Mapping[str, str] | None = None) -> dict[str, str]:
    """Give MLflow's S3 artifact store sarlake's S3 connection: endpoint, addressing, keys and region.

    MLflow reads and writes ``s3://`` artifacts with its own boto3 client, configured only by environment
    variables (``MLFLOW_S3_ENDPOINT_URL``, ``MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE``, the AWS credential chain). With
    ``SARLAKE_MLFLOW_ARTIFACT_ROOT=s3://...`` on MinIO or any non-AWS endpoint, training failed with
    ``NoCredentialsError`` and a scorer could not load the champion. These variables are set from the
    ``SARLAKE_S3__*`` ones in ``source`` (default this process's environment; the orchestrator passes its
    settings' ``to_env()``), and only when ``artifact_uri`` (where the artifacts are) is on S3. One already set by
    someone else is kept (an operator's own ``MLFLOW_*`` or ``AWS_*``, or ``AWS_PROFILE``); one set here before
    follows the new source.

    Returns:
        The variables set by this call.
    """
    if not (artifact_uri or "").startswith(("s3://", "s3a://")):
        return {}
    source = os.environ if source is None else source
    wanted = {"MLFLOW_S3_ENDPOINT_URL": source.get("SARLAKE_S3__ENDPOINT") or "",
              "MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE": "path" if _path_style(source) else "",
              "AWS_DEFAULT_REGION": source.get("SARLAKE_S3__REGION") or ""}
    key, secret = source.get("SARLAKE_S3__ACCESS_KEY_ID"), source.get("SARLAKE_S3__SECRET_ACCESS_KEY")
    if key and secret and not os.environ.get("AWS_PROFILE"):
        wanted.update({"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret})
    done = {}
    for name, value in wanted.items():
        ours = name in _MLFLOW_SET and os.environ.get(name) == _MLFLOW_SET[name]
        if not value or (name in os.environ and not ours):
            continue
        os.environ[name] = _MLFLOW_SET[name] = done[name] = value
    return done


def scratch_root() -> Path:
    """Where runs stage their files: ``$SARLAKE_SCRATCH/pges`` (embedded default ``$SARLAKE_HOME/scratch/pges``).

    With the embedded defaults scratch and products share ``SARLAKE_HOME``, so publishing is a rename.
    """
    scratch = os.environ.get("SARLAKE_SCRATCH")
    if not scratch:
        home = os.environ.get("SARLAKE_HOME")
        scratch = str(Path(home, "scratch")) if home else tempfile.gettempdir()
    return Path(scratch).expanduser().absolute() / "pges"
