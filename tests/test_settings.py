"""Settings: one object, SARLAKE_ environment, optional YAML, embedded defaults under one home."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError


def test_defaults_live_under_home(sarlake_home):
    from lake.settings import get_settings

    s = get_settings()
    for path in (s.warehouse, s.products_root, s.archive_root, s.scratch):
        assert path.startswith(str(sarlake_home))
    assert s.catalog_uri == f"sqlite:///{sarlake_home}/catalog.db"
    assert s.mlflow_tracking_uri.endswith(f"{sarlake_home}/mlflow.db")
    assert s.runner == "local"


def test_environment_and_yaml_merge_with_env_winning(sarlake_home, tmp_path, monkeypatch):
    from lake.settings import get_settings

    cfg = tmp_path / "settings.yaml"
    cfg.write_text("warehouse: s3://lake/wh\nrunner: kubernetes\nk8s: {image: 'img:1', cpu_request: '3'}\n"
                   "products_root: s3://lake/products\narchive_root: s3://lake/archive\n")
    monkeypatch.setenv("SARLAKE_CONFIG", str(cfg))
    monkeypatch.setenv("SARLAKE_K8S__IMAGE", "img:2")
    s = get_settings()
    assert s.warehouse == "s3://lake/wh"
    assert s.runner == "kubernetes"
    assert s.k8s.image == "img:2"
    assert s.k8s.cpu_request == "3"
    assert s.products_root == "s3://lake/products"  # runner=kubernetes refuses a local products folder


def test_unknown_keys_and_bad_values_are_refused(sarlake_home, tmp_path, monkeypatch):
    from lake.settings import Settings

    with pytest.raises(ValidationError, match="warehous"):
        Settings(warehous="x")
    with pytest.raises(ValidationError, match="runner"):
        Settings(runner="slurm")
    monkeypatch.setenv("SARLAKE_CONFIG", str(tmp_path / "missing.yaml"))
    with pytest.raises(FileNotFoundError, match="missing.yaml"):
        Settings()


def test_to_env_round_trips(sarlake_home, monkeypatch):
    from lake.settings import Settings, get_settings

    s = get_settings(runner="kubernetes", k8s={"image": "x:9", "node_selector": {"pool": "a"}},
                     products_root="s3://lake/products", archive_root="s3://lake/archive")
    for key, value in s.to_env().items():
        monkeypatch.setenv(key, value)
    again = Settings()
    assert again.model_dump() == s.model_dump()
    assert again.k8s.node_selector == {"pool": "a"}


def test_ingest_download_limits_come_from_the_environment_and_a_bad_one_names_its_variable(sarlake_home, monkeypatch):
    """The most an ingest downloads from one S3 listing were constants; they are SARLAKE_INGEST__* settings, with
    the PGE's defaults (the ingest run-config's max_objects and max_gib) when unset."""
    from lake.exceptions import SettingsError
    from lake.settings import get_settings
    from pges.ingest.config import IngestParameters

    fields = IngestParameters.model_fields
    default = get_settings().ingest
    assert (default.max_objects, default.max_gib) == (fields["max_objects"].default, fields["max_gib"].default)
    monkeypatch.setenv("SARLAKE_INGEST__MAX_OBJECTS", "50000")
    monkeypatch.setenv("SARLAKE_INGEST__MAX_GIB", "200")
    assert (get_settings().ingest.max_objects, get_settings().ingest.max_gib) == (50000, 200.0)
    monkeypatch.setenv("SARLAKE_INGEST__MAX_GIB", "0")
    with pytest.raises(SettingsError, match=r"^setting ingest\.max_gib \(SARLAKE_INGEST__MAX_GIB\): Input should be "
                                            r"greater than 0, got '0'"):
        get_settings()


def test_a_postgresql_uri_as_postgresql_documents_it_opens_the_catalogue_and_the_registry(
        sarlake_home, postgres_server, monkeypatch):
    """``postgresql://`` made SQLAlchemy 2.1 look for psycopg 3, which is not installed: "No module named
    'psycopg'" from `sarlake init`, a traceback from `sarlake qa score`."""
    from conftest import create_postgres_database

    from lake.catalog import init_lake
    from lake.settings import get_settings
    from pges.qa.score import ModelMissingError, resolve_version

    catalogue = create_postgres_database(postgres_server, f"plain_catalogue_{os.getpid()}")
    registry = create_postgres_database(postgres_server, f"plain_registry_{os.getpid()}")
    assert catalogue.startswith("postgresql+psycopg2://")  # as scripts/postgres.sh gives it
    monkeypatch.setenv("SARLAKE_CATALOG_URI", catalogue.replace("postgresql+psycopg2://", "postgresql://"))
    monkeypatch.setenv("SARLAKE_MLFLOW_TRACKING_URI", registry.replace("postgresql+psycopg2://", "postgres://"))
    s = get_settings()
    assert (s.catalog_uri, s.mlflow_tracking_uri) == (catalogue, registry)
    init_lake(s)
    assert get_settings().catalog_uri == catalogue
    with pytest.raises(ModelMissingError, match="no 'champion' version"):  # the registry answered: nothing there
        resolve_version(s.mlflow_tracking_uri, s.qa_model_name)


def test_a_misspelt_setting_names_the_nearest_one(sarlake_home, monkeypatch, caplog):
    """A misspelt section setting was refused without saying what was meant; a misspelt top-level one
    (SARLAKE_QA_MAX_P_EROR) was silently ignored, so the threshold an operator set never applied."""
    import logging

    from lake.exceptions import SettingsError
    from lake.settings import DaacSettings, get_settings

    monkeypatch.setenv("SARLAKE_DAAC__HOT_RETENTION_DAY", "0")
    with pytest.raises(SettingsError) as refused:
        get_settings()
    message = str(refused.value)
    assert message.startswith("setting daac.hot_retention_day (SARLAKE_DAAC__HOT_RETENTION_DAY): unknown setting, "
                              "got '0'; did you mean daac.hot_retention_days (SARLAKE_DAAC__HOT_RETENTION_DAYS)?")
    assert f"the settings of daac: {', '.join(sorted(DaacSettings.model_fields))} (" in message
    monkeypatch.delenv("SARLAKE_DAAC__HOT_RETENTION_DAY")

    monkeypatch.setenv("SARLAKE_QA_MAX_P_EROR", "0.3")
    monkeypatch.setenv("SARLAKE_DAAK__ROOT", "/elsewhere")
    monkeypatch.setenv("SARLAKE_AIRFLOW_DB", "sqlite")  # read by scripts/up.sh: no setting, and no warning
    with caplog.at_level(logging.WARNING, logger="lake.settings"):
        settings = get_settings()
    assert settings.qa_max_p_error == 0.5  # ignored, as before: the environment is shared with other programs
    assert settings.daac.root != "/elsewhere"
    assert [r.getMessage() for r in caplog.records] == [
        "SARLAKE_DAAK__ROOT is no sarlake setting and is ignored: did you mean SARLAKE_DAAC__ROOT?",
        "SARLAKE_QA_MAX_P_EROR is no sarlake setting and is ignored: did you mean SARLAKE_QA_MAX_P_ERROR?"]
