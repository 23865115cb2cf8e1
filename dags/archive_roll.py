"""### Archive roll: deliver old products to the DAAC, then expire their hot copies

Every day, products older than the hot retention (`SARLAKE_DAAC__HOT_RETENTION_DAYS`) that are not
quarantined go to the DAAC archive (`SARLAKE_DAAC__ROOT`):

1. **select** them (a product whose last delivery failed comes back after its back-off);
2. **copy** their files to the archive and **verify** size and sha256 there;
3. **notify** the DAAC with one CNM-S per delivery (folder outbox, or SNS with `SARLAKE_DAAC__TRANSPORT=sns_sqs`);
4. **receive** the DAAC's CNM-R answers (folder inbox, or SQS); a FAILURE keeps the product hot and retries later;
5. **catalogue** delivered products at the archive, then **expire** (delete) their hot copies;
6. **expire_cache**: products brought back with `sarlake archive restore` leave again when their time is up.

Every step of every delivery is a row of the `archive_transfers` table (`sarlake archive status`). A run that
dies anywhere is completed by the next one. A step with nothing to do is **skipped**: it announces no Asset
event (so the catalogue and the DAGs on `products` do not run after an idle roll), and the steps after it
still run (a delivery that an earlier run started goes on). The DAAC answers asynchronously: answers to
today's CNM-S are read by tomorrow's run (or by a re-run). `simulate_daac` answers at once, for the demo.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, chain, dag, task

from sarlake_plugins.assets import asset
from sarlake_plugins.callbacks import record_failed_run
from sarlake_plugins.conf import check_conf


@dag(
    dag_id="archive_roll",
    description="Daily: deliver old products to the DAAC archive (CNM), then expire their hot copies.",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["sarlake", "archive", "daac"],
    # none_failed: a step that moved nothing is skipped (no Asset event), and the steps after it still run
    default_args={"retries": 3, "retry_delay": timedelta(minutes=5), "retry_exponential_backoff": True,
                  "execution_timeout": timedelta(hours=2), "trigger_rule": "none_failed"},
    doc_md=__doc__,
    on_failure_callback=record_failed_run,
    params={
        "simulate_daac": Param(False, type="boolean", title="Simulated DAAC",
                               description="Answer the CNM-S outbox with a simulated DAAC (demo only)."),
        "daac_fail_rate": Param(0.0, type="number", minimum=0, maximum=1, title="Simulated refusal rate",
                                description="Share of deliveries the simulated DAAC refuses (PROCESSING_ERROR)."),
        "hot_retention_days": Param(None, type=["null", "number"], minimum=0, title="Hot retention (days)",
                                    description="Deliver products older than this. Empty: "
                                    "SARLAKE_DAAC__HOT_RETENTION_DAYS."),
    },
)
def archive_roll() -> None:
    """Select, copy, verify, notify, receive, catalogue and expire; then expire cached copies."""

    def step(name: str, **kwargs: Any) -> Any:
        @task(task_id=name, **kwargs)
        def run(params: dict[str, Any] | None = None) -> dict[str, float]:
            from sarlake_plugins.archive import roll_step

            return roll_step(name, (params or {}).get("hot_retention_days"))

        return run()

    @task
    def simulate_daac(params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Answer the outbox like a DAAC would (when the simulate_daac parameter is on)."""
        from sarlake_plugins.archive import simulated_daac

        p = params or {}
        return simulated_daac(bool(p.get("simulate_daac")), float(p.get("daac_fail_rate") or 0.0))

    @task(outlets=[asset("products")])
    def expire_cache() -> list[str]:
        """Evict products restored from the archive whose time to live has passed (skipped if none is due)."""
        from sarlake_plugins.archive import expire_cache as _expire

        return _expire()

    transfers = [asset("archive_transfers")]
    chain(
        check_conf(),
        step("select", outlets=transfers), step("copy", outlets=transfers), step("verify", outlets=transfers),
        step("notify", outlets=transfers), simulate_daac(), step("receive", outlets=transfers),
        step("catalogue", outlets=[*transfers, asset("products")]), step("expire", outlets=transfers),
        expire_cache(),
    )


archive_roll()
