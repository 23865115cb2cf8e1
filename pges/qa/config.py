"""Parameters of the ``qa`` PGE (pydantic only: cheap to import)."""

from __future__ import annotations

from pydantic import Field

from pges.contract import PGEParameters

__all__ = ["QAParameters"]


class QAParameters(PGEParameters):
    """Score L2 interferograms (``inputs``: their met.json URIs) with a registered QA model."""

    tracking_uri: str = Field(..., description="MLflow tracking URI of the registry (sqlite:///... or http://...).")
    model_name: str = Field("sarlake-qa-uwe", description="Registered QA model.")
    alias: str = Field("champion", pattern=r"^[A-Za-z0-9_-]+$", description="Alias of the version to use.")
    version: str | None = Field(None, pattern=r"^[0-9]+$", description="A version number: score with that "
                                "version instead of the alias's (every batch of one DAG run uses the same).")
    report_id: str = Field("qa-scores", pattern=r"^[A-Za-z0-9._-]+$", description="Id (folder) of the output.")
