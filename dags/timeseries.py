"""### Time series (L3) of each AOI, whenever new interferograms are catalogued

Scheduled on the `products` Asset (the forward DAG's catalogue task emits it). For each active AOI and each
track it is seen from:

1. **plan**: select the track's good interferograms of the AOI (QA p(error) below the threshold, not
   quarantined) and build the `timeseries` PGE run-config. A series is of one viewing geometry, so an AOI seen
   from two tracks gets two. The L3 product id ends in a hash of the input ids and every parameter, so a series
   of exactly these inputs and settings already catalogued is skipped (and this DAG stops re-triggering itself
   on its own products);
2. run the **timeseries** PGE once per AOI and track (dynamic task mapping; a local subprocess, or a pod when
   `SARLAKE_RUNNER=kubernetes`): SBAS inversion, velocity, temporal coherence, closure, and the
   coherence time series (L3_COH);
3. **catalogue** the L3 products and their provenance (skipped when nothing is new, so no Asset event).

The science and its parameters are documented in `docs/science.md` and `pges/timeseries/`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, dag, task

from sarlake_plugins.assets import asset
from sarlake_plugins.callbacks import record_failed_run
from sarlake_plugins.conf import check_conf
from sarlake_plugins.params import AOI_NAME, AOI_NAME_PATTERN, AOI_NAME_RULE, OPTIONAL_LIST
from sarlake_plugins.pge import mapped_pge_operator


@dag(
    dag_id="timeseries",
    description="When interferograms are catalogued: each AOI's time series (L3: velocity, displacement, coherence).",
    schedule=[asset("products")],
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["sarlake", "timeseries", "L3"],
    default_args={"retries": 2, "retry_delay": timedelta(minutes=2), "execution_timeout": timedelta(minutes=15)},
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
        "max_p_error": Param(
            0.5, type="number", minimum=0, maximum=1, title="Max QA p(error)",
            description="Use only interferograms whose QA p(error) is below this (unscored ones are used).",
        ),
        "min_temporal_coherence": Param(
            0.7, type="number", minimum=0, maximum=1, title="Min temporal coherence",
            description="No velocity where the inversion's temporal coherence is below this.",
        ),
        "reprocess": Param(
            False, type="boolean", title="Reprocess",
            description="Run the PGE even when this time series is already catalogued (not when the roll archived "
            "it as this PGE version makes it, cached back or not: `sarlake archive restore` caches it back).",
        ),
    },
)
def timeseries() -> None:
    """Plan, run and catalogue the L3 time series of each AOI (one per track it is seen from)."""

    @task(show_return_value_in_logs=False)
    def plan(params: dict[str, Any] | None = None, **context: Any) -> list[dict[str, Any]]:
        """One run-config per AOI and track with at least 2 good interferograms and no catalogued twin."""
        from sarlake.workflows.timeseries import plan_series
        from sarlake_plugins.forward import select_aois

        p = params or {}
        configs = []
        for aoi in select_aois(p.get("aois") or []):
            configs += plan_series(aoi["name"] if isinstance(aoi, dict) else str(aoi), float(p["max_p_error"]),
                                   {"min_temporal_coherence": float(p["min_temporal_coherence"])},
                                   skip_existing=not bool(p["reprocess"]))
        return configs

    @task(outlets=[asset("products"), asset("provenance")], trigger_rule="none_failed")
    def catalogue(results: list[dict[str, Any]] | None, **context: Any) -> list[str]:
        """Catalogue the L3 products; skipped (no Asset event) when there is nothing new."""
        from airflow.sdk.exceptions import AirflowSkipException

        from lake.settings import get_settings
        from sarlake.workflows.timeseries import catalogue_timeseries

        ti = context.get("ti")
        ids = catalogue_timeseries(list(results or []), {
            "run_id": str(context.get("run_id") or ""), "dag_id": getattr(ti, "dag_id", "timeseries"),
            "runner": get_settings().runner,
        })
        if not ids:
            raise AirflowSkipException("no new time series")
        return ids

    configs = plan()
    check_conf() >> configs
    runs = mapped_pge_operator("timeseries", task_id="timeseries", run_configs=configs)
    catalogue(runs.output)


timeseries()
