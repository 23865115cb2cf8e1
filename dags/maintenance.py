"""### Lake upkeep: refit the tag consensus, compact small files, expire old snapshots, delete orphans and old reports

Every week:

1. **refit_consensus**: Dawid-Skene is refitted over every tagged product. A tag added in the week (CLI, REST API)
   was labelled at once from the last fit's rater matrices (`rater_confusion`); the refit lets the new tags move
   those matrices and relabels every product (`sarlake tag refit` does the same by hand).

Then, for every lake table:

2. **compact** partitions holding many small Parquet files into few sorted ones (queries open fewer files);
3. **maintain**: expire snapshots older than the retention (keeping the newest few, for time travel) and
   delete the files no kept snapshot references (`sarlake maintain` does the same by hand);
4. **expire_reports**: delete the `QA_SCORES` reports (one per `qa` PGE task) older than their retention; their
   scores are in `qa_predictions`, and products of a report never recorded are scored again by the next `qa` run;
5. **expire_data_docs**: delete the quality gate's validation results older than their retention, with their
   pages, and rebuild the Data Docs index (Browse > Data Docs (quality gate)). Quarantine reasons stay in
   `products.quality_failures`.

Retention and file sizes come from the lake settings (`SARLAKE_MAINTENANCE__*`, docs/configuration.md);
a value set in the trigger form overrides its setting for that run.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, dag, task

from sarlake_plugins.callbacks import record_failed_run
from sarlake_plugins.conf import check_conf


@dag(
    dag_id="maintenance",
    description="Weekly: refit tag consensus, compact small files, expire old snapshots, orphans, QA reports and "
                "Data Docs.",
    schedule="@weekly",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["sarlake", "maintenance", "iceberg"],
    default_args={"retries": 2, "retry_delay": timedelta(minutes=10), "execution_timeout": timedelta(hours=2)},
    doc_md=__doc__,
    on_failure_callback=record_failed_run,
    params={
        "older_than_days": Param(None, type=["null", "number"], minimum=0, title="Snapshot retention (days)",
                                 description="Snapshots older than this may expire; newer ones are kept."
                                             " Empty: SARLAKE_MAINTENANCE__SNAPSHOT_RETENTION_DAYS."),
        "retain_last": Param(None, type=["null", "integer"], minimum=1, title="Snapshots always kept",
                             description="The newest snapshots kept per table whatever their age."
                                         " Empty: SARLAKE_MAINTENANCE__RETAIN_LAST."),
        "small_file_mb": Param(None, type=["null", "number"], minimum=1, title="Small file (MB)",
                               description="Data files below this size are merged by compaction."
                                           " Empty: SARLAKE_MAINTENANCE__SMALL_FILE_MB."),
        "min_files": Param(None, type=["null", "integer"], minimum=2, title="Files per partition to compact",
                           description="A partition is compacted when it holds at least this many small files."
                                       " Empty: SARLAKE_MAINTENANCE__COMPACT_MIN_FILES."),
        "report_retention_days": Param(None, type=["null", "number"], minimum=0, title="QA report retention (days)",
                                       description="QA_SCORES reports older than this are deleted."
                                                   " Empty: SARLAKE_MAINTENANCE__SCORE_REPORT_RETENTION_DAYS."),
        "data_docs_retention_days": Param(None, type=["null", "number"], minimum=0,
                                          title="Data Docs retention (days)",
                                          description="The quality gate's validation results (and their Data Docs"
                                                      " pages) older than this are deleted."
                                                      " Empty: SARLAKE_MAINTENANCE__DATA_DOCS_RETENTION_DAYS."),
    },
)
def maintenance() -> None:
    """Compact, then expire snapshots and delete orphans (so the compacted-away files go too), then old reports."""

    @task
    def refit_consensus() -> dict[str, int]:
        """Refit the consensus of every tag type over all its products."""
        from lake.consensus import refresh_consensus

        return {"consensus_rows_written": refresh_consensus()}

    @task
    def compact(params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Merge small data files, per table and partition."""
        from sarlake_plugins.archive import compact_tables

        p = params or {}
        return compact_tables(p.get("small_file_mb"), p.get("min_files"))

    @task
    def maintain(params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Expire old snapshots and delete files no kept snapshot references."""
        from sarlake_plugins.archive import maintain_tables

        p = params or {}
        return maintain_tables(p.get("older_than_days"), p.get("retain_last"))

    @task
    def expire_reports(params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Delete the QA_SCORES reports older than their retention."""
        from sarlake_plugins.archive import expire_reports as run

        return run((params or {}).get("report_retention_days"))

    @task
    def expire_data_docs(params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Delete the quality gate's validation results older than their retention, with their pages."""
        from sarlake_plugins.archive import expire_data_docs as run

        return run((params or {}).get("data_docs_retention_days"))

    check_conf() >> refit_consensus() >> compact() >> maintain() >> expire_reports() >> expire_data_docs()


maintenance()
