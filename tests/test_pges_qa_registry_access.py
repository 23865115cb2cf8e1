"""The MLflow registry's password stays out of run-configs (the Airflow UI, pod arguments, provenance) and the PGE
takes it back from its environment when the environment names the same registry."""

from __future__ import annotations

import json
import os

import pytest

REGISTRY = "postgresql+psycopg2://sarlake:hunter2@db.internal:5432/mlflow"


def test_a_run_config_names_the_registry_without_its_password():
    from pges.qa.registry_access import without_password

    assert without_password(REGISTRY) == "postgresql+psycopg2://sarlake@db.internal:5432/mlflow"
    assert without_password("http://ops:p%40ss@mlflow:5000/x") == "http://ops@mlflow:5000/x"
    for kept in ("sqlite:////home/sarlake/mlflow.db", "http://mlflow:5000", "postgresql+psycopg2://sarlake@db/m"):
        assert without_password(kept) == kept


@pytest.mark.parametrize(("environment", "expected"), [
    (REGISTRY, REGISTRY),  # the scheduler's own settings, as a local subprocess gets them
    ("postgresql://sarlake:hunter2@db.internal:5432/mlflow", REGISTRY),  # the secret may give another driver form
    ("postgres://sarlake:hunter2@db.internal:5432/mlflow", REGISTRY),
    ("postgresql://other:hunter2@db.internal:5432/mlflow", None),  # another user's password is not this user's
    ("postgresql://sarlake:hunter2@db.elsewhere:5432/mlflow", None),
    ("postgresql://sarlake:hunter2@db.internal:5433/mlflow", None),
    ("postgresql://sarlake:hunter2@db.internal:5432/tracking", None),
    ("postgresql://sarlake@db.internal:5432/mlflow", None),  # no password to give
    ("", None),
])
def test_the_pge_takes_the_password_only_from_a_setting_that_names_the_same_registry(environment, expected):
    from pges.qa.registry_access import with_credentials, without_password

    shown = without_password(REGISTRY)
    got = with_credentials(shown, {"SARLAKE_MLFLOW_TRACKING_URI": environment} if environment else {})
    assert got == (expected or shown)
    # a run-config that names its own password, or a file registry, is used as it is
    assert with_credentials("sqlite:////tmp/m.db", {"SARLAKE_MLFLOW_TRACKING_URI": REGISTRY}) == "sqlite:////tmp/m.db"
    own = "postgresql+psycopg2://sarlake:mine@db.internal:5432/mlflow"
    assert with_credentials(own, {"SARLAKE_MLFLOW_TRACKING_URI": REGISTRY}) == own


def test_the_qa_dags_run_configs_carry_no_password_and_still_reach_the_registry(settings, postgres_server,
                                                                                monkeypatch):
    """On a real PostgreSQL registry whose URI carries a password (the test server trusts local connections, so
    the password is not checked: what is checked is where it goes)."""
    from conftest import create_postgres_database
    from qa_champion import register_champion

    from lake.catalog import init_lake
    from lake.settings import get_settings
    from lake.write import upsert
    from pges.qa.registry_access import with_credentials
    from pges.qa.score import resolve_version
    from sarlake.workflows.qa_batches import scoring_run_configs

    registry = create_postgres_database(postgres_server, f"registry_access_{os.getpid()}")
    with_password = registry.replace("://sarlake@", "://sarlake:hunter2@")
    assert with_password != registry
    monkeypatch.setenv("SARLAKE_MLFLOW_TRACKING_URI", with_password)
    settings = get_settings()
    init_lake(settings)
    version = register_champion(seed=3)
    upsert("products", [{"product_id": "IFG1", "product_type": "L2_IFG", "start_time": "2024-01-01T00:00:00Z",
                         "met_uri": f"{settings.products_root}/IFG1/IFG1.met.json"}], settings)
    configs = scoring_run_configs("manual__2024-01-01")
    assert len(configs) == 1
    assert "hunter2" not in json.dumps(configs)
    named = configs[0]["parameters"]["tracking_uri"]
    assert named == registry
    # the PGE, given the scheduler's settings as a local subprocess is, reaches the registry with the password
    assert with_credentials(named, settings.to_env()) == with_password
    assert str(resolve_version(with_credentials(named, settings.to_env()), settings.qa_model_name).version) == version
