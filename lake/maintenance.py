"""Table maintenance: expire old snapshots and delete the files no snapshot needs any more.

Every upsert adds a snapshot, and a copy-on-write upsert leaves the files it replaced behind for time
travel. Without maintenance the table metadata grows with every commit (and every commit gets slower)
and the warehouse keeps every rewritten file. Run ``sarlake maintain`` (or :func:`maintain`) on a schedule.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from lake.exceptions import LakeError
from lake.settings import Settings, get_settings
from lake.tables import TABLES

if TYPE_CHECKING:
    from pyiceberg.table import Table

__all__ = ["MaintenanceResult", "maintain"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MaintenanceResult:
    """What maintenance did to one table.

    Attributes:
        table: the table name.
        expired_snapshots: snapshots removed from the metadata.
        remaining_snapshots: snapshots kept (time travel stays possible to these).
        deleted_files: data and manifest files no kept snapshot references, deleted.
    """

    table: str
    expired_snapshots: int
    remaining_snapshots: int
    deleted_files: int


def maintain(
    tables: list[str] | None = None,
    *,
    older_than: timedelta = timedelta(days=7),
    retain_last: int = 10,
    settings: Settings | None = None,
) -> list[MaintenanceResult]:
    """Expire snapshots older than ``older_than`` (keeping the newest ``retain_last``) and delete orphans.

    A file is deleted only when no kept snapshot references it and it is older than ``older_than``, so a
    writer that is committing right now never loses a file it has just written.

    Args:
        tables: lake tables to maintain; all by default.
        older_than: age beyond which snapshots may expire and unreferenced files may be deleted.
        retain_last: snapshots always kept per table, whatever their age (at least 1).
        settings: the lake settings; default :func:`lake.settings.get_settings`.

    Returns:
        One result per table.

    Raises:
        LakeError: an unknown table name or ``retain_last < 1``.
    """
    from lake.catalog import load_table

    settings = settings or get_settings()
    names = tables or list(TABLES)
    unknown = sorted(set(names) - set(TABLES))
    if unknown:
        raise LakeError(f"unknown lake table(s) {', '.join(unknown)}; tables: {', '.join(TABLES)}")
    if retain_last < 1:
        raise LakeError("retain_last must be at least 1 (the current snapshot)")
    cutoff = datetime.now(UTC) - older_than
    results = []
    for name in names:
        table = load_table(name, settings)
        expired = _expire(table, cutoff, retain_last)
        table = table.refresh()
        deleted = _delete_orphans(table, cutoff, settings)
        results.append(MaintenanceResult(name, expired, len(table.snapshots()), deleted))
        logger.info("%s: expired %d snapshots, deleted %d files", name, expired, deleted)
    return results


def _expire(table: Table, cutoff: datetime, retain_last: int) -> int:
    snapshots = sorted(table.snapshots(), key=lambda s: s.timestamp_ms)
    keep = {s.snapshot_id for s in snapshots[-retain_last:]}
    cutoff_ms = int(cutoff.timestamp() * 1000)
    ids = [s.snapshot_id for s in snapshots if s.snapshot_id not in keep and s.timestamp_ms < cutoff_ms]
    if ids:
        table.maintenance.expire_snapshots().by_ids(ids).commit()
    return len(ids)


def _referenced(table: Table) -> set[str]:
    """Every manifest list, manifest and data file that a kept snapshot references."""
    io = table.io
    paths: set[str] = set()
    for snapshot in table.snapshots():
        paths.add(snapshot.manifest_list)
        for manifest in snapshot.manifests(io):
            paths.add(manifest.manifest_path)
            for entry in manifest.fetch_manifest_entry(io, discard_deleted=True):
                paths.add(entry.data_file.file_path)
    return {_normal(p) for p in paths}


def _normal(uri: str) -> str:
    return uri.removeprefix("file://")


def _delete_orphans(table: Table, cutoff: datetime, settings: Settings) -> int:
    from lake.storage import delete, list_entries

    referenced = _referenced(table)
    location = table.location().rstrip("/")
    deleted = 0
    for folder, suffixes in (("data", (".parquet",)), ("metadata", (".avro",))):
        for uri, modified in list_entries(f"{location}/{folder}", suffixes, settings):
            if _normal(uri) in referenced or modified >= cutoff:
                continue
            delete(uri, settings)
            deleted += 1
    return deleted
