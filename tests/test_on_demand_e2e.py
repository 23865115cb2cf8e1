"""The on_demand DAG through Airflow on a bbox over the demo scene: a date pair, the quality unwrapper, requester."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from airflow_harness import airflow_env, migrate_airflow
from airflow_harness import run as _run

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow

BBOX = [14.40, 40.79, 14.46, 40.84]


@pytest.fixture(scope="module")
def lake_env(tmp_path_factory):
    home = tmp_path_factory.mktemp("on-demand-e2e")
    env = airflow_env(home)
    _run([BIN / "sarlake", "init"], env)
    migrate_airflow(env)
    return env


def _sql(env, query):
    return json.loads(_run([BIN / "sarlake", "sql", query, "--format", "json"], env).stdout)


def test_date_pair_over_a_bbox_makes_one_product_with_the_requester(lake_env):
    conf = {"bbox": BBOX, "start_date": "2024-01-20", "end_date": "2024-02-10", "unwrapper": "quality", "looks": 4}
    proc = _run([BIN / "airflow", "dags", "test", "on_demand", "-c", json.dumps(conf)], lake_env, check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-6000:]
    products = _sql(lake_env, "SELECT product_id, aoi, reference_date, secondary_date FROM products")
    assert len(products) == 1  # endpoints: 2024-01-27 and 2024-02-08 are the passes in the range
    p = products[0]
    assert (str(p["secondary_date"]), str(p["reference_date"])) == ("2024-01-27", "2024-02-08")
    assert p["aoi"].startswith("od-") and p["product_id"].endswith("-v0_1_0")
    prov = _sql(lake_env, "SELECT requester, dag_id, parameters FROM provenance")
    assert prov[0]["requester"] == "dag_test"  # `airflow dags test` triggers as this user
    assert json.loads(prov[0]["parameters"])["unwrap"]["method"] == "quality"


def test_dates_in_the_wrong_order_fail_before_any_pge(lake_env):
    conf = {"bbox": BBOX, "start_date": "2024-02-10", "end_date": "2024-01-20"}
    proc = _run([BIN / "airflow", "dags", "test", "on_demand", "-c", json.dumps(conf)], lake_env, check=False)
    text = proc.stdout + proc.stderr
    assert "end_date 2024-01-20 must be after start_date 2024-02-10" in text
    assert "Running PGE" not in text
