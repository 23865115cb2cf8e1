"""A run's outcome where its last task runs whatever happened upstream.

Airflow decides a run's state by its leaf tasks. A DAG whose last task runs with ``trigger_rule="all_done"``
(the ``bulk`` DAG catalogues the products its other pairs made even when some pairs failed) would otherwise
report a run whose input check or pairs failed as a success. :func:`fail_if_any_failed` adds a leaf that runs only
when a task of the run failed, and fails: the run is then failed in the UI, its failure recorded in ``pge_runs``
by the DAG's callback, and the products that were made stay catalogued.
"""

from __future__ import annotations

from typing import Any

__all__ = ["fail_if_any_failed"]


def fail_if_any_failed(*upstream: Any) -> Any:
    """A task, downstream of every task in ``upstream``, that fails the run when one of them failed.

    It runs on ``one_failed`` (skipped otherwise, which leaves a run without failures a success), never retries
    and names nothing itself: the failed tasks' own logs say what went wrong.
    """
    from airflow.sdk import task
    from airflow.sdk.exceptions import AirflowFailException

    @task(trigger_rule="one_failed", retries=0)
    def failed_tasks_fail_the_run() -> None:
        """Fail the run: a task upstream failed (its log says why); what the others made is catalogued."""
        raise AirflowFailException("a task of this run failed (see the failed task's log); the products the other "
                                   "tasks made are catalogued, and a new run makes only what is missing")

    guard = failed_tasks_fail_the_run()
    for t in upstream:
        t >> guard
    return guard
