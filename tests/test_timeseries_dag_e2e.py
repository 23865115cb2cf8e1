"""The timeseries DAG end to end (`airflow dags test`): the real Sydney stack in the lake -> L3 products
catalogued by the DAG path; a second run finds the same inputs and settings done and adds nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from airflow_harness import migrate_airflow

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SYD = ROOT / "tests" / "data" / "envisat_sydney_roipac"
pytestmark = pytest.mark.slow


def _run(cmd, env):
    proc = subprocess.run([str(c) for c in cmd], env=env, capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc.stdout + proc.stderr


def _sql(env, query):
    proc = subprocess.run([str(BIN / "sarlake"), "sql", query, "--format", "json"], env=env, capture_output=True,
                          text=True, cwd=ROOT, check=True)
    return json.loads(proc.stdout)


def test_timeseries_dag_catalogues_l3_once(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SARLAKE_", "AIRFLOW"))}
    env.update({
        "SARLAKE_HOME": str(tmp_path / "lake"), "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"), "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
    })
    _run([BIN / "sarlake", "init"], env)
    _run([BIN / "sarlake", "aoi", "add", "sydney", "--bbox", "150.90", "-34.24", "150.96", "-34.16"], env)
    unw = sorted((SYD / "roipac_unw").glob("*.unw"))
    _run([BIN / "sarlake", "ingest", *unw, "--coherence-dir", SYD / "gamma_coherence", "--aoi", "sydney",
          "--mission", "envisat"], env)
    migrate_airflow(env)
    _run([BIN / "airflow", "dags", "test", "timeseries", "2024-02-10", "-c", "{}"], env)
    rows = _sql(env, "SELECT product_id, product_type FROM products WHERE product_type LIKE 'L3%'")
    assert sorted(r["product_type"] for r in rows) == ["L3_COH", "L3_TS"]
    prov = _sql(env, "SELECT count(*) AS n FROM provenance WHERE product_id LIKE 'L3-%'")
    assert prov[0]["n"] == 2
    text = _run([BIN / "airflow", "dags", "test", "timeseries", "2024-02-11", "-c", "{}"], env)
    assert "is catalogued" in text  # planned nothing: same inputs and settings
    again = _sql(env, "SELECT product_id FROM products WHERE product_type LIKE 'L3%'")
    assert sorted(r["product_id"] for r in again) == sorted(r["product_id"] for r in rows)
