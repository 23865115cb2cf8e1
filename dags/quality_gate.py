"""### Data-quality gate (Great Expectations)

Runs whenever products are catalogued (scheduled on the `products` Asset): every product still `pending` is
validated against the suites in `expectations/` (the `products` table suite and the per-product `rasters`
suite: NaN share, phase range, coherence range). Products that fail an expectation are marked `quarantined`
with the failed expectations in `quality_failures`, kept, and left out of archive delivery and time series;
the others are `published`. The Data Docs site is rebuilt under `$SARLAKE_HOME/gx/uncommitted/data_docs/`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import dag, task

from sarlake_plugins.assets import asset
from sarlake_plugins.callbacks import record_failed_run
from sarlake_plugins.conf import check_conf


@dag(
    dag_id="quality_gate",
    description="When products are catalogued: check pending ones (Great Expectations), publish or quarantine.",
    schedule=[asset("products")],
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["sarlake", "quality", "great-expectations"],
    default_args={"retries": 2, "retry_delay": timedelta(minutes=2), "execution_timeout": timedelta(minutes=30)},
    doc_md=__doc__,
    on_failure_callback=record_failed_run,
)
def quality_gate() -> None:
    """Validate pending products; quarantine or publish them."""

    @task
    def gate() -> dict[str, Any]:
        """Run the products and raster suites on pending products (no products outlet: that would loop)."""
        import dataclasses

        from sarlake.workflows.quality import gate_pending

        return dataclasses.asdict(gate_pending())

    check_conf() >> gate()


quality_gate()
