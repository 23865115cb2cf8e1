"""PGE tasks: timeouts sized per PGE, mapped tasks labelled by pair, failed runs recorded in pge_runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_pge_label_names_track_and_dates():
    from sarlake_plugins.pge import pge_label

    ifg = {"inputs": ["/a/044/F1a2b/SIM_S1_IW_SLC_A044_F1a2b_20240208T050000/SIM_S1_IW_SLC_A044_F1a2b_20240208T050000"
                      ".met.json", "/a/SIM_S1_IW_SLC_A044_F1a2b_20240127T050000.met.json"]}
    assert pge_label("interferogram", ifg) == "A044 20240127_20240208"
    sim = {"inputs": [], "parameters": {"track": 45, "direction": "D", "acquisitions": [
        {"id": f"SIM_S1_IW_SLC_D045_F1a2b_202401{d:02d}T050000"} for d in (3, 15, 27)]}}
    assert pge_label("simulate", sim) == "D045 20240103..20240127 (3)"
    assert pge_label("timeseries", {"inputs": []}) == "timeseries"
    # ingest: other processors' names (ROI_PAC's 6-digit dates gave just "ingest"): the AOI and what was given
    ingest = {"inputs": ["/data/geo_060619-061002.unw", "s3://b/hyp3-jobs/"], "parameters": {"aoi": "sydney"}}
    assert pge_label("ingest", ingest) == "sydney geo_060619-061002.unw +1"
    assert pge_label("ingest", {"inputs": ["s3://b/hyp3-jobs/"]}) == "hyp3-jobs"
    # unwrap the same (it was labelled "unwrap" alone)
    unwrap = {"inputs": ["/data/stack/interferograms/"], "parameters": {"aoi": "sydney"}}
    assert pge_label("unwrap", unwrap) == "sydney interferograms"
    qa = {"inputs": ["s3://lake/products/S1_IFG_A044_20240101T050000_20240113T050000/x.met.json",
                     "/lake/S1_IFG_D012_20240125_20240206/S1_IFG_D012_20240125_20240206.met.json"]}
    assert pge_label("qa", qa) == "2 products A044 D012 20240101..20240206"  # every date of a pair counts
    assert pge_label("qa", {"inputs": qa["inputs"][:1]}) == "1 product A044 20240101_20240113"
    gunw = "S1-GUNW-D-R-087-tops-20240208_20240127-050000-14430E_40820N-PP-ab12-v0_1_0"
    assert pge_label("qa", {"inputs": [f"s3://lake/products/L2_IFG/etna/{gunw}/{gunw}.met.json"]}) == (
        "1 product D087 20240127_20240208")  # the track as ARIA's product ids carry it


def test_a_time_series_task_is_labelled_by_its_aoi_and_the_span_of_its_interferograms():
    """Both dates of every interferogram count (the series spans 20261019..20261124, not from the first
    reference date, 20261031), with the AOI and track; it read '20261031..20261124 (3)' in the UI."""
    from sarlake_plugins.pge import pge_label

    ids = [f"S1-GUNW-A-R-044-tops-{r}_{s}-050000-01444E_04081N-PP-35eb-v0_1_0"
           for r, s in [("20261031", "20261019"), ("20261112", "20261019"), ("20261124", "20261112")]]
    cfg = {"inputs": [f"/lake/products/L2_IFG/vesuvius/{i}/{i}.met.json" for i in ids],
           "parameters": {"aoi": "vesuvius"}}
    assert pge_label("timeseries", cfg) == "vesuvius 3 products A044 20261019..20261124"


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags"))


def test_every_task_has_a_timeout_and_pge_tasks_one_sized_to_their_pge(dagbag):
    from sarlake_plugins.pge import PGE_TIMEOUTS

    for dag in dagbag.dags.values():
        for task in dag.tasks:
            assert task.execution_timeout is not None, f"{dag.dag_id}.{task.task_id} has no execution timeout"
            pge = getattr(task, "partial_kwargs", {}).get("pge") or getattr(task, "pge", None)
            if pge:
                assert task.execution_timeout == PGE_TIMEOUTS[pge], (dag.dag_id, task.task_id)
                if hasattr(task, "partial_kwargs"):  # mapped over run-configs: each one labelled in the UI
                    assert task.partial_kwargs.get("map_index_template") == "{{ pge_label }}"
    assert dagbag.dags["urgent_response"].task_dict["interferogram"].execution_timeout == timedelta(minutes=60)
    assert dagbag.dags["qa_train"].task_dict["train"].execution_timeout == timedelta(hours=6)  # one PGE, not mapped
    assert dagbag.dags["forward"].task_dict["select_aois"].execution_timeout == timedelta(minutes=15)


def test_every_sarlake_dag_records_its_failures(dagbag):
    from sarlake_plugins.callbacks import record_failed_run

    for dag in dagbag.dags.values():
        assert dag.on_failure_callback is record_failed_run, dag.dag_id


def test_failure_callback_writes_pge_runs_and_fails_pending_events(sarlake_home):
    from lake.catalog import init_lake
    from lake.events import stored_events
    from lake.query import connect
    from lake.write import upsert
    from sarlake_plugins.callbacks import record_failed_run

    init_lake()
    upsert("events", [{"event_id": "ev1", "time": "2024-02-01T12:00:00Z", "processing": "pending", "run_id": "r9"},
                      {"event_id": "ev2", "time": "2024-02-01T12:00:00Z", "processing": "pending", "run_id": "r8"}])
    tis = [SimpleNamespace(task_id="interferogram", map_index=3, state="failed"),
           SimpleNamespace(task_id="finish", map_index=-1, state="upstream_failed")]
    dag_run = SimpleNamespace(run_id="r9", dag_id="urgent_response", conf={"looks": 4}, triggering_user_name="ops",
                              logical_date=datetime(2024, 2, 1, tzinfo=UTC),
                              get_task_instances=lambda state=None: [t for t in tis if t.state in state])
    record_failed_run({"dag_run": dag_run, "dag": SimpleNamespace(dag_id="urgent_response"),
                       "reason": "task_failure"})
    rows = connect().execute("SELECT dag_id, run_id, failed_tasks, reason, requester FROM pge_runs").fetchall()
    assert rows == [("urgent_response", "r9", ["interferogram[3]"], "task_failure", "ops")]
    states = {k: v["processing"] for k, v in stored_events().items()}
    assert states == {"ev1": "failed", "ev2": "pending"}


def test_failure_callback_in_the_dag_processor_lists_the_failed_tasks_from_the_execution_api(sarlake_home,
                                                                                              monkeypatch):
    """Airflow 3's DAG processor calls the DAG's failure callback with the Task SDK's DagRun, which cannot list its
    task instances: every failed run was recorded with failed_tasks [] (seen on a `make up` stack: a bulk run whose
    validate task failed). The states come from the execution API, in its own format ("<task>_<map index>" for a
    mapped task instance, airflow/api_fastapi/execution_api/routes/task_instances.py)."""
    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

    from lake.catalog import init_lake
    from lake.query import connect
    from sarlake_plugins.callbacks import record_failed_run

    init_lake()
    asked = []

    def states(dag_id, map_index=None, task_ids=None, task_group_id=None, logical_dates=None, run_ids=None):
        asked.append((dag_id, run_ids))
        return {"r7": {"plan_pairs": "success", "interferogram_0": "success", "interferogram_12": "failed",
                       "catalogue": "upstream_failed", "fetch_2": "failed", "validate": "failed"}}

    monkeypatch.setattr(RuntimeTaskInstance, "get_task_states", staticmethod(states))
    dag_run = SimpleNamespace(run_id="r7", dag_id="forward", conf={}, triggering_user_name=None, logical_date=None)
    dag = SimpleNamespace(dag_id="forward", task_dict=dict.fromkeys(
        ["plan_pairs", "interferogram", "catalogue", "fetch_2", "validate"]))
    record_failed_run({"dag_run": dag_run, "dag": dag, "reason": "task_failure"})
    assert asked == [("forward", ["r7"])]
    rows = connect().execute("SELECT dag_id, run_id, failed_tasks FROM pge_runs").fetchall()
    # a task whose own id ends in "_<digits>" is that task, not a mapped instance of another
    assert rows == [("forward", "r7", ["fetch_2", "interferogram[12]", "validate"])]
