"""One typed settings object for the whole system.

Values merge, highest priority first, from keyword arguments, ``SARLAKE_*`` environment variables
(nested fields with ``__``, e.g. ``SARLAKE_K8S__IMAGE``), an optional YAML file named by
``SARLAKE_CONFIG`` and the embedded defaults. Every embedded default lives under one root,
``SARLAKE_HOME`` (default ``./var``), so pointing ``SARLAKE_HOME`` elsewhere gives a separate, empty lake.

Production values (documented in ``docs/configuration.md``)::

    SARLAKE_WAREHOUSE=s3://sarlake-lake/warehouse
    SARLAKE_PRODUCTS_ROOT=s3://sarlake-lake/products
    SARLAKE_S3__ENDPOINT=https://s3.us-west-2.amazonaws.com   # or a MinIO URL
    SARLAKE_CATALOG_URI=postgresql+psycopg2://sarlake@catalog-db/sarlake
    SARLAKE_RUNNER=kubernetes
    SARLAKE_K8S__IMAGE=ghcr.io/sarlake/pge:0.1.0
    SARLAKE_MLFLOW_TRACKING_URI=http://mlflow.sarlake.svc:5000
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

__all__ = ["KubernetesSettings", "S3Settings", "Settings", "get_settings", "is_remote"]


def is_remote(uri: str) -> bool:
    """Return True when ``uri`` names object storage (``s3://``) rather than a local path."""
    return uri.startswith(("s3://", "s3a://"))


class S3Settings(BaseModel):
    """Connection to any S3 API (AWS, MinIO, a local test server)."""

    model_config = ConfigDict(extra="forbid")

    endpoint: str | None = Field(None, description="S3 endpoint URL; None means AWS's default endpoint.")
    region: str = Field("us-east-1", description="S3 region.")
    access_key_id: str | None = Field(None, description="Access key; None uses the default AWS credential chain.")
    secret_access_key: str | None = Field(None, description="Secret key matching access_key_id.")
    path_style: bool = Field(True, description="Use path-style addressing (needed by MinIO and test servers).")

    def client(self) -> Any:
        """Return a boto3 S3 client for this endpoint (boto3 is imported here, not at module import)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            config=Config(s3={"addressing_style": "path" if self.path_style else "auto"}),
        )


class KubernetesSettings(BaseModel):
    """How PGE pods are built when ``runner == 'kubernetes'``."""

    model_config = ConfigDict(extra="forbid")

    image: str = Field("sarlake/pge:0.1.0", description="PGE container image (deploy/pge.Dockerfile).")
    namespace: str = Field("sarlake", description="Namespace the PGE pods run in.")
    service_account: str | None = Field("sarlake-pge", description="Service account of the PGE pods.")
    cpu_request: str = Field("1", description="CPU request per PGE pod.")
    memory_request: str = Field("4Gi", description="Memory request per PGE pod.")
    cpu_limit: str = Field("2", description="CPU limit per PGE pod.")
    memory_limit: str = Field("8Gi", description="Memory limit per PGE pod.")
    node_selector: dict[str, str] = Field(
        default_factory=lambda: {"sarlake.io/pool": "pge"}, description="Node selector of the PGE pods."
    )
    spot: bool = Field(True, description="Tolerate spot/preemptible nodes (retries cover preemption).")
    in_cluster: bool = Field(True, description="Use the in-cluster service account to reach the API server.")
    config_file: str | None = Field(None, description="kubeconfig path when not in cluster.")
    startup_timeout_seconds: int = Field(600, ge=1, description="Seconds to wait for a pod to start.")
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment for every PGE pod.")


class Settings(BaseSettings):
    """Every knob of sarlake; embedded defaults under ``home``."""

    model_config = SettingsConfigDict(
        env_prefix="SARLAKE_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    home: Path = Field(Path("var"), description="Root of every embedded default (SARLAKE_HOME).")
    warehouse: str = Field("", description="Iceberg warehouse: a folder or s3:// URI. Default <home>/warehouse.")
    catalog_uri: str = Field("", description="SQLAlchemy URI of the Iceberg SQL catalogue. Default SQLite in home.")
    catalog_name: str = Field("sarlake", description="Name of the Iceberg catalogue.")
    namespace: str = Field("sarlake", description="Iceberg namespace of the lake tables.")
    products_root: str = Field("", description="Where PGEs write products (folder or s3://). Default <home>/products.")
    archive_root: str = Field("", description="Simulated SLC archive (folder or s3://). Default <home>/archive.")
    scratch: str = Field("", description="Local scratch folder for run-configs and staging. Default <home>/scratch.")
    s3: S3Settings = Field(default_factory=S3Settings)  # type: ignore[arg-type]
    runner: Literal["local", "kubernetes"] = Field("local", description="How PGEs run: subprocess or pod.")
    k8s: KubernetesSettings = Field(default_factory=KubernetesSettings)  # type: ignore[arg-type]
    acquisition_source: str = Field(
        "simulated",
        pattern=r"^(simulated|[A-Za-z_][\w.]*:[A-Za-z_]\w*)$",
        description="Discovery adapter for new acquisitions: 'simulated', or 'package.module:Class' of a class "
        "implementing lake.sources.AcquisitionSource (constructed with the settings).",
    )
    mlflow_tracking_uri: str = Field("", description="MLflow tracking URI. Default SQLite in home.")
    pairing_neighbours: int = Field(
        2, ge=1, le=20,
        description="Nearest-n sequential pairs per acquisition when neither the AOI nor the run sets it.",
    )
    catalogue_db: str = Field(
        "",
        description="DuckDB file of the dbt catalogue (staging views, marts). "
        "Default <home>/catalogue/catalogue.duckdb.",
    )
    commit_retries: int = Field(20, ge=0, description="Retries of an Iceberg commit on a concurrent-commit conflict.")
    mlflow_artifact_root: str = Field(
        "", description="Where MLflow stores model artifacts (folder or s3://). Default <home>/mlartifacts."
    )
    qa_model_name: str = Field("sarlake-qa-uwe", description="Registered MLflow model of QA p(error|I).")
    qa_max_p_error: float = Field(
        0.5, ge=0, le=1, description="Products scoring above this p(error) are reprocessed and left out of time series."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Keyword arguments, then environment, then the YAML file named by ``SARLAKE_CONFIG``."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("SARLAKE_CONFIG")
        if config_file:
            if not Path(config_file).is_file():
                raise FileNotFoundError(f"SARLAKE_CONFIG names {config_file!r}, which is not a file")
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=config_file))
        return tuple(sources)

    @model_validator(mode="after")
    def _fill_defaults_under_home(self) -> Settings:
        home = self.home.expanduser().absolute()
        self.home = home
        if not self.warehouse:
            self.warehouse = str(home / "warehouse")
        if not self.catalog_uri:
            self.catalog_uri = f"sqlite:///{home / 'catalog.db'}"
        if not self.products_root:
            self.products_root = str(home / "products")
        if not self.archive_root:
            self.archive_root = str(home / "archive")
        if not self.scratch:
            self.scratch = str(home / "scratch")
        if not self.catalogue_db:
            self.catalogue_db = str(home / "catalogue" / "catalogue.duckdb")
        if not self.mlflow_tracking_uri:
            self.mlflow_tracking_uri = f"sqlite:///{home / 'mlflow.db'}"
        if not self.mlflow_artifact_root:
            self.mlflow_artifact_root = str(home / "mlartifacts")
        return self

    def to_env(self) -> dict[str, str]:
        """Render these settings as ``SARLAKE_*`` variables, e.g. for a PGE subprocess or pod."""
        env: dict[str, str] = {}
        for name, value in self.model_dump(mode="json").items():
            if isinstance(value, dict):
                for sub, subval in value.items():
                    if subval is None:
                        continue
                    text = json.dumps(subval) if isinstance(subval, dict) else str(subval)
                    env[f"SARLAKE_{name.upper()}__{sub.upper()}"] = text
            elif value is not None:
                env[f"SARLAKE_{name.upper()}"] = str(value)
        return env


@lru_cache(maxsize=8)
def _cached(env_key: tuple[tuple[str, str], ...]) -> Settings:
    return Settings()  # type: ignore[call-arg]  # values come from the environment


def get_settings(**overrides: Any) -> Settings:
    """Return the settings, merged from keyword arguments, ``SARLAKE_*`` environment and YAML.

    Args:
        **overrides: field values that win over the environment and the file.

    Returns:
        The validated settings; cached per distinct ``SARLAKE_*`` environment when no overrides are given.
    """
    if overrides:
        return Settings(**overrides)
    key = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("SARLAKE_")))
    return _cached(key)
