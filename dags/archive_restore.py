"""### Archive restore: bring archived products back to the hot lake for a while

Triggered by an operator (the browse UI's "restore from archive" button on a product page, or the REST API)
with the products to bring back. Each archived product's files are copied from the DAAC archive into the hot
lake (sha256 checked against what the DAAC acknowledged), and the catalogue points at the hot copy with
`tier = 'cached'` until `cache_expires_at` (`ttl_days`, default `SARLAKE_DAAC__CACHE_TTL_DAYS`); the daily
`archive_roll` run evicts it after that. The same as `sarlake archive restore`, as an ordinary DAG run that
records who asked.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, dag, task

from sarlake_plugins.assets import asset
from sarlake_plugins.callbacks import record_failed_run
from sarlake_plugins.conf import check_conf
from sarlake_plugins.params import PRODUCT_ID_PATTERN


@dag(
    dag_id="archive_restore",
    description="On request: bring archived products back from the DAAC to the hot lake for a while.",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["sarlake", "archive", "daac"],
    default_args={"retries": 2, "retry_delay": timedelta(minutes=2), "execution_timeout": timedelta(hours=2)},
    doc_md=__doc__,
    on_failure_callback=record_failed_run,
    params={
        "product_ids": Param([], type="array", maxItems=500,
                             items={"type": "string", "pattern": PRODUCT_ID_PATTERN},
                             title="Products", description="Archived products to bring back to the hot lake."),
        "ttl_days": Param(None, type=["null", "number"], minimum=0.01, maximum=365, title="Days in the hot lake",
                          description="Empty: SARLAKE_DAAC__CACHE_TTL_DAYS."),
    },
)
def archive_restore() -> None:
    """Copy archived products back to the hot lake and catalogue them as cached."""

    @task(outlets=[asset("products"), asset("archive_transfers")])
    def restore(params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Restore the products (sha256 checked); fail when none could be restored."""
        from sarlake_plugins.archive import restore as _restore

        p = params or {}
        return _restore(list(p.get("product_ids") or []), p.get("ttl_days"))

    check_conf() >> restore()


archive_restore()
