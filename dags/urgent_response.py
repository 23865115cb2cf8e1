"""### Urgent response: an earthquake in the feed becomes a coseismic interferogram

Scheduled by the **earthquake feed watcher** (Airflow event-driven scheduling: an `AssetWatcher` whose trigger
polls `SARLAKE_URGENT__FEED_URL`, a local file by default, the USGS summary feed or an FDSN event query in
production) and runnable by hand.

1. **check_conf** refuses unknown trigger keys and out-of-range values;
2. **evaluate_and_plan**, step *evaluate*: reads the feed and records every new or revised event in `events`
   with its decision (`trigger`/`ignore`) and reason. Defaults: M >= 7, or M >= 6 with PAGER yellow or worse,
   or PAGER red; depth <= 70 km (`SARLAKE_URGENT__RULES`). A revision starts no new work; a deletion cancels
   pending work. Step *plan*: makes each triggering event's AOI (radius (M - 5) / 2 x 150 km) and, per track,
   picks the last acquisition before and the first after the origin time (the log names the step that failed);
3. **stage** and **interferogram** run the PGEs at top priority (priority weight 1000), **plan_pairs** between
   them drops events cancelled meanwhile;
4. **catalogue_and_qa**, step *catalogue*: catalogues the coseismic products and marks the events `done`; step
   *qa*: scores them with the QA champion (`models:/sarlake-qa-uwe@champion`) into `qa_predictions`, in the
   same process. With no champion the task still succeeds (the product is delivered) and its log says how to
   train one. It announces `products` and `provenance` only when it catalogued something, and `qa_predictions`
   only when it scored something (through asset aliases), so a run with no event to process wakes neither the
   `qa`, `quality_gate` and `timeseries` DAGs nor `reprocess`.

Few tasks on purpose: each costs a task start-up, and on a real executor a process that imports the lake again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, dag, task

from sarlake_plugins.assets import asset, asset_alias
from sarlake_plugins.callbacks import record_failed_run
from sarlake_plugins.conf import check_conf
from sarlake_plugins.event_feed import event_feed_asset
from sarlake_plugins.forward import stage_pge
from sarlake_plugins.pge import TaskPriority, mapped_pge_operator

#: Urgent work outranks forward and bulk work for free worker slots (absolute weights, not summed downstream).
URGENT: TaskPriority = {"priority_weight": 1000, "weight_rule": "absolute"}


@dag(
    dag_id="urgent_response",
    description="When the earthquake feed has an event that qualifies: coseismic interferograms at top priority.",
    schedule=[event_feed_asset()],
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["sarlake", "urgent", "earthquake", "interferogram"],
    default_args={
        "retries": 2, "execution_timeout": timedelta(minutes=15), "retry_delay": timedelta(seconds=30), **URGENT,
    },
    doc_md=__doc__,
    on_failure_callback=record_failed_run,
    params={
        "feed_url": Param(  # null when left empty: the trigger form cannot submit an empty string field
            None,
            type=["null", "string"],
            title="Feed",
            description="Feed to evaluate (path or URL); empty means SARLAKE_URGENT__FEED_URL.",
        ),
        "looks": Param(
            4, type="integer", minimum=1, maximum=32, title="Multilook factor",
            description="Looks in range and azimuth for the coseismic interferograms.",
        ),
    },
)
def urgent_response() -> None:
    """Evaluate the feed, plan coseismic pairs, run the PGEs, catalogue."""

    @task(outlets=[asset("events"), asset("aois"), asset("acquisitions")], show_return_value_in_logs=False)
    def evaluate_and_plan(params: dict[str, Any] | None = None, **context: Any) -> list[dict[str, Any]]:
        """Record new and revised events; plan each trigger's scenes per track (XCom ``plans``); the staging."""
        from sarlake_plugins.urgent import evaluate_and_plan as _evaluate_and_plan

        return _evaluate_and_plan((params or {}).get("feed_url") or "", context)

    @task(show_return_value_in_logs=False)
    def plan_pairs(plans: list[dict[str, Any]], staged: Any, params: dict[str, Any] | None = None,
                   **context: Any) -> list[dict]:
        """One interferogram run-config per event and track (events cancelled meanwhile are dropped)."""
        from sarlake.workflows.urgent import plan_interferograms
        from sarlake_plugins.forward import require_staged

        require_staged(staged)
        return plan_interferograms(plans, looks=int((params or {})["looks"]), run_id=str(context.get("run_id") or ""))

    @task(outlets=[asset_alias("products"), asset_alias("provenance"), asset("events"), asset_alias("qa_predictions")],
          trigger_rule="none_failed")
    def catalogue_and_qa(results: list[dict[str, Any]] | None, plans: list[dict[str, Any]],
                         **context: Any) -> dict[str, Any]:
        """Catalogue the coseismic products, mark their events done, score them with the QA champion."""
        from sarlake_plugins.urgent import catalogue_and_qa as _catalogue_and_qa

        return _catalogue_and_qa(results, plans, context)

    # mypy ignores below: XComArg[key] (the task's XCom of that key) works, but Airflow's stubs do not type it
    checked = check_conf()
    planned = evaluate_and_plan()
    checked >> planned
    staged = mapped_pge_operator(stage_pge(), task_id="stage", run_configs=planned, **URGENT)
    pairs = plan_pairs(planned["plans"], staged.output)  # type: ignore[index]
    interferograms = mapped_pge_operator("interferogram", task_id="interferogram", run_configs=pairs, **URGENT)
    catalogue_and_qa(interferograms.output, planned["plans"])  # type: ignore[index]


urgent_response()
