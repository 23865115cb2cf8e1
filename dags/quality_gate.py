"""### Data-quality gate (Great Expectations)

Runs whenever products are catalogued (scheduled on the `products` Asset): every product still `pending` is
validated against the suites in `expectations/` (the `products` table suite and the per-product `rasters`
suite: NaN share, phase range, coherence range). Products that fail an expectation are marked `quarantined`
with the failed expectations in `quality_failures`, kept, and left out of archive delivery and time series;
the others are `published`. The Data Docs site is rebuilt under `$SARLAKE_HOME/gx/uncommitted/data_docs/` (on an
S3 lake, `<warehouse>/_quality/docs/`); the Airflow UI shows it under Browse > Data Docs (quality gate).

Triggered by hand, it checks the products named in `product_ids` again (a published one that now fails is
quarantined), or with `quarantined` every quarantined product (after a suite was corrected): those that pass
are published. The same as `sarlake products check`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, dag, task

from sarlake_plugins.assets import asset
from sarlake_plugins.callbacks import record_failed_run
from sarlake_plugins.conf import check_conf
from sarlake_plugins.params import OPTIONAL_LIST, PRODUCT_ID_PATTERN


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
    params={
        "product_ids": Param([], type=OPTIONAL_LIST, items={"type": "string", "pattern": PRODUCT_ID_PATTERN},
                             title="Products", description="Check exactly these again (published, quarantined or "
                             "pending); empty = every pending product, or every quarantined one below."),
        "quarantined": Param(False, type="boolean", title="Check every quarantined product again",
                             description="After a suite in expectations/ was corrected: those that pass now are "
                             "published. Not with Products."),
    },
)
def quality_gate() -> None:
    """Validate pending products (or those asked for); quarantine or publish them."""

    @task
    def gate(params: dict[str, Any] | None = None, run_id: str | None = None) -> dict[str, Any]:
        """Run the products and raster suites (no products outlet: that would loop)."""
        from sarlake_plugins.quality import gate as run_gate

        return run_gate(dict(params or {}), run_id)

    check_conf() >> gate()


quality_gate()
