"""### Urgent response: an earthquake in the feed becomes a coseismic interferogram

Scheduled by the **earthquake feed watcher** (Airflow event-driven scheduling: an `AssetWatcher` whose trigger
polls `SARLAKE_URGENT__FEED_URL`, a local file by default, the USGS summary feed or an FDSN event query in
production) and runnable by hand.

1. **check_conf** refuses unknown trigger keys and out-of-range values;
2. **evaluate** reads the feed and records every new or revised event in `events` with its decision
   (`trigger`/`ignore`) and reason. Defaults: M >= 7, or M >= 6 with PAGER yellow or worse, or PAGER red;
   depth <= 70 km (`SARLAKE_URGENT__RULES`). A revision starts no new work; a deletion cancels pending work;
3. **plan** makes each triggering event's AOI (radius (M - 5) / 2 x 150 km) and, per track, picks the last
   acquisition before and the first after the origin time;
4. **stage** and **interferogram** run the PGEs at top priority (priority weight 1000);
5. **finish** catalogues the coseismic products and marks the events `done`;
6. **qa** scores them with the QA champion (`models:/sarlake-qa-uwe@champion`) into `qa_predictions`. With no
   champion the task is *skipped* (the run succeeds: the product is delivered) and says how to train one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, dag, task

from sarlake_plugins.assets import asset
from sarlake_plugins.callbacks import record_failed_run
from sarlake_plugins.conf import check_conf
from sarlake_plugins.event_feed import event_feed_asset
from sarlake_plugins.forward import stage_pge
from sarlake_plugins.pge import mapped_pge_operator

#: Urgent work outranks forward and bulk work for free worker slots (absolute weights, not summed downstream).
URGENT = {"priority_weight": 1000, "weight_rule": "absolute"}


@dag(
    dag_id="urgent_response",
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
        "feed_url": Param(
            "",
            type="string",
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

    @task(outlets=[asset("events")], retries=0)
    def evaluate(params: dict[str, Any], **context: Any) -> list[dict[str, Any]]:
        """Record new and revised events with their decision; return the work to start."""
        from airflow.sdk.exceptions import AirflowFailException

        from lake.settings import get_settings
        from sarlake.events import FeedError
        from sarlake.workflows.urgent import evaluate_feed

        feed = params.get("feed_url") or get_settings().urgent.feed_url
        try:
            return evaluate_feed(feed, run_id=str(context.get("run_id") or ""))["work"]
        except FeedError as exc:
            raise AirflowFailException(str(exc)) from None

    @task(outlets=[asset("aois"), asset("acquisitions")])
    def plan(work: list[dict[str, Any]], **context: Any) -> list[dict[str, Any]]:
        """Per event and track: the pre- and post-event acquisitions to stage."""
        from sarlake.workflows.urgent import plan_coseismic

        run_id = str(context.get("run_id") or "")
        return [plan_coseismic(item, run_id=run_id) for item in work]

    @task
    def stage_run_configs(plans: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The staging run-configs of every planned event, one list to map over."""
        return [c for p in plans for c in p["stage_run_configs"]]

    @task
    def plan_pairs(plans: list[dict[str, Any]], staged: Any, params: dict[str, Any], **context: Any) -> list[dict]:
        """One interferogram run-config per event and track (events cancelled meanwhile are dropped)."""
        from sarlake.workflows.urgent import plan_interferograms
        from sarlake_plugins.forward import require_staged

        require_staged(staged)
        return plan_interferograms(plans, looks=int(params["looks"]), run_id=str(context.get("run_id") or ""))

    @task(outlets=[asset("products"), asset("provenance"), asset("events")], trigger_rule="none_failed")
    def finish(results: list[dict[str, Any]] | None, plans: list[dict[str, Any]], **context: Any) -> list[str]:
        """Catalogue the coseismic products; mark their events done."""
        from lake.settings import get_settings
        from sarlake.workflows.urgent import finish as _finish

        run_context = {"run_id": str(context.get("run_id") or ""), "dag_id": "urgent_response",
                       "task_id": "interferogram", "runner": get_settings().runner}
        return _finish(list(results or []), plans, run_context=run_context)

    @task(outlets=[asset("qa_predictions")])
    def qa(product_ids: list[str] | None, **context: Any) -> list[dict[str, Any]]:
        """p(error|I) of the coseismic products with the QA champion; skipped when there is no champion."""
        from sarlake_plugins.urgent import qa_score

        return qa_score(product_ids, context)

    checked = check_conf()
    work = evaluate()
    checked >> work
    plans = plan(work)
    staged = mapped_pge_operator(stage_pge(), task_id="stage", run_configs=stage_run_configs(plans), **URGENT)
    pairs = plan_pairs(plans, staged.output)
    interferograms = mapped_pge_operator("interferogram", task_id="interferogram", run_configs=pairs, **URGENT)
    qa(finish(interferograms.output, plans))


urgent_response()
