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


@pytest.mark.parametrize("option", ["class_thresholds", "crowd_relabel"])
def test_the_class_thresholds_and_crowd_relabel_flags_reach_training(monkeypatch, option):
    """`--no-class-thresholds` trains with thresholds at 0.5 (the gate test checks the versions' tags then),
    `--no-crowd-relabel` on the consensus as it is; without a flag nothing is asked, so the `train` PGE's default
    applies (fitted, relabelled)."""
    import sarlake.workflows.qa_train as qa_train
    from sarlake.cli import cli

    asked = []
    record = {"candidates": [], "promotion": {"champion": "1", "reason": "test"}, "folder": "x"}
    monkeypatch.setattr(qa_train, "has_champion", lambda: False)
    monkeypatch.setattr(qa_train, "train_qa", lambda *a, **k: asked.append(k.get(option)) or record)
    name = option.replace("_", "-")
    for flags in ([f"--no-{name}"], [f"--{name}"], []):
        result = CliRunner().invoke(cli, ["qa", "train", "--scenes", "2", *flags])
        assert result.exit_code == 0, result.output
    assert asked == [False, True, None]


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_the_qa_train_dag_trains_on_a_lake_on_s3_with_its_labels_and_real_check_there(tmp_path, monkeypatch,
                                                                                       s3_server):
    """The qa_train DAG in Airflow on a lake whose products root is on S3 (moto), as in production.

    Its two PGEs (the set, the training) run as they would in pods: they read only what is on S3. The labels are
    exported beside the products, and the real check (the Sydney manifest and its ROI_PAC files) is uploaded and
    named by its s3:// URI. Truth: the simulator's own truth.csv, the manifest's count of clean interferograms,
    and the registry's aliases.
    """
    import csv
    import json
    from pathlib import Path

    import boto3
    import mlflow
    from airflow_harness import BIN, airflow_env, migrate_airflow, run
    from conftest import s3_lake_env

    from lake.settings import get_settings
    from lake.storage import list_uris, read_bytes, read_json
    from sarlake.cli import cli

    env = airflow_env(tmp_path)
    env.update(s3_lake_env(s3_server, "qa-train-s3"))
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):  # only sarlake's own S3 keys, as in a deployment
        env.pop(key)
    root = env["SARLAKE_PRODUCTS_ROOT"]
    bucket = root.split("/")[2]
    env["SARLAKE_MLFLOW_ARTIFACT_ROOT"] = f"s3://{bucket}/mlartifacts"  # the registry's models on S3 too
    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1", aws_access_key_id="test",
                      aws_secret_access_key="test")
    check = Path(__file__).parent / "data" / "envisat_sydney_roipac"
    rows = list(csv.DictReader((check / "qa_real_check.csv").read_text().splitlines()))
    for name in {"qa_real_check.csv", *(r["unw"] for r in rows), *(r["unw"] + ".rsc" for r in rows),
                 *(r["coherence"] for r in rows if r["coherence"])}:
        s3.upload_file(str(check / name), bucket, f"realcheck/{name}")
    run([BIN / "sarlake", "init"], env)
    migrate_airflow(env)
    conf = {"scenes": 20, "first_scene": 500, "models": ["random_forest"], "quick": True, "second_sim_products": 0,
            "workers": 2, "real_check": f"s3://{bucket}/realcheck/qa_real_check.csv"}
    proc = run([BIN / "airflow", "dags", "test", "qa_train", "2024-02-10", "-c", json.dumps(conf)], env, check=False)
    text = proc.stdout + proc.stderr
    finished = [line for line in text.splitlines() if "DagRun Finished" in line]
    assert proc.returncode == 0 and finished and all("state=success" in f for f in finished), text[-6000:]

    for key in [k for k in os.environ if k.startswith(("SARLAKE_", "AWS_"))]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        if key.startswith("SARLAKE_"):
            monkeypatch.setenv(key, value)
    settings = get_settings()
    (set_met,) = list_uris(f"{root}/QA_TRAINING_SET", ".met.json")
    truth = list(csv.DictReader(read_bytes(set_met.rsplit("/", 1)[0] + "/truth/truth.csv").decode().splitlines()))
    (labels,) = list_uris(f"{root}/QA_TRAINING_LABELS", ".csv")
    exported = list(csv.DictReader(read_bytes(labels).decode().splitlines()))
    assert sorted(r["product_id"] for r in exported) == sorted(r["product_id"] for r in truth)
    (folder,) = [u.rsplit("/", 1)[0] for u in list_uris(f"{root}/QA_TRAINING_RUN", "training.json")]
    record = read_json(f"{folder}/training.json")
    assert record["dataset"]["train"] + record["dataset"]["test"] == len(truth)
    assert record["dataset"]["real_check"] == "qa_real_check.csv"
    (candidate,) = record["candidates"]
    assert candidate["metrics"]["real_clean_products"] == sum(r["clean"] == "1" for r in rows) == 13
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    champion = mlflow.MlflowClient().get_model_version_by_alias(settings.qa_model_name, "champion")
    assert str(champion.version) == candidate["version"]
    assert champion.source.startswith(f"s3://{bucket}/mlartifacts/") or champion.source.startswith("models:/")
    stored = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="mlartifacts/")
              for o in page.get("Contents", [])]
    assert any(k.endswith("/MLmodel") for k in stored)  # the PGE uploaded the model itself to S3
    scored = CliRunner().invoke(cli, ["qa", "score", str(check / rows[0]["unw"]), "--json"])  # downloads it
    assert scored.exit_code == 0, scored.output
    assert json.loads(scored.output)["model_version"] == candidate["version"]

    # the qa DAG scores products of this S3 lake with that champion, through the qa PGE: the same p(error) as the
    # files scored without a lake
    unws = sorted((check / "roipac_unw").glob("*.unw"))[:3]
    run([BIN / "sarlake", "aoi", "add", "sydney", "--bbox", "150.8", "-34.3", "151.0", "-34.1"], env)
    run([BIN / "sarlake", "ingest", *unws, "--aoi", "sydney", "--mission", "envisat"], env)
    proc = run([BIN / "airflow", "dags", "test", "qa", "2024-02-11"], env, check=False)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    from lake.query import connect

    preds = connect(settings).execute("SELECT q.model_version, q.p_error, f.unw_uri FROM qa_predictions q "
                                      "JOIN qa_features f USING (product_id)").fetchall()
    assert len(preds) == 3 and {p[0] for p in preds} == {candidate["version"]}
    assert all(p[2].startswith(f"{root}/L2_IFG/") for p in preds)  # read from S3
    (tmp_path / "m.csv").write_text("unw,coherence,dem\n" + "".join(f"{u},,\n" for u in unws))
    direct = CliRunner().invoke(cli, ["qa", "score", "--manifest", str(tmp_path / "m.csv"), "--json"])
    assert direct.exit_code == 0, direct.output
    assert sorted(round(json.loads(line)["p_error"], 3) for line in direct.output.splitlines()) == sorted(
        round(p[1], 3) for p in preds)
    assert list_uris(f"{root}/QA_SCORES", "qa.jsonl")  # the PGE's report, beside the products
