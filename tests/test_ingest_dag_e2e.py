"""The ingest DAG through Airflow (`airflow dags test ingest`): a real Envisat ROI_PAC interferogram of Sydney.

Checked against what is independent of the DAG: the lake's own tables (`sarlake sql`), Airflow's metadata
database (the `products` Asset event the qa DAG is scheduled on, the catalogue task's summary) and the PGE's
own refusal of a bad input.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest
from airflow_harness import run as _run
from airflow_harness import sydney_lake_and_airflow

BIN = Path(sys.executable).parent
UNW = sorted((Path(__file__).parent / "data" / "envisat_sydney_roipac" / "roipac_unw").glob("*.unw"))[0]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lake_env(tmp_path_factory):
    return sydney_lake_and_airflow(tmp_path_factory.mktemp("ingest-e2e"))


def _sql(env, query):
    return json.loads(_run([BIN / "sarlake", "sql", query, "--format", "json"], env).stdout)


def _airflow_db(env, query):
    with sqlite3.connect(Path(env["AIRFLOW_HOME"]) / "airflow.db") as con:
        return con.execute(query).fetchall()


def test_an_interferogram_is_ingested_catalogued_and_announced(lake_env):
    assert UNW.with_suffix(".unw.rsc").is_file()
    conf = {"paths": [str(UNW)], "aoi": "sydney", "mission": "envisat", "track": 402}
    proc = _run([BIN / "airflow", "dags", "test", "ingest", "-c", json.dumps(conf)], lake_env, check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-6000:]
    rows = _sql(lake_env, "SELECT product_id, aoi, platform, track, product_type, uri FROM products")
    assert len(rows) == 1
    row = rows[0]
    assert UNW.stem in row["product_id"]
    assert (row["aoi"], row["platform"], row["track"], row["product_type"]) == ("sydney", "envisat", 402, "L2_IFG")
    assert "/L2_IFG/sydney/" in row["uri"]
    (prov,) = _sql(lake_env, "SELECT dag_id, run_id FROM provenance")
    assert prov["dag_id"] == "ingest"
    assert prov["run_id"].startswith("manual__")  # the DAG run's, not the CLI's manual__ingest__<time>
    events = _airflow_db(lake_env, "SELECT e.source_dag_id, e.source_task_id FROM asset_event e JOIN asset a "
                                   "ON a.id = e.asset_id WHERE a.name = 'sarlake.products'")
    assert events == [("ingest", "catalogue")]
    (value,) = _airflow_db(lake_env, "SELECT value FROM xcom WHERE dag_id = 'ingest' AND task_id = 'catalogue' "
                                     "AND key = 'return_value'")[0]
    summary = json.loads(value)
    assert summary["ids"] == [row["product_id"]]
    assert (summary["catalogued"], summary["kept"], summary["rejected"]) == (1, 0, 0)
    assert "Catalogued 1 product(s) under " in text  # the summary in the task log


def test_a_bad_input_fails_the_pge_task_once_with_the_pges_message(lake_env, tmp_path):
    bad = tmp_path / UNW.name
    bad.write_bytes(UNW.read_bytes()[:5000])  # truncated
    (tmp_path / (UNW.name + ".rsc")).write_bytes(UNW.with_suffix(".unw.rsc").read_bytes())
    conf = {"paths": [str(bad)], "aoi": "sydney"}
    proc = _run([BIN / "airflow", "dags", "test", "ingest", "-c", json.dumps(conf)], lake_env, check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    # the PGE's one line: what is wrong with which file
    assert (f"AirflowFailException: PGE ingest rejected its input (exit 2, not retried): {bad.name}: 5,000 bytes "
            "but WIDTH 47 x FILE_LENGTH 72") in text
    tries = _airflow_db(lake_env, "SELECT state, try_number FROM task_instance WHERE dag_id = 'ingest' AND "
                                  "task_id = 'ingest' AND run_id = (SELECT run_id FROM dag_run WHERE "
                                  "dag_id = 'ingest' ORDER BY id DESC LIMIT 1)")
    assert tries == [("failed", 1)]
    assert len(_sql(lake_env, "SELECT product_id FROM products")) == 1  # the first test's, nothing new
