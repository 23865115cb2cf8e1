"""The unwrap DAG through Airflow (`airflow dags test unwrap`): a real Sydney pair, wrapped as a ROI_PAC `.int`.

Operators could unwrap an interferogram made elsewhere only with `sarlake unwrap`: the ingest DAG refuses wrapped
files. Checked against what is independent of the DAG: ROI_PAC's own unwrapped phase of the pair (the truth the
product must keep inside its connected components), the lake's tables, Airflow's metadata database (the
`products` Asset event the qa DAG is scheduled on) and the PGE's own refusal of an unwrapped file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from airflow_harness import run as _run
from airflow_harness import sydney_lake_and_airflow
from test_cli_unwrap_s3 import _wrap, assert_no_cycle_lost
from test_ingest_dag_e2e import _airflow_db, _sql

BIN = Path(sys.executable).parent
UNW = sorted((Path(__file__).parent / "data" / "envisat_sydney_roipac" / "roipac_unw").glob("*.unw"))[0]
COHERENCE = Path(__file__).parent / "data" / "envisat_sydney_roipac" / "gamma_coherence"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lake_env(tmp_path_factory):
    return sydney_lake_and_airflow(tmp_path_factory.mktemp("unwrap-e2e"))


def test_a_wrapped_interferogram_is_unwrapped_catalogued_and_announced(lake_env, tmp_path):
    wrapped, truth = _wrap(UNW, tmp_path / "ints")
    conf = {"paths": [str(wrapped)], "aoi": "sydney", "coherence_dirs": [str(COHERENCE)], "mission": "envisat",
            "method": "snaphu"}
    proc = _run([BIN / "airflow", "dags", "test", "unwrap", "-c", json.dumps(conf)], lake_env, check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-6000:]
    (row,) = _sql(lake_env, "SELECT product_id, aoi, platform, product_type, met_uri FROM products")
    assert (row["aoi"], row["platform"], row["product_type"]) == ("sydney", "envisat", "L2_IFG")
    assert_no_cycle_lost(Path(row["met_uri"]).parent, truth)
    props = json.loads(Path(row["met_uri"]).read_text())["properties"]
    assert props["sarlake:source_coherence_file"] == "20060619-20061002_utm.unw.cc"  # found by date in the folder
    (prov,) = _sql(lake_env, "SELECT dag_id, run_id FROM provenance")
    assert prov["dag_id"] == "unwrap"
    assert prov["run_id"].startswith("manual__")  # the DAG run's
    events = _airflow_db(lake_env, "SELECT e.source_dag_id, e.source_task_id FROM asset_event e JOIN asset a "
                                   "ON a.id = e.asset_id WHERE a.name = 'sarlake.products'")
    assert events == [("unwrap", "catalogue")]


def test_an_unwrapped_file_fails_the_pge_task_once_naming_ingest(lake_env):
    conf = {"paths": [str(UNW)], "aoi": "sydney"}
    proc = _run([BIN / "airflow", "dags", "test", "unwrap", "-c", json.dumps(conf)], lake_env, check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert (f"PGE unwrap rejected its input (exit 2, not retried): {UNW.name}: is already unwrapped; catalogue it "
            f"with `sarlake ingest {UNW.name}`") in text
    tries = _airflow_db(lake_env, "SELECT state, try_number FROM task_instance WHERE dag_id = 'unwrap' AND "
                                  "task_id = 'unwrap' AND run_id = (SELECT run_id FROM dag_run WHERE "
                                  "dag_id = 'unwrap' ORDER BY id DESC LIMIT 1)")
    assert tries == [("failed", 1)]


def test_the_reprocess_dag_unwraps_the_product_again_from_its_wrapped_file(lake_env, monkeypatch):
    """An interferogram the unwrap PGE made was refused by the reprocess DAG (no SLCs). Now its `unwrap` PGE task
    unwraps the same file again with the other unwrapper; the interferogram PGE task, with nothing to run, is
    skipped. Truth: the original's provenance, ROI_PAC's own phase of the pair, the champion's scores."""
    import os

    from qa_champion import register_champion
    from test_cli_unwrap_s3 import _wrap

    for key in [k for k in os.environ if k.startswith("SARLAKE_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("SARLAKE_HOME", lake_env["SARLAKE_HOME"])
    register_champion()
    (original,) = [r["product_id"] for r in _sql(lake_env, "SELECT product_id FROM products")]
    proc = _run([BIN / "airflow", "dags", "test", "reprocess", "-c", json.dumps({"product_ids": [original]})],
                lake_env, check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-6000:]
    states = dict(_airflow_db(lake_env, "SELECT task_id, state FROM task_instance WHERE dag_id = 'reprocess'"))
    assert states == {"check_conf": "success", "plan": "success", "interferogram_runs": "success",
                      "interferogram": "skipped", "unwrap_runs": "success", "unwrap": "success",
                      "catalogue": "success", "score": "success", "record": "success"}
    prov = {r["product_id"]: r for r in _sql(lake_env, "SELECT product_id, pge_name, inputs, parameters, dag_id, "
                                                       "task_id FROM provenance")}
    (new,) = set(prov) - {original}
    assert (prov[new]["pge_name"], prov[new]["dag_id"], prov[new]["task_id"]) == ("unwrap", "reprocess", "unwrap")
    assert list(prov[new]["inputs"])[0] == list(prov[original]["inputs"])[0]  # the wrapped file
    old, params = json.loads(prov[original]["parameters"]), json.loads(prov[new]["parameters"])
    assert (old["unwrap"]["method"], params["unwrap"]["method"]) == ("snaphu", "quality")
    (row,) = _sql(lake_env, f"SELECT met_uri FROM products WHERE product_id = '{new}'")
    _, truth = _wrap(UNW, Path(lake_env["SARLAKE_HOME"]).parent / "truth")
    assert_no_cycle_lost(Path(row["met_uri"]).parent, truth)
    scores = dict((r["product_id"], r["p_error"]) for r in _sql(lake_env, "SELECT product_id, p_error "
                                                                          "FROM qa_predictions"))
    lineage = {r["product_id"]: r["is_default"] for r in _sql(lake_env, "SELECT product_id, is_default "
                                                                        "FROM product_lineage")}
    assert lineage == {original: scores[original] <= scores[new], new: scores[new] < scores[original]}
