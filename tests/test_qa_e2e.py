"""The qa DAG through Airflow: a tiny lake of real Envisat interferograms, a champion, `airflow dags test qa`.

Checked against what is independent of the DAG: the products ingested (each gets one qa_predictions row and
a p_error on products), the registry's champion (the rows name its version), and the scoring of the same
files without a lake (`sarlake qa score`, another code path: the DAG must give the same p(error)).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from airflow_harness import airflow_env, migrate_airflow
from airflow_harness import run as _run

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DATA = Path(__file__).parent / "data" / "envisat_sydney_roipac"
UNW = sorted((DATA / "roipac_unw").glob("*.unw"))[:3]
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


@pytest.fixture(scope="module")
def lake_env(tmp_path_factory):
    home = tmp_path_factory.mktemp("qa-e2e")
    env = airflow_env(home)
    _run([BIN / "sarlake", "init"], env)
    migrate_airflow(env)
    # a champion in seconds (tests/qa_champion.py): this test checks the DAG's flow, not the model's skill
    _run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
          "from qa_champion import register_champion; register_champion()", Path(__file__).parent], env)
    _run([BIN / "sarlake", "aoi", "add", "sydney", "--bbox", "150.8", "-34.3", "151.0", "-34.1"], env)
    _run([BIN / "sarlake", "ingest", *UNW, "--coherence-dir", DATA / "gamma_coherence", "--aoi", "sydney",
          "--mission", "envisat"], env)
    return env


def _sql(env, query):
    return json.loads(_run([BIN / "sarlake", "sql", query, "--format", "json"], env).stdout)


def test_qa_dag_scores_every_new_interferogram_with_the_champion(lake_env):
    import mlflow

    ids = {r["product_id"] for r in _sql(lake_env, "SELECT product_id FROM products WHERE product_type = 'L2_IFG'")}
    assert len(ids) == len(UNW)
    assert _sql(lake_env, "SELECT count(*) AS n FROM qa_predictions")[0]["n"] == 0
    folders = {r["product_id"]: Path(r["uri"].removeprefix("file://")) for r in _sql(
        lake_env, "SELECT product_id, uri FROM products WHERE product_type = 'L2_IFG'")}
    broken = sorted(ids)[1]
    unw = folders[broken] / "unwrapped_phase.tif"
    unw.rename(unw.with_suffix(".away"))
    # one product's files cannot be read: the others are recorded, the run fails naming its met.json
    proc = _run([BIN / "airflow", "dags", "test", "qa"], lake_env, check=False)
    assert proc.returncode != 0
    assert "1 products not scored (the other 2 were recorded)" in proc.stdout + proc.stderr
    assert f"{folders[broken]}: no unwrapped_phase.tif" in proc.stdout + proc.stderr
    first = {r["product_id"] for r in _sql(lake_env, "SELECT product_id FROM qa_predictions")}
    assert first == ids - {broken}
    unw.with_suffix(".away").rename(unw)

    proc = _run([BIN / "airflow", "dags", "test", "qa"], lake_env, check=False)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    # scored by the qa PGE (a task per batch), whose reports are kept beside the products
    reports = sorted((Path(lake_env["SARLAKE_HOME"]) / "products" / "QA_SCORES").glob("*/qa.jsonl"))
    assert len(reports) == 2
    assert [json.loads(line)["product_id"] for line in reports[-1].read_text().splitlines()] == [broken]
    features = {r["product_id"]: r["unw_uri"] for r in _sql(lake_env, "SELECT product_id, unw_uri FROM qa_features")}
    import sqlite3

    with sqlite3.connect(Path(lake_env["AIRFLOW_HOME"]) / "airflow.db") as con:  # what the operator sees as XCom
        (value,) = con.execute("SELECT value FROM xcom WHERE dag_id = 'qa' AND task_id = 'record' "
                               "AND key = 'return_value' ORDER BY dag_run_id DESC LIMIT 1").fetchall()[0]
    summary = json.loads(value)
    assert summary["scored"] == 1 and sum(summary["uwe_classes"].values()) == 1
    assert features == {pid: str(folders[pid] / "unwrapped_phase.tif") for pid in ids}

    mlflow.set_tracking_uri(f"sqlite:///{Path(lake_env['SARLAKE_HOME']) / 'mlflow.db'}")  # the settings' default
    champion = mlflow.MlflowClient().get_model_version_by_alias("sarlake-qa-uwe", "champion")
    preds = _sql(lake_env, "SELECT product_id, model_name, model_version, p_error, uwe_class FROM qa_predictions")
    assert {p["product_id"] for p in preds} == ids and len(preds) == len(ids)
    assert {(p["model_name"], str(p["model_version"])) for p in preds} == {("sarlake-qa-uwe", str(champion.version))}
    on_products = {r["product_id"]: r["p_error"] for r in _sql(
        lake_env, "SELECT product_id, p_error FROM products WHERE product_type = 'L2_IFG'")}
    for p in preds:
        assert 0.0 <= p["p_error"] <= 1.0
        assert on_products[p["product_id"]] == pytest.approx(p["p_error"], abs=1e-6)

    # the same files scored without a lake (sarlake qa score) give the same p(error)
    manifest = Path(lake_env["SARLAKE_HOME"]) / "manifest.csv"
    rows = ["unw,coherence,dem"]
    for f in UNW:
        first, second = f.stem.removeprefix("geo_").split("-")
        coh = DATA / "gamma_coherence" / f"20{first}-20{second}_utm.unw.cc"
        rows.append(f"{f},{coh if coh.is_file() else ''},")
    manifest.write_text("\n".join(rows) + "\n")
    lines = _run([BIN / "sarlake", "qa", "score", "--manifest", manifest, "--json"], lake_env).stdout.splitlines()
    direct = sorted(round(json.loads(line)["p_error"], 3) for line in lines if line.startswith("{"))
    assert direct == sorted(round(p["p_error"], 3) for p in preds)

    # a second run finds nothing new: skipped, no second prediction
    again = _run([BIN / "airflow", "dags", "test", "qa"], lake_env, check=False)
    assert again.returncode == 0, (again.stdout + again.stderr)[-6000:]
    assert _sql(lake_env, "SELECT count(*) AS n FROM qa_predictions")[0]["n"] == len(ids)
