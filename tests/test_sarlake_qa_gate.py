"""The real check of QA promotion end to end, on the real Sydney Envisat files.

A labelled set of 80 simulated scenes (400 products; 120 took 80 s more, and the champion flagged none of the
clean files with either), two feature models with the full recipe but the class thresholds (the gate reads
p(error), not the class) and the fresh-scenes check (840 scenes simulated for fresh_* metrics that neither the gate
nor this test reads), the Sydney manifest as the real check (clean = all of the interferogram's triplets
close, tests/data/envisat_sydney_roipac/qa_real_check.csv). Truth: the manifest's closure column; the promoted
model is scored through the CLI from the registry (not the PGE's in-memory models), and its flags on clean
interferograms counted here.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]  # simulates 80 scenes and fits two models: ~2-3 min

MANIFEST = Path(__file__).parent / "data" / "envisat_sydney_roipac" / "qa_real_check.csv"
LIMIT = 0.25


def _cli(*args):
    from sarlake.cli import cli

    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_the_promoted_models_false_alarms_on_the_real_sydney_files_are_within_the_limit(sarlake_home):
    import mlflow

    from sarlake.workflows.qa_train import build_training_set, train_models

    assert _cli("init").exit_code == 0
    dataset = build_training_set(80, first_scene=500, workers=2)
    # the real check alone; the gate reads p(error) >= 0.5, not the class: no 5-fold threshold fits
    # no fresh scenes (840 by default, 4,200 products simulated), which neither the gate nor this test reads
    record = train_models(dataset, models=["ordinal_boosting", "random_forest"], real_check=str(MANIFEST),
                          max_real_false_alarms=LIMIT, second_sim_products=0, fresh_scenes=0,
                          class_thresholds=False)
    decision = record["promotion"]
    champion = str(mlflow.MlflowClient().get_model_version_by_alias("sarlake-qa-uwe", "champion").version)
    assert champion == decision["champion"]

    out = _cli("qa", "score", "--manifest", str(MANIFEST), "--json")
    assert out.exit_code == 0, out.output
    scores = [json.loads(x) for x in out.output.strip().splitlines()]
    assert {s["model_version"] for s in scores} == {champion} and len(scores) == 17
    with MANIFEST.open() as f:
        clean = [r["clean"] == "1" for r in csv.DictReader(f)]
    assert sum(clean) == 13  # 13 of the 17 are in triplets, and every triplet closes
    share = sum(s["p_error"] >= 0.5 for s, ok in zip(scores, clean, strict=True) if ok) / sum(clean)
    assert share <= LIMIT, (share, decision)

    logged = {c["version"]: c["metrics"]["real_false_alarm_share"] for c in record["candidates"]}
    assert share == pytest.approx(logged[champion], abs=1e-9)  # the MLflow metric is what the registered model does
    client = mlflow.MlflowClient()
    for c in record["candidates"]:
        run = client.get_run(c["run_id"]).data.metrics
        assert run["real_false_alarm_share"] == pytest.approx(logged[c["version"]])
        assert run["real_cuts_products"] == 13 * 9  # the 13 clean ones and 8 wrong cuts of each (pges.train.realcuts)
        assert 0 <= run["real_cuts_f1_uwe2"] <= 1
        tags = client.get_model_version("sarlake-qa-uwe", c["version"]).tags  # no thresholds fitted: classes at 0.5
        assert (tags["sarlake.class_threshold_uwe1"], tags["sarlake.class_threshold_uwe3"]) == ("0.50", "0.50")
    if decision["best_version"] != champion:  # the best on the held-out split was held back: by the real check
        assert logged[decision["best_version"]] > LIMIT
        assert "real false-alarm share" in decision["held_back"][decision["best_version"]]
        assert client.get_model_version("sarlake-qa-uwe", decision["best_version"]).tags["sarlake.held_back"]


def test_the_train_run_config_exports_the_labels_and_names_what_a_pge_pod_could_not_reach(
        tmp_path, monkeypatch, s3_server) -> None:
    """The labels of the set's data version go beside the products on S3; the trigger's real check and limit win
    over the settings, empty ones fall back to them; with the Kubernetes runner a local manifest, a SQLite
    registry or a local artifact folder is refused naming the setting. Truth: the rows written to the table."""
    import os

    from conftest import s3_lake_env

    from lake.catalog import load_table
    from lake.storage import read_bytes
    from lake.write import upsert
    from pges.errors import InputValidationError
    from pges.train.config import TrainParameters
    from pges.train.relabel import CROWD_COLUMNS
    from sarlake.workflows.qa_train import check_pods_reach, train_options, train_run_config

    for key in [k for k in os.environ if k.startswith("SARLAKE_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("SARLAKE_HOME", str(tmp_path / "home"))
    for key, value in s3_lake_env(s3_server, "qa-train-config").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SARLAKE_QA_REAL_CHECK", str(MANIFEST))
    assert _cli("init").exit_code == 0
    rows: list[dict[str, Any]] = [
        {"product_id": f"P{i}", "dataset_id": "set-a", "scene_id": f"S{i // 2}", "split": ("train", "test")[i % 2],
         "uwe_label": i % 4, "raters": 3, "agreement": 1.0, "missing_inputs": []} for i in range(6)]
    upsert("qa_training_set", rows)
    upsert("qa_training_set", [{**rows[0], "product_id": "OTHER", "dataset_id": "set-b"}])
    snapshot = load_table("qa_training_set").current_snapshot()
    assert snapshot is not None
    dataset = {"dataset_id": "set-a", "data_version": str(snapshot.snapshot_id), "met_uri": "s3://x/set-a.met.json"}

    cfg = train_run_config(dataset, real_check="s3://checks/sydney.csv", max_real_false_alarms=0.1,
                           second_sim_products=50, workers=6, fresh_scenes=30)
    params = cfg["parameters"]
    assert (params["real_check"], params["max_real_false_alarms"]) == ("s3://checks/sydney.csv", 0.1)
    assert (params["second_sim_products"], params["workers"], cfg["inputs"]) == (50, 6, [dataset["met_uri"]])
    assert TrainParameters.model_validate(params).fresh_scenes == 30
    assert params["labels"].startswith(os.environ["SARLAKE_PRODUCTS_ROOT"] + "/QA_TRAINING_LABELS/")
    exported = list(csv.DictReader(read_bytes(params["labels"]).decode().splitlines()))
    no_crowd = dict.fromkeys(CROWD_COLUMNS, "")  # no tags, no fit: the PGE trains on the consensus as it is
    assert sorted(exported, key=str) == sorted(({"product_id": r["product_id"], "label": str(r["uwe_label"]),
                                                 "split": r["split"], **no_crowd} for r in rows), key=str)
    params = train_run_config(dataset)["parameters"]  # an empty trigger: the settings
    assert (params["real_check"], params["max_real_false_alarms"]) == (str(MANIFEST.absolute()), 0.25)
    # an option left out takes the PGE's default: class thresholds fitted (the docs' 'make train' fits them)
    assert "class_thresholds" not in params and TrainParameters.model_validate(params).class_thresholds is True
    assert train_run_config(dataset, class_thresholds=False)["parameters"]["class_thresholds"] is False
    assert "second_sim_products" not in params and "fresh_scenes" not in params  # the PGE's defaults
    # a trigger form's empty fields are left out, its other params (the set's) are not the PGE's
    form = {"scenes": 20, "first_scene": 0, "models": [], "seed": 0, "second_sim_products": 0, "fresh_scenes": None,
            "quick": False, "real_check": ""}
    assert train_options(form) == {"seed": 0, "second_sim_products": 0, "quick": False}
    with pytest.raises(TypeError, match="no option scenes"):
        train_run_config(dataset, scenes=20)

    monkeypatch.setenv("SARLAKE_RUNNER", "kubernetes")
    monkeypatch.setenv("SARLAKE_ARCHIVE_ROOT", os.environ["SARLAKE_PRODUCTS_ROOT"].replace("/products", "/slc"))
    with pytest.raises(InputValidationError, match="SARLAKE_QA_REAL_CHECK"):
        check_pods_reach(None)
    from airflow.sdk.exceptions import AirflowFailException

    from sarlake_plugins.qa import plan_training_set

    with pytest.raises(AirflowFailException, match="SARLAKE_QA_REAL_CHECK"):  # the DAG's first task, before simulating
        plan_training_set({"scenes": 20, "first_scene": 0}, {})
    with pytest.raises(InputValidationError, match="SARLAKE_MLFLOW_TRACKING_URI"):
        check_pods_reach("s3://checks/sydney.csv")
    from sarlake_plugins.qa import plan_scoring

    with pytest.raises(AirflowFailException, match="SARLAKE_MLFLOW_TRACKING_URI"):  # the qa DAG's pods score too
        plan_scoring({})
    monkeypatch.setenv("SARLAKE_MLFLOW_TRACKING_URI", "http://mlflow:5000")
    with pytest.raises(InputValidationError, match="SARLAKE_MLFLOW_ARTIFACT_ROOT"):
        check_pods_reach("s3://checks/sydney.csv")
    monkeypatch.setenv("SARLAKE_MLFLOW_ARTIFACT_ROOT", "s3://models/mlartifacts")
    check_pods_reach("s3://checks/sydney.csv")  # everything a pod needs is on the network
    params = train_run_config(dataset, real_check="s3://checks/sydney.csv")["parameters"]
    assert (params["tracking_uri"], params["artifact_root"]) == ("http://mlflow:5000", "s3://models/mlartifacts")
    # a registry with a password: the run-config (rendered in the Airflow UI, a pod argument, the run's provenance)
    # names it without; the pod takes it from the PGE credentials secret (pges.qa.registry_access)
    monkeypatch.setenv("SARLAKE_MLFLOW_TRACKING_URI", "http://ops:hunter2@mlflow:5000")
    cfg = train_run_config(dataset, real_check="s3://checks/sydney.csv")
    assert cfg["parameters"]["tracking_uri"] == "http://ops@mlflow:5000"
    assert "hunter2" not in json.dumps(cfg)
