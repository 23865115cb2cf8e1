"""Bulk never starves urgent work: Airflow's own scheduler decides, on the real DAGs, with the bulk pool full.

The scheduler's critical section (``SchedulerJobRunner._executable_task_instances_to_queued``) is run against
a metadata DB holding runs of the real ``bulk`` and ``urgent_response`` DAGs: a bulk PGE task occupies the
only slot of the ``bulk`` pool, another waits for it, and an urgent PGE task waits in the default pool.
"""

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
pytestmark = pytest.mark.slow

PROBE = r'''
import json, sys
from datetime import datetime, timezone
from airflow.dag_processing.bundles.manager import DagBundlesManager
from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db
from airflow.jobs.job import Job
from airflow.jobs.scheduler_job_runner import SchedulerJobRunner
from airflow.models.dag import DagModel
from airflow.models.pool import Pool
from airflow.models.serialized_dag import SerializedDagModel
from airflow.utils.session import create_session
from airflow.utils.state import DagRunState, TaskInstanceState
from airflow.utils.types import DagRunTriggeredByType, DagRunType

DagBundlesManager().sync_bundles_to_db()
bag = DagBag(dag_folder=sys.argv[1])
assert not bag.import_errors, bag.import_errors
sync_bag_to_db(bag, "dags-folder", None)
scenario = sys.argv[2]
now = datetime.now(timezone.utc)
with create_session() as s:  # each scenario starts from no runs
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    s.query(TaskInstance).delete()
    s.query(DagRun).delete()
with create_session() as s:
    Pool.create_or_update_pool("bulk", 1, "bulk", include_deferred=False, session=s)
    Pool.create_or_update_pool("default_pool", 128, "default", include_deferred=False, session=s)
    if scenario == "one-default-slot":
        Pool.create_or_update_pool("default_pool", 1, "default", include_deferred=False, session=s)
    s.query(DagModel).update({DagModel.is_paused: False})
with create_session() as s:
    tis = {}
    for dag_id in ("bulk", "urgent_response"):
        dag = SerializedDagModel.get_dag(dag_id, session=s)
        dr = dag.create_dagrun(run_id=f"probe_{dag_id}", logical_date=None, run_after=now,
                               run_type=DagRunType.MANUAL, triggered_by=DagRunTriggeredByType.TEST,
                               state=DagRunState.RUNNING, session=s)
        for ti in dr.get_task_instances(session=s):
            tis[(dag_id, ti.task_id)] = ti
    tis[("bulk", "stage")].state = TaskInstanceState.RUNNING          # holds the bulk pool's only slot
    tis[("bulk", "interferogram")].state = TaskInstanceState.SCHEDULED  # waits for the bulk pool
    tis[("bulk", "plan")].state = TaskInstanceState.SCHEDULED           # a bulk task in the default pool
    tis[("urgent_response", "stage")].state = TaskInstanceState.SCHEDULED
    s.flush()
    queued = SchedulerJobRunner(job=Job())._executable_task_instances_to_queued(max_tis=32, session=s)
    info = {f"{t.dag_id}.{t.task_id}": {"pool": t.pool, "weight": t.priority_weight} for t in tis.values()
            if t.state in (TaskInstanceState.SCHEDULED, TaskInstanceState.RUNNING)}
    print(json.dumps({"queued": sorted(f"{t.dag_id}.{t.task_id}" for t in queued), "tasks": info}))
'''


@pytest.fixture(scope="module")
def airflow_env(tmp_path_factory):
    home = tmp_path_factory.mktemp("priority")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SARLAKE_", "AIRFLOW"))}
    env.update({"AIRFLOW_HOME": str(home / "af"), "SARLAKE_HOME": str(home / "lake"),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
                "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins")})
    migrate_airflow(env)
    return env


def _probe(env, scenario):
    out = subprocess.run([sys.executable, "-c", PROBE, str(ROOT / "dags"), scenario], env=env, capture_output=True,
                         text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-4000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_with_the_bulk_pool_full_urgent_work_still_starts(airflow_env):
    result = _probe(airflow_env, "bulk-pool-full")
    tasks = result["tasks"]
    assert tasks["bulk.interferogram"]["pool"] == "bulk" and tasks["bulk.stage"]["pool"] == "bulk"
    assert tasks["urgent_response.stage"]["pool"] == "default_pool"
    assert "urgent_response.stage" in result["queued"]
    assert "bulk.interferogram" not in result["queued"], "the bulk pool is full: its task must wait"


def test_urgent_work_takes_the_last_free_slot_before_bulk(airflow_env):
    result = _probe(airflow_env, "one-default-slot")
    tasks = result["tasks"]
    assert tasks["urgent_response.stage"]["weight"] > tasks["bulk.plan"]["weight"]
    assert result["queued"] == ["urgent_response.stage"]
