"""### Forward processing (keep-up) for monitored areas of interest

Every day, for each active AOI (`sarlake aoi add NAME --bbox W S E N`):

1. **discover** new acquisitions over the AOI in the look-back window (the simulated archive by default,
   `SARLAKE_ACQUISITION_SOURCE`) and upsert them into the `acquisitions` table;
2. **stage** their SLCs (the `simulate` PGE for the simulated archive), one task per AOI/track/frame;
3. **pair** them (nearest-*n* sequential pairs), skipping pairs already catalogued;
4. run the **interferogram** PGE once per pair (dynamic task mapping; a local subprocess, or a pod when
   `SARLAKE_RUNNER=kubernetes`);
5. **catalogue** the products and their provenance, emitting the `products` Asset that QA and time-series
   DAGs are scheduled on.

Re-running a run leaves the same rows: every write is an upsert by natural key.
Trigger parameters are checked twice: by the form and the REST API (typed Params), and again by the first task,
**check_conf**, which fails the run at once (no retries) on a key that is not a parameter (`lookbak_days`),
naming the valid ones, or on a value outside its range. An unknown AOI name fails the run with the list of AOIs.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, dag, task

from sarlake_plugins.assets import asset
from sarlake_plugins.callbacks import record_failed_run
from sarlake_plugins.conf import check_conf
from sarlake_plugins.forward import stage_pge
from sarlake_plugins.params import AOI_NAME, AOI_NAME_PATTERN, AOI_NAME_RULE, OPTIONAL_LIST
from sarlake_plugins.pge import mapped_pge_operator


def stage_run_config(group: dict[str, Any]) -> dict[str, Any]:
    """Return the staging run-config of one discovered group (mapped over by the stage task)."""
    return group["stage_run_config"]


@dag(
    dag_id="forward",
    description="Daily: discover, stage, pair and process each active AOI's new acquisitions into interferograms.",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["sarlake", "forward", "interferogram"],
    default_args={"retries": 2, "execution_timeout": timedelta(minutes=15), "retry_delay": timedelta(minutes=2)},
    doc_md=__doc__,
    on_failure_callback=record_failed_run,
    params={
        "aois": Param(
            [],
            type=OPTIONAL_LIST,
            items={"description": AOI_NAME, "type": "string", "pattern": AOI_NAME_PATTERN},
            title="AOIs",
            description=f"The AOIs to process, one name a line ({AOI_NAME_RULE}); empty means every active AOI.",
        ),
        "lookback_days": Param(
            48,
            type="integer",
            minimum=12,
            maximum=366,
            title="Look-back window (days)",
            description="Acquisitions this many days before the run's date are searched and paired.",
        ),
        "pairing_neighbours": Param(
            None,
            type=["null", "integer"],
            minimum=1,
            maximum=10,
            title="Pairs per acquisition",
            description="Each acquisition is paired with its n nearest earlier acquisitions on the same track. "
            "Empty: the AOI's own setting, else SARLAKE_PAIRING_NEIGHBOURS (default 2).",
        ),
        "looks": Param(
            4,
            type="integer",
            minimum=1,
            maximum=32,
            title="Multilook factor",
            description="Looks in range and azimuth for interferogram formation.",
        ),
        "reprocess": Param(
            False,
            type="boolean",
            title="Reprocess existing pairs",
            description="Run the interferogram PGE even for pairs that already have a product (one the roll "
            "archived is hot again as its cached copy, for SARLAKE_DAAC__CACHE_TTL_DAYS).",
        ),
        "batch_size": Param(
            1,
            type="integer",
            minimum=1,
            maximum=100,
            title="Pairs per interferogram task",
            description="Run this many pairs in one mapped task (one process; each keeps its own product and "
            "provenance): fewer tasks when scenes are small and Airflow's per-task overhead dominates.",
        ),
    },
)
def forward() -> None:
    """Discover, stage, pair, form interferograms and catalogue them for each active AOI."""

    @task(show_return_value_in_logs=False)
    def select_aois(params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Resolve the AOIs of this run; unknown names fail the run without retries."""
        from sarlake_plugins.forward import select_aois as _select

        return _select((params or {}).get("aois") or [])

    @task(outlets=[asset("acquisitions")], show_return_value_in_logs=False)
    def discover(aois: list[dict[str, Any]], params: dict[str, Any] | None = None, **context: Any) -> list[dict]:
        """Search the acquisition source, upsert acquisitions; one group per AOI, track and frame."""
        from sarlake_plugins.forward import discover as _discover

        return _discover(aois, lookback_days=int((params or {})["lookback_days"]), context=context)

    @task(show_return_value_in_logs=False)
    def plan_pairs(groups: list[dict[str, Any]], staged: Any, params: dict[str, Any] | None = None,
                   **context: Any) -> list[Any]:
        """Pair the acquisitions and build one interferogram run-config per pair not yet catalogued."""
        from sarlake_plugins.forward import batches as _batches
        from sarlake_plugins.forward import plan_pairs as _plan

        p = params or {}
        configs = _plan(groups, list(staged or []), neighbours=p.get("pairing_neighbours"), looks=int(p["looks"]),
                        reprocess=bool(p["reprocess"]), context=context)
        return _batches(configs, int(p.get("batch_size") or 1))

    @task(outlets=[asset("products"), asset("provenance")], trigger_rule="none_failed")
    def catalogue(results: list[dict[str, Any]] | None, **context: Any) -> list[str]:
        """Catalogue the new products and their provenance (idempotent upserts)."""
        from sarlake_plugins.forward import catalogue as _catalogue

        return _catalogue(list(results or []), context=context)

    # mypy ignores below: a @task takes XComArgs here; Airflow's stubs type its call with the resolved values
    checked = check_conf()
    aois = select_aois()
    checked >> aois
    discovered = discover(aois)  # type: ignore[arg-type]
    staged = mapped_pge_operator(stage_pge(), task_id="stage", run_configs=discovered.map(stage_run_config))
    pairs = plan_pairs(discovered, staged.output)  # type: ignore[arg-type]
    interferograms = mapped_pge_operator("interferogram", task_id="interferogram", run_configs=pairs)
    catalogue(interferograms.output)


forward()
