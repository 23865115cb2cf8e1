"""DAG-level callbacks: a failed run is recorded in the lake's ``pge_runs`` table, where an operator looks.

``sarlake sql "SELECT * FROM pge_runs ORDER BY finished_at DESC"`` lists them with the failed tasks and
the reason; urgent-response events whose work was pending in a failed run are marked ``failed`` (a later
revision of the event retries them).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow.sdk import Context

log = logging.getLogger(__name__)


def _failed_tasks(dag_run: Any, dag: Any, dag_id: str, run_id: str) -> list[str]:
    """The run's failed tasks, ``task`` or ``task[map index]`` (not those that failed upstream)."""
    failed: list[str] = []
    get_tis = getattr(dag_run, "get_task_instances", None)
    if callable(get_tis):  # a DagRun of the metadata database (`airflow dags test`)
        for ti in get_tis(state=["failed", "upstream_failed"]):
            if str(getattr(ti, "state", "")).endswith("failed") and not str(ti.state).startswith("upstream"):
                index = getattr(ti, "map_index", -1)
                failed.append(ti.task_id if index is None or index < 0 else f"{ti.task_id}[{index}]")
        return failed
    # Airflow 3's DAG processor runs the callback with the Task SDK's DagRun, which has no task instances: ask
    # the execution API through the processor (it serves GetTaskStates). A mapped task's key is "<task>_<index>".
    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

    task_ids = set(getattr(dag, "task_dict", None) or {})
    for key, state in RuntimeTaskInstance.get_task_states(dag_id, run_ids=[run_id]).get(run_id, {}).items():
        if str(state) != "failed":
            continue
        base, _, index = key.rpartition("_")
        failed.append(f"{base}[{index}]" if key not in task_ids and base in task_ids and index.isdigit() else key)
    return failed


def failed_run_row(context: Context) -> dict[str, Any]:
    """The ``pge_runs`` row of a failed run, from a DAG callback's context."""
    dag_run = context.get("dag_run")
    dag = context.get("dag")
    dag_id = getattr(dag, "dag_id", None) or getattr(dag_run, "dag_id", None) or "unknown"
    run_id = str(getattr(dag_run, "run_id", None) or context.get("run_id") or "unknown")
    failed: list[str] = []
    first_error = None
    try:
        failed = _failed_tasks(dag_run, dag, dag_id, run_id)
    except Exception as exc:  # the callback must never fail on bookkeeping
        log.warning("Cannot list the failed tasks of %s: %s", run_id, exc)
    error = context.get("exception")
    if error is not None:
        first_error = str(error).splitlines()[0] if str(error) else type(error).__name__
    logical = getattr(dag_run, "logical_date", None)
    return {
        "dag_id": dag_id,
        "run_id": run_id,
        "state": "failed",
        "failed_tasks": sorted(failed),
        "reason": context.get("reason") or first_error,
        "conf": json.dumps(dict(getattr(dag_run, "conf", None) or {}), sort_keys=True, default=str),
        "requester": getattr(dag_run, "triggering_user_name", None),
        "logical_date": logical,
        "finished_at": datetime.now(UTC),
    }


def record_failed_run(context: Context) -> None:
    """DAG ``on_failure_callback``: upsert the run into ``pge_runs``; mark its pending events failed."""
    try:
        from lake.write import upsert

        row = failed_run_row(context)
        upsert("pge_runs", [row])
        log.error("Run %s of %s failed (%s); recorded in pge_runs", row["run_id"], row["dag_id"],
                  ", ".join(row["failed_tasks"]) or row["reason"])
        if row["dag_id"] == "urgent_response":
            from sarlake.workflows.urgent import fail_pending

            fail_pending(row["run_id"])
    except Exception as exc:  # never let bookkeeping hide the failure itself
        log.exception("Could not record the failed run: %s", exc)
