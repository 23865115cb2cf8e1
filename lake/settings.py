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
import logging
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

from lake.setting_names import suggestion, unknown_variables

__all__ = ["DaacSettings", "IngestSettings", "KubernetesSettings", "MaintenanceSettings", "S3Settings", "Settings",
           "UrgentSettings", "get_settings", "is_remote", "shown_uri", "with_installed_driver"]

logger = logging.getLogger(__name__)


def shown_uri(uri: str, text: str | None = None) -> str:
    """A database URI as messages show it, its password as ``***``.

    With ``text`` (a driver's error, say): that text, the URI's password hidden wherever it appears.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(uri)
    except ArgumentError:  # not a URI SQLAlchemy reads: opening it fails and says so
        return uri if text is None else text
    if text is None:
        return url.render_as_string(hide_password=True)
    return text.replace(str(url.password), "***") if url.password else text


def with_installed_driver(uri: str) -> str:
    """A PostgreSQL URI with the driver sarlake installs (psycopg2) named, as SQLAlchemy needs it.

    ``postgresql://`` (the form MLflow's and PostgreSQL's own documentation give) and ``postgres://`` make
    SQLAlchemy 2.1 look for psycopg 3, which is not installed: "No module named 'psycopg'".
    """
    for scheme in ("postgresql://", "postgres://"):
        if uri.startswith(scheme):
            return "postgresql+psycopg2://" + uri.removeprefix(scheme)
    return uri


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
    read_only_access_key_id: str | None = Field(
        None, description="Read-only access key for analysts' SQL (sarlake sql, lake.query.connect); "
        "None uses access_key_id. Give it a policy that only reads the warehouse bucket."
    )
    read_only_secret_access_key: str | None = Field(None, description="Secret key matching read_only_access_key_id.")
    connect_timeout_seconds: float = Field(10.0, gt=0, le=600, description="Seconds to wait for an S3 connection.")
    read_timeout_seconds: float = Field(60.0, gt=0, le=3600, description="Seconds to wait for S3 to answer.")
    max_attempts: int = Field(3, ge=1, le=20, description="Attempts per S3 call (first try + retries), then fail.")

    def client(self) -> Any:
        """Return a boto3 S3 client for this endpoint (boto3 is imported here, not at module import).

        Every call has connect/read timeouts and a bounded number of attempts from these settings, so an S3
        server that stops answering fails the call instead of stalling it.
        """
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            config=Config(
                s3={"addressing_style": "path" if self.path_style else "auto"},
                connect_timeout=self.connect_timeout_seconds,
                read_timeout=self.read_timeout_seconds,
                retries={"total_max_attempts": self.max_attempts, "mode": "standard"},
            ),
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
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment for every PGE pod (no secrets).")
    credentials_secret: str | None = Field(
        "sarlake-pge-credentials",
        description="Kubernetes secret whose keys become the pods' env (SARLAKE_S3__ACCESS_KEY_ID, ...); "
        "None with IRSA/workload identity. Credentials never go into the pod spec or the DAG.",
    )
    resources: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Per-PGE requests/limits overrides, e.g. {'interferogram': {'memory_limit': '16Gi'}}.",
    )


class UrgentSettings(BaseModel):
    """Urgent response: the earthquake feed the watcher polls and the evaluator's rules."""

    model_config = ConfigDict(extra="forbid")

    feed_url: str = Field(
        "",
        description="Feed the watcher polls: a file, file:// or http(s):// URL. Default <home>/feeds/events.geojson;"
        " production: https://earthquake.usgs.gov/earthquakes/feed/v1.0/summary/significant_hour.geojson"
        " or an FDSN event query (format=geojson).",
    )
    poll_interval_s: float = Field(60.0, gt=0, description="Seconds between polls of the feed.")
    rules: dict[str, Any] = Field(
        default_factory=dict, description="Evaluator rules overriding the defaults (sarlake.events.Rules fields)."
    )
    scene_pixels: int = Field(
        400, ge=64, le=4096, description="Simulated archive only: pixels along the longer side of an urgent "
        "scene (its posting is the event's box over this, 40-500 m). 400 is the demo; a production-size scene "
        "is about 2000 (the box at 40 m)."
    )


class DaacSettings(BaseModel):
    """Delivery to the DAAC archive and the hot lake's retention (``SARLAKE_DAAC__*``)."""

    model_config = ConfigDict(extra="forbid")

    root: str = Field("", description="Archive location (folder or s3://). Default <home>/daac/archive.")
    hot_retention_days: float = Field(30.0, ge=0, description="Days a product stays hot before it is rolled, counted "
                                      "from when it was catalogued (not from its acquisitions).")
    cache_ttl_days: float = Field(7.0, gt=0, description="Days a product brought back from the archive stays hot.")
    restore_on_demand: bool = Field(
        True, description="A time series over archived products brings them back for cache_ttl_days first; false: "
        "it stops and names them (then `sarlake archive restore`)."
    )
    transport: Literal["folder", "sns_sqs"] = Field("folder", description="How CNM messages travel.")
    outbox: str = Field("", description="Folder of outgoing CNM-S (folder transport). Default <home>/daac/outbox.")
    inbox: str = Field("", description="Folder of incoming CNM-R (folder transport). Default <home>/daac/inbox.")
    sns_topic_arn: str = Field("", description="SNS topic of the CNM-S messages (sns_sqs transport).")
    sqs_queue_url: str = Field("", description="SQS queue of the CNM-R messages (sns_sqs transport).")
    aws_endpoint: str = Field("", description="SNS/SQS endpoint URL; empty means AWS's default.")
    aws_conn_id: str = Field("aws_default", description="Airflow connection the archive_roll DAG uses for SNS/SQS.")
    provider: str = Field("sarlake", description="CNM provider name.")
    collection_prefix: str = Field("SARLAKE_", description="CNM collection = prefix + product type.")
    exclude_statuses: tuple[str, ...] = Field(("quarantined",), description="Product statuses never delivered.")
    retry_base_seconds: float = Field(300.0, ge=0, description="Back-off after a first failed attempt (doubles).")
    retry_max_seconds: float = Field(86400.0, ge=0, description="Longest back-off between attempts.")
    max_attempts: int = Field(8, ge=1, description="Attempts per product version before an operator must look.")
    answer_wait_hours: float = Field(24.0, gt=0, description=(
        "Hours a delivery may wait for the DAAC's CNM-R after its CNM-S before `archive verify` and `archive status` "
        "report it unanswered (until then it is in flight, not stopped)."))
    io_threads: int | None = Field(None, ge=1, le=64, description=(
        "Threads copying, verifying and deleting files; unset: the CPU count (at least 2) when hot lake and archive "
        "are local (file work is CPU and file-system bound: 8 threads on 2 cores rolled 25 % slower than 2), "
        "8 when either is an object store (each request waits on the network)."))


class MaintenanceSettings(BaseModel):
    """Iceberg upkeep: snapshot retention and small-file compaction (``SARLAKE_MAINTENANCE__*``).

    The ``maintenance`` DAG and ``sarlake maintain`` take these; a DAG trigger's Params override them per run.
    """

    model_config = ConfigDict(extra="forbid")

    snapshot_retention_days: float = Field(7.0, ge=0, description="Snapshots older than this may expire.")
    retain_last: int = Field(10, ge=1, description="Newest snapshots kept per table, whatever their age.")
    orphan_retention_hours: float = Field(
        24.0, ge=0, description="Unreferenced files are deleted once older than this (longer than any commit)."
    )
    small_file_mb: float = Field(32.0, gt=0, description="Data files below this size are merged by compaction.")
    compact_min_files: int = Field(4, ge=2, description="A partition is compacted when it holds this many small files.")
    score_report_retention_days: float = Field(
        30.0, ge=0, description="QA_SCORES reports (one per qa PGE task, recorded in qa_predictions) go once older."
    )
    data_docs_retention_days: float = Field(
        90.0, ge=0, description="The quality gate's validation results, and their Data Docs pages, go once older."
    )


class IngestSettings(BaseModel):
    """How much ``sarlake ingest`` and the ``ingest`` DAG download from S3 (``SARLAKE_INGEST__*``).

    Passed into every ingest run-config (:func:`sarlake.workflows.ingest.ingest_run_config`); each S3 listing
    ingest downloads (a prefix, an object's folder, a coherence prefix) over either limit is refused before
    anything is downloaded.
    """

    model_config = ConfigDict(extra="forbid")

    max_objects: int = Field(2000, ge=1, le=1_000_000, description="Most objects downloaded from one S3 prefix.")
    max_gib: float = Field(20.0, gt=0, le=10_240, description="Most GiB downloaded from one S3 prefix (the run's "
                           "work folder must hold them).")


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
    daac: DaacSettings = Field(default_factory=DaacSettings)  # type: ignore[arg-type]
    maintenance: MaintenanceSettings = Field(default_factory=MaintenanceSettings)  # type: ignore[arg-type]
    ingest: IngestSettings = Field(default_factory=IngestSettings)  # type: ignore[arg-type]
    acquisition_source: str = Field(
        "simulated",
        pattern=r"^(simulated|[A-Za-z_][\w.]*:[A-Za-z_]\w*)$",
        description="Discovery adapter for new acquisitions: 'simulated', or 'package.module:Class' of a class "
        "implementing lake.sources.AcquisitionSource (constructed with the settings).",
    )
    urgent: UrgentSettings = Field(default_factory=UrgentSettings)  # type: ignore[arg-type]
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
    commit_retries: int = Field(
        60, ge=0, description="Retries of an upsert whose commit conflicted with another writer (re-read, re-merge)."
    )
    commit_backoff_base_s: float = Field(
        0.05, gt=0, description="First retry waits up to this many seconds; the bound doubles per retry (full jitter)."
    )
    commit_backoff_max_s: float = Field(
        2.0, gt=0, description="Upper bound of the wait before one retry of a conflicted commit, seconds."
    )
    commit_lock_lease_s: float = Field(
        60.0, gt=0, description="Lease of the lock writers take after a conflict (bounds a killed holder's block)."
    )
    mlflow_artifact_root: str = Field(
        "", description="Where MLflow stores model artifacts (folder or s3://). Default <home>/mlartifacts."
    )
    qa_model_name: str = Field("sarlake-qa-uwe", description="Registered MLflow model of QA p(error|I).")
    qa_max_p_error: float = Field(
        0.5, ge=0, le=1, description="Products scoring above this p(error) are reprocessed and left out of time series."
    )
    qa_reprocess_attempts: int = Field(
        2, ge=1, le=6, description="How many times one interferogram is made again while its best version stays above "
                                   "qa_max_p_error (each time from the last version, with other parameters).")
    qa_real_check: str = Field(
        "", description="Manifest CSV of real products with closure truth that gates QA promotion (empty: no gate); "
                        "`make train` passes tests/data/envisat_sydney_roipac/qa_real_check.csv.")
    qa_max_real_false_alarms: float = Field(
        0.25, ge=0, le=1, description="Largest share of the real check's clean products a QA champion may flag.")

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
        for name, sub in (("root", "archive"), ("outbox", "outbox"), ("inbox", "inbox")):
            if not getattr(self.daac, name):
                setattr(self.daac, name, str(home / "daac" / sub))
        if not self.mlflow_tracking_uri:
            self.mlflow_tracking_uri = f"sqlite:///{home / 'mlflow.db'}"
        if not self.urgent.feed_url:
            self.urgent.feed_url = str(self.default_feed)
        if not self.mlflow_artifact_root:
            self.mlflow_artifact_root = str(home / "mlartifacts")
        self.catalog_uri = with_installed_driver(self.catalog_uri)
        self.mlflow_tracking_uri = with_installed_driver(self.mlflow_tracking_uri)
        return self

    @model_validator(mode="after")
    def _pods_reach_the_data(self) -> Settings:
        """With PGE pods, products and the archive must be object storage the pods can reach."""
        if self.runner == "kubernetes":
            for name in ("products_root", "archive_root"):
                value = getattr(self, name)
                if not is_remote(value):
                    raise ValueError(
                        f"runner=kubernetes but {name} is the local folder {value!r}, which PGE pods cannot reach: "
                        f"set SARLAKE_{name.upper()}=s3://bucket/{name.removesuffix('_root')}"
                    )
        return self

    @property
    def catalog_shown(self) -> str:
        """The catalogue URI as messages and logs show it: a PostgreSQL URI's password as ``***``."""
        return shown_uri(self.catalog_uri)

    @property
    def default_feed(self) -> Path:
        """The earthquake feed the urgent_response watcher polls when none is configured (made empty by init)."""
        return self.home / "feeds" / "events.geojson"

    def to_env(self) -> dict[str, str]:
        """Render these settings as ``SARLAKE_*`` variables, e.g. for a PGE subprocess or pod."""
        env: dict[str, str] = {}
        for name, value in self.model_dump(mode="json").items():
            if isinstance(value, dict):
                for sub, subval in value.items():
                    if subval is None:
                        continue
                    text = json.dumps(subval) if isinstance(subval, dict | list) else str(subval)
                    env[f"SARLAKE_{name.upper()}__{sub.upper()}"] = text
            elif value is not None:
                env[f"SARLAKE_{name.upper()}"] = str(value)
        return env


@lru_cache(maxsize=8)
def _cached(env_key: tuple[tuple[str, str], ...]) -> Settings:
    for warning in unknown_variables(Settings, dict(env_key)):  # once per environment, as the settings
        logger.warning("%s", warning)
    return _build()


def _build(**overrides: Any) -> Settings:
    """Build the settings; a bad value raises SettingsError naming the key and its environment variable."""
    from pydantic import ValidationError

    from lake.exceptions import SettingsError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        loc = [str(part) for part in first.get("loc", ())]
        key = ".".join(loc) or "settings"
        env = "SARLAKE_" + "__".join(loc).upper()
        source = f"{env}" + (f" or {os.environ['SARLAKE_CONFIG']}" if os.environ.get("SARLAKE_CONFIG") else "")
        what = "unknown setting" if first.get("type") == "extra_forbidden" else first.get("msg", "invalid")
        got = f", got {first['input']!r}" if "input" in first and not isinstance(first["input"], dict) else ""
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        known = suggestion(Settings, loc) if first.get("type") == "extra_forbidden" else ""
        raise SettingsError(f"setting {key} ({source}): {what}{got}{more}{known}") from None


def get_settings(**overrides: Any) -> Settings:
    """Return the settings, merged from keyword arguments, ``SARLAKE_*`` environment and YAML.

    Args:
        **overrides: field values that win over the environment and the file.

    Returns:
        The validated settings; cached per distinct ``SARLAKE_*`` environment when no overrides are given.

    Raises:
        SettingsError: a value is invalid; the message names the key and its ``SARLAKE_*`` variable.
    """
    if overrides:
        return _build(**overrides)
    key = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("SARLAKE_")))
    return _cached(key)
