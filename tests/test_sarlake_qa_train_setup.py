"""`sarlake qa train` on a lake that was never initialised stops at once, before minutes of simulation.

It used to simulate the whole labelled set (6.5 min for `make train`'s 420 scenes) and only then fail on the
missing `user_tags` table, losing that work.
"""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner


def test_training_on_an_uninitialised_lake_fails_before_simulating_naming_sarlake_init(tmp_path, monkeypatch):
    import sarlake.workflows.pge as pge_workflow
    from sarlake.cli import cli

    for key in list(os.environ):
        if key.startswith("SARLAKE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("SARLAKE_HOME", str(tmp_path / "home"))
    simulated = []
    monkeypatch.setattr(pge_workflow, "run_pge", lambda *a, **k: simulated.append(a) or pytest.fail("simulated"))
    result = CliRunner().invoke(cli, ["qa", "train", "--scenes", "2"])
    assert result.exit_code == 2, result.output
    assert "user_tags does not exist" in result.output
    assert "run `sarlake init`" in result.output
    assert simulated == []


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_training_on_a_lake_on_s3_reads_the_set_from_its_objects(tmp_path, monkeypatch, s3_server):
    """The labelled set and the training run are products under an s3:// products root (moto).

    The set's products.csv and truth.csv are read from their objects, the `train` PGE downloads the files the
    set's met.json lists, and its record is read back from S3. Truth: the simulator's own count of products
    (truth.csv on S3) and the registry's aliases.
    """
    import csv

    import mlflow
    from conftest import s3_lake_env

    from lake.storage import list_uris, read_bytes
    from sarlake.workflows.qa_train import build_training_set, train_models

    for key in list(os.environ):
        if key.startswith("SARLAKE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("SARLAKE_HOME", str(tmp_path / "home"))
    env = s3_lake_env(s3_server, "qa-train-s3")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    from sarlake.cli import cli

    assert CliRunner().invoke(cli, ["init"]).exit_code == 0
    dataset = build_training_set(12, first_scene=500, workers=2)
    assert dataset["met_uri"].startswith(env["SARLAKE_PRODUCTS_ROOT"] + "/QA_TRAINING_SET/")
    truth = list(csv.DictReader(read_bytes(dataset["met_uri"].rsplit("/", 1)[0] + "/truth/truth.csv").decode()
                                .splitlines()))
    assert dataset["products"] == len(truth) > 0
    record = train_models(dataset, models=["random_forest"], quick=True, second_sim_products=0)
    assert record["folder"].startswith(env["SARLAKE_PRODUCTS_ROOT"] + "/QA_TRAINING_RUN/")
    assert record["dataset"]["train"] + record["dataset"]["test"] == len(truth)
    assert list_uris(record["folder"], "training.json") == [record["folder"] + "/training.json"]
    champion = mlflow.MlflowClient().get_model_version_by_alias("sarlake-qa-uwe", "champion")
    assert str(champion.version) == record["candidates"][0]["version"]
