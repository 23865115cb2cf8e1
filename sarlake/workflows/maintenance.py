"""Lake upkeep with its limits resolved in one place: a value given wins, else the ``SARLAKE_MAINTENANCE__*`` setting.

``sarlake maintain`` (its flags) and the ``maintenance`` DAG (its Params, where an emptied form field arrives as
``""``) both call these, so a default moves in :class:`lake.settings.MaintenanceSettings` alone.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lake.compaction import CompactionResult
    from lake.maintenance import MaintenanceResult
    from lake.run_records import ExpiredReports
    from sarlake.workflows.quality_docs import ExpiredValidations

__all__ = ["compact_tables", "expire_data_docs", "expire_reports", "given", "maintain_tables"]

logger = logging.getLogger(__name__)


def given(value: Any, default: Any, kind: type) -> Any:
    """``value`` as ``kind`` when one was given (not None, not an emptied form field), else ``default``."""
    return default if value is None or value == "" else kind(value)


def maintain_tables(tables: list[str] | None = None, *, older_than_days: float | str | None = None,
                    retain_last: int | str | None = None,
                    orphans_older_than_hours: float | str | None = None) -> list[MaintenanceResult]:
    """Expire snapshots and delete orphan files of ``tables`` (default every lake table)."""
    from lake.maintenance import maintain
    from lake.settings import get_settings

    m = get_settings().maintenance
    days = given(older_than_days, m.snapshot_retention_days, float)
    keep = given(retain_last, m.retain_last, int)
    hours = given(orphans_older_than_hours, m.orphan_retention_hours, float)
    logger.info("maintenance: snapshots older than %s days expire, newest %s kept, orphans older than %s h go",
                days, keep, hours)
    return maintain(tables, older_than=timedelta(days=days), retain_last=keep,
                    orphans_older_than=timedelta(hours=hours))


def expire_reports(older_than_days: float | str | None = None) -> tuple[ExpiredReports, float]:
    """Delete the ``QA_SCORES`` reports older than their retention; returns what went and the retention in days."""
    from lake.run_records import expire_score_reports
    from lake.settings import get_settings

    days = given(older_than_days, get_settings().maintenance.score_report_retention_days, float)
    return expire_score_reports(timedelta(days=days)), days


def expire_data_docs(older_than_days: float | str | None = None) -> tuple[ExpiredValidations, float]:
    """Delete the quality gate's validation results older than their retention, with their Data Docs pages."""
    from lake.settings import get_settings
    from sarlake.workflows.quality_docs import expire

    settings = get_settings()
    days = given(older_than_days, settings.maintenance.data_docs_retention_days, float)
    return expire(settings, timedelta(days=days)), days


def compact_tables(small_mb: float | str | None = None, min_files: int | str | None = None) -> list[CompactionResult]:
    """Merge the small files of every lake table's partitions."""
    from lake.compaction import compact
    from lake.settings import get_settings

    m = get_settings().maintenance
    small = given(small_mb, m.small_file_mb, float)
    return compact(small_bytes=int(small * 1024 * 1024), min_files=given(min_files, m.compact_min_files, int))
