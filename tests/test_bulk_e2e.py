"""The bulk DAG through Airflow: a second run over a longer range runs only the pair that is missing."""

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


@pytest.fixture(scope="module")
def lake_env(tmp_path_factory):
    home = tmp_path_factory.mktemp("bulk-e2e")
    env = airflow_env(home)
    _run([BIN / "sarlake", "init"], env)
    _run([BIN / "sarlake", "aoi", "add", "flank", "--bbox", "14.40", "40.79", "14.46", "40.84"], env)
    migrate_airflow(env)
    _run([BIN / "airflow", "pools", "set", "bulk", "1", "bulk reprocessing"], env)
    return env


def _bulk(env, end_date):
    conf = {"aois": ["flank"], "start_date": "2024-01-20", "end_date": end_date, "neighbours": 1, "looks": 4}
    proc = _run([BIN / "airflow", "dags", "test", "bulk", "-c", json.dumps(conf)], env, check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-6000:]
    return text


def _products(env):
    out = _run([BIN / "sarlake", "sql", "SELECT product_id, secondary_date FROM products ORDER BY 2", "--format",
                "json"], env).stdout
    return json.loads(out)


@pytest.mark.timeout(2400)
def test_bulk_runs_only_the_missing_pairs(lake_env):
    text = _bulk(lake_env, "2024-02-10")  # passes 01-27 and 02-08: one pair
    assert text.count("Running PGE interferogram") == 1
    first = _products(lake_env)
    assert len(first) == 1
    text = _bulk(lake_env, "2024-02-22")  # adds 02-20: two pairs, one already made
    assert text.count("Running PGE interferogram") == 1, "the pair made by the first run ran again"
    second = _products(lake_env)
    assert len(second) == 2 and second[0] == first[0]


def test_a_run_whose_input_check_fails_is_failed_not_a_success(lake_env):
    """The catalogue task runs whatever failed upstream (all_done), and as the run's only leaf it made a run
    whose input check failed report success; the leaf that fails the run on any failure makes it failed."""
    import sqlite3

    conf = {"aois": ["flank"], "start_date": "2024-03-01", "end_date": "2024-01-01"}
    proc = _run([BIN / "airflow", "dags", "test", "bulk", "-c", json.dumps(conf)], lake_env, check=False)
    text = proc.stdout + proc.stderr
    assert "end_date 2024-01-01 must be after start_date 2024-03-01" in text, text[-4000:]
    with sqlite3.connect(Path(lake_env["AIRFLOW_HOME"]) / "airflow.db") as con:
        run_id, state = con.execute("SELECT run_id, state FROM dag_run WHERE dag_id = 'bulk' ORDER BY id DESC "
                                    "LIMIT 1").fetchall()[0]
        tasks = dict(con.execute("SELECT task_id, state FROM task_instance WHERE dag_id = 'bulk' AND run_id = ? "
                                 "AND map_index < 0", (run_id,)).fetchall())
    assert state == "failed", (state, tasks)
    # catalogue ran (all_done) and, with nothing made, skipped: no products event for the DAGs scheduled on it
    assert tasks["validate"] == "failed" and tasks["catalogue"] == "skipped", tasks
    assert tasks["failed_tasks_fail_the_run"] == "failed", tasks
