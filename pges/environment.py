"""What a PGE reads from its environment besides the run-config: S3 connection and scratch folder.

A PGE runs alone in a container or a subprocess and never imports the lake package, so it reads the same
``SARLAKE_*`` variables the orchestrator exports (``lake.settings.Settings.to_env``) directly:

========================================  =====================================================
``SARLAKE_S3__ENDPOINT``                  S3 endpoint URL (unset: AWS's default endpoint)
``SARLAKE_S3__REGION``                    region (default ``us-east-1``)
``SARLAKE_S3__ACCESS_KEY_ID`` / ``..._SECRET_ACCESS_KEY``  keys (unset: the default AWS credential chain,
                                          e.g. IRSA in Kubernetes)
``SARLAKE_S3__PATH_STYLE``                path-style addressing (default true)
``SARLAKE_SCRATCH``                       staging folder (default ``$SARLAKE_HOME/scratch``, else the temp dir)
========================================  =====================================================
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["s3_client", "scratch_root"]

_TRUE = {"1", "true", "yes", "on"}


def s3_client() -> Any:
    """A boto3 S3 client configured from ``SARLAKE_S3__*`` (boto3 is imported here, not at module import)."""
    import boto3
    from botocore.config import Config

    env = os.environ
    path_style = env.get("SARLAKE_S3__PATH_STYLE", "true").strip().lower() in _TRUE
    return boto3.client(
        "s3",
        endpoint_url=env.get("SARLAKE_S3__ENDPOINT") or None,
        region_name=env.get("SARLAKE_S3__REGION") or "us-east-1",
        aws_access_key_id=env.get("SARLAKE_S3__ACCESS_KEY_ID") or None,
        aws_secret_access_key=env.get("SARLAKE_S3__SECRET_ACCESS_KEY") or None,
        config=Config(s3={"addressing_style": "path" if path_style else "auto"}),
    )


def scratch_root() -> Path:
    """Where runs stage their files: ``$SARLAKE_SCRATCH/pges`` (embedded default ``$SARLAKE_HOME/scratch/pges``).

    With the embedded defaults scratch and products share ``SARLAKE_HOME``, so publishing is a rename.
    """
    scratch = os.environ.get("SARLAKE_SCRATCH")
    if not scratch:
        home = os.environ.get("SARLAKE_HOME")
        scratch = str(Path(home, "scratch")) if home else tempfile.gettempdir()
    return Path(scratch).expanduser().absolute() / "pges"
