"""### The analysts' catalogue (dbt)

Builds the dbt project in `models/` over the lake whenever a lake table changes (data-aware: scheduled on the lake's
Assets, not a clock): the staging views (`stg_lake__*`), the marts (`mart_product_quality`, `mart_aoi_coverage`,
`mart_event_response`, `mart_pge_runs`, `mart_failed_runs`, `mart_archive_status`, `mart_daac_granules`,
`mart_timeseries_readiness`) and every data and unit test, rendered by Cosmos from the pre-built manifest
(`make setup` writes it; no dbt at parse time) in its watcher mode. One task, `dbt_producer_watcher`, runs a single
`dbt build` (the profile's threads in one process, so one writer of the catalogue's DuckDB file, which one process
at a time may write); its log is the whole build's, with dbt's message for whatever failed.
Every model still has its task (`<model>_run`, or `<model>.run` and `<model>.test` with its tests), which
watches the build and ends as that model or its tests did: a failing model or test fails its own task, and the
run, and that task's log and error give dbt's message for it (for a test task, each failed test's name, dbt's
message, e.g. `Got 3 results, configured to fail if != 0`, and where dbt compiled its SQL). These tasks wait in
the triggerer, side by side, taking no worker slot. The dbt tasks are not retried: a failed run is run again by
the next lake change or a trigger; a cleared model task runs dbt for its model alone (`dbt run`, or `dbt test`
for a `.test` task). `airflow dags test catalog` does not finish (it runs one task at a time, and a watcher it
runs first waits for a build that has not started): run the DAG through the scheduler, add
`--mark-success-pattern '.*(run|test)'` (the build runs, the model tasks are marked success unwatched),
or `make catalogue` for the build alone.

One run at a time: lake changes announced while a run is queued or running start one more run when it ends,
and a run reads the lake as it is when its tasks run. Airflow lists as a run's source events those up to the
first one it queued for each Asset (its queue keeps one row per Asset, stamped by the first event), so an event
that came later, but before the run began, can show under no run in the UI; its data are in that run's marts.

Analysts query the marts with `sarlake sql "SELECT * FROM catalogue.marts.mart_product_quality"` or any
DuckDB client (docs/analysts.md); the catalogue's docs are under **Browse > Lake catalogue (dbt docs)**.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from cosmos import DbtDag

from sarlake_plugins.assets import asset
from sarlake_plugins.callbacks import record_failed_run
from sarlake_plugins.catalog import cosmos_kwargs, drop_cosmos_params, start_after
from sarlake_plugins.catalog_sensors import explain_failures
from sarlake_plugins.conf import check_conf

catalog = DbtDag(
    dag_id="catalog",
    description="When a lake table changes: rebuild the analysts' dbt catalogue (staging views, marts, tests).",
    schedule=(asset("products") | asset("acquisitions") | asset("provenance") | asset("events") | asset("aois")
              | asset("qa_predictions") | asset("user_tags") | asset("archive_transfers")),
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    # the model tasks watch the producer's one dbt build side by side (a deferred sensor takes no slot)
    max_active_tasks=8,
    tags=["sarlake", "catalogue", "dbt"],
    # the dbt tasks themselves are not retried (operator_args in sarlake_plugins.catalog.cosmos_kwargs says why)
    default_args={"retries": 1, "retry_delay": timedelta(minutes=1), "execution_timeout": timedelta(minutes=30)},
    doc_md=__doc__,
    on_failure_callback=record_failed_run,
    **cosmos_kwargs(),
)
drop_cosmos_params(catalog)  # the trigger form shows sarlake's params, not Cosmos's telemetry metadata
explain_failures(catalog)  # a failed model or test task fails with dbt's message for it

# Like every sarlake DAG: refuse unknown trigger keys before any dbt model runs.
with catalog:
    start_after(catalog, check_conf())
