"""The ``catalog`` DAG's model and test tasks, which fail with dbt's own message for what failed.

In Cosmos's watcher mode the producer's one ``dbt build`` leaves in XCom, for every dbt node, its status and
dbt's last message about it (key ``<unique_id>_dbt_event``: the ``run_result.message`` of its ``NodeFinished``
event, then the error dbt repeats at the end of the build). Cosmos 1.15.1's sensors log that message for a
model, but a test task (``<model>.test``) logs its model's event (which passed) and fails with "Review the
producer task ... logs": the operator had to search the whole build's log for which test failed, and why.

The subclasses here read the event of each node they watch (the model, or each test of the model), log dbt's
message for those that failed and fail with it: ``accepted_values_mart_product_quality_tier__hot__archive__cached:
Got 1 result, configured to fail if != 0 (compiled code at target/compiled/...)``. They add methods only:
:func:`explain_failures` turns the sensors Cosmos rendered into them (Cosmos has no setting for the watcher
sensors' class). When the producer failed before reporting a node, or a cleared task runs dbt itself, the
failure is Cosmos's, unchanged.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from typing import Any

from airflow.sdk.exceptions import AirflowException, AirflowSkipException
from cosmos.operators._watcher.state import (
    get_dbt_event_xcom_key,
    is_dbt_node_status_failed,
    is_dbt_node_status_skipped,
    is_dbt_node_status_success,
)
from cosmos.operators._watcher.triggerer import WatcherEventReason
from cosmos.operators.watcher import DbtRunWatcherOperator, DbtTestWatcherOperator

from sarlake_plugins.catalog import MANIFEST, PRODUCER

__all__ = ["DbtRunExplainedSensor", "DbtTestExplainedSensor", "dbt_failures", "explain_failures"]

logger = logging.getLogger(__name__)


@functools.cache
def _manifest_nodes() -> dict[str, Any]:
    return dict(json.loads(MANIFEST.read_text())["nodes"])


def _where_compiled(unique_id: str) -> str | None:
    """Where dbt writes a test's compiled SQL (relative to the project), as it prints it for a failed test.

    dbt's ``get_target_write_path``: the node's file, or the node's path under it when one file holds several
    nodes (a generic test in a ``.yml``). The build ran in a temporary copy of the project; ``make catalogue``
    or ``dbt compile`` writes the same file under its own target directory.
    """
    node = _manifest_nodes().get(unique_id)
    if not unique_id.startswith("test.") or node is None:
        return None
    original, path = node["original_file_path"], node["path"]
    where = original if os.path.basename(path) == os.path.basename(original) else os.path.join(original, path)
    return os.path.join("target", "compiled", node["package_name"], where)


def dbt_failures(ti: Any, producer_task_id: str, unique_ids: list[str]) -> list[str]:
    """The message dbt gave for each of ``unique_ids`` that did not succeed in the producer's build, a line each.

    Cosmos stores an event's status as dbt gives it, ``"None"`` for the errors dbt repeats at the end of the
    build; a node that passed, or was skipped, has no line.
    """
    lines = []
    for unique_id in unique_ids:
        event = ti.xcom_pull(task_ids=producer_task_id, key=get_dbt_event_xcom_key(unique_id))
        if not isinstance(event, dict):
            continue
        status = event.get("status")
        if is_dbt_node_status_success(status) or is_dbt_node_status_skipped(status):
            continue
        message = str(event.get("msg") or f"status {status}").strip()
        name = _manifest_nodes().get(unique_id, {}).get("name") or unique_id
        where = _where_compiled(unique_id) if not message.startswith("Compilation Error") else None
        lines.append(f"{name}: {message}" + (f" (compiled code at {where})" if where else ""))
    return lines


class _ExplainsFailure:
    """Mixed into Cosmos's watcher sensors: a failure read from the build names dbt's message for it."""

    #: the dbt nodes whose messages explain this task's failure (set by :func:`explain_failures`)
    dbt_node_ids: list[str] = []

    def execute_complete(self, context: Any, event: dict[str, Any]) -> None:
        try:
            super().execute_complete(context, event)  # type: ignore[misc]
        except AirflowSkipException:
            raise
        except AirflowException as exc:
            explained = self._explained(context) if event.get("reason") == WatcherEventReason.NODE_FAILED else None
            if explained is None:
                raise
            raise explained from exc

    def poke(self, context: Any) -> bool:
        try:
            return bool(super().poke(context))  # type: ignore[misc]
        except AirflowSkipException:
            raise
        except AirflowException as exc:
            ti = context["ti"]
            # a retried or cleared task runs dbt itself: its error is that run's, not the build's
            from_build = ti.try_number == 1 and is_dbt_node_status_failed(self._get_node_status(ti, context))  # type: ignore[attr-defined]
            explained = self._explained(context) if from_build else None
            if explained is None:
                raise
            raise explained from exc

    def _explained(self, context: Any) -> AirflowException | None:
        me: Any = self
        lines = dbt_failures(context["ti"], me.producer_task_id, self.dbt_node_ids)
        if not lines:
            return None
        for line in lines:
            logger.error("dbt: %s", line)
        return AirflowException(f"{me._resource_label} '{me.model_unique_id}' failed in the dbt build of task "
                                f"'{me.producer_task_id}': " + "; ".join(lines))


class DbtRunExplainedSensor(_ExplainsFailure, DbtRunWatcherOperator):
    """A model's task (``<model>_run``, ``<model>.run``): fails with dbt's error for the model."""


class DbtTestExplainedSensor(_ExplainsFailure, DbtTestWatcherOperator):
    """A model's tests' task (``<model>.test``): fails with dbt's message for each of its tests that failed."""


def explain_failures(dag: Any) -> None:
    """Make the model and test tasks Cosmos rendered in the watcher-mode ``DbtDag`` ``dag`` the ones above.

    A test task watches the tests Cosmos's producer counts for its model (``tests_per_model``). Cosmos's
    cluster policy, which sends a retried watcher to ``[cosmos] watcher_dbt_execution_queue``, knows watchers by
    their module (``cosmos.operators.watcher``), so not these: sarlake sets no such queue nor retries them.
    """
    tests_per_model: dict[str, list[str]] = dag.get_task(PRODUCER).tests_per_model
    for task in dag.tasks:
        if type(task) is DbtTestWatcherOperator:
            task.__class__ = DbtTestExplainedSensor
            task.dbt_node_ids = list(tests_per_model.get(task.model_unique_id, []))
        elif type(task) is DbtRunWatcherOperator:
            task.__class__ = DbtRunExplainedSensor
            task.dbt_node_ids = [task.model_unique_id]
