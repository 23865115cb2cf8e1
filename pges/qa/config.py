"""Parameters of the ``qa`` PGE (pydantic only: cheap to import)."""

from __future__ import annotations

from pydantic import Field

from pges.contract import PGEParameters

__all__ = ["QAParameters"]


class QAParameters(PGEParameters):
    """Score L2 interferograms (``inputs``: their met.json URIs) with a registered QA model."""

    tracking_uri: str = Field(..., description="MLflow tracking URI of the registry (sqlite:///..., "
                              "http://... or postgresql+psycopg2://...), without a password: the PGE takes it from "
                              "SARLAKE_MLFLOW_TRACKING_URI in its environment (pges.qa.registry_access).")
    model_name: str = Field("sarlake-qa-uwe", description="Registered QA model.")
    alias: str = Field("champion", pattern=r"^[A-Za-z0-9_-]+$", description="Alias of the version to use.")
    version: str | None = Field(None, pattern=r"^[0-9]+$", description="A version number: score with that "
                                "version instead of the alias's (every batch of one DAG run uses the same).")
    artifact_root: str | None = Field(None, description="Where the registry keeps model artifacts (the "
                                      "SARLAKE_MLFLOW_ARTIFACT_ROOT setting): on s3:// the model is read with the "
                                      "SARLAKE_S3__* connection; None = this process's setting.")
    report_id: str = Field("qa-scores", pattern=r"^[A-Za-z0-9._-]+$", description="Id (folder) of the output.")
