"""Table maintenance: expire old snapshots and delete the files no snapshot needs any more.

Every upsert adds a snapshot, and a copy-on-write upsert leaves the files it replaced behind for time
travel. Without maintenance the table metadata grows with every commit (and every commit gets slower)
and the warehouse keeps every rewritten file. Run ``sarlake maintain`` (or :func:`maintain`) on a schedule.

Orphans are files under a table's ``data/`` and ``metadata/`` folders that neither the table metadata (its
current and logged metadata files) nor any kept snapshot references: files replaced by upserts once their
snapshots expire, and whatever a process killed in the middle of a commit left (a failed or conflicted
commit deletes its own files, see ``lake._pyiceberg_compat.tracked_writes``).
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
        deleted_files: files no kept snapshot or metadata references, deleted (``len(removed)``).
        removed: their locations.
    """

    table: str
    expired_snapshots: int
    remaining_snapshots: int
    deleted_files: int
    removed: tuple[str, ...] = ()


def maintain(
    tables: list[str] | None = None,
    *,
    older_than: timedelta = timedelta(days=7),
    retain_last: int = 10,
    orphans_older_than: timedelta | None = None,
    settings: Settings | None = None,
) -> list[MaintenanceResult]:
    """Expire snapshots older than ``older_than`` (keeping the newest ``retain_last``) and delete orphans.

    Tagged snapshots are kept whatever their age: a tag marks a data version something outside the lake names
    (:mod:`lake.versions`).

    A file is deleted only when nothing references it and it is older than ``orphans_older_than``, so a
    writer that is committing right now never loses a file it has just written. The snapshot expiry is
    retried like an upsert when a concurrent writer commits first.

    Args:
        tables: lake tables to maintain; all by default.
        older_than: age beyond which snapshots may expire.
        retain_last: snapshots always kept per table, whatever their age (at least 1).
        orphans_older_than: age beyond which unreferenced files are deleted; longer than any commit takes
            (``sarlake maintain`` uses a day). Default: ``older_than``.
        settings: the lake settings; default :func:`lake.settings.get_settings`.

    Returns:
        One result per table.

    Raises:
        LakeError: an unknown table name or ``retain_last < 1``.
    """
    from lake.catalog import load_table
    from lake.write import commit_retried

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
        expired = commit_retried(table, lambda t: _expire(t, cutoff, retain_last), settings)
        table = table.refresh()
        orphan_age = older_than if orphans_older_than is None else orphans_older_than
        removed = _delete_orphans(table, datetime.now(UTC) - orphan_age, settings)
        results.append(MaintenanceResult(name, expired, len(table.snapshots()), len(removed), tuple(removed)))
        logger.info("%s: expired %d snapshots, deleted %d files", name, expired, len(removed))
    return results


def _expire(table: Table, cutoff: datetime, retain_last: int) -> int:
    snapshots = sorted(table.snapshots(), key=lambda s: s.timestamp_ms)
    keep = {s.snapshot_id for s in snapshots[-retain_last:]}
    keep |= {ref.snapshot_id for ref in table.refs().values()}  # tagged data versions (lake.versions), branch heads
    cutoff_ms = int(cutoff.timestamp() * 1000)
    ids = [s.snapshot_id for s in snapshots if s.snapshot_id not in keep and s.timestamp_ms < cutoff_ms]
    if ids:
        table.maintenance.expire_snapshots().by_ids(ids).commit()
    return len(ids)


def _referenced(table: Table) -> set[str]:
    """The table's metadata files and every manifest list, manifest and data file that a kept snapshot references."""
    io = table.io
    paths: set[str] = {table.metadata_location, *(e.metadata_file for e in table.metadata.metadata_log)}
    for snapshot in table.snapshots():
        paths.add(snapshot.manifest_list)
        for manifest in snapshot.manifests(io):
            paths.add(manifest.manifest_path)
            for entry in manifest.fetch_manifest_entry(io, discard_deleted=True):
                paths.add(entry.data_file.file_path)
    return {_normal(p) for p in paths}


def _normal(uri: str) -> str:
    return uri.removeprefix("file://")


def _delete_orphans(table: Table, cutoff: datetime, settings: Settings) -> list[str]:
    from lake.storage import delete_many, list_entries

    referenced = _referenced(table)
    location = table.location().rstrip("/")
    removed = []
    for folder, suffixes in (("data", (".parquet",)), ("metadata", (".avro", ".metadata.json"))):
        for uri, modified in list_entries(f"{location}/{folder}", suffixes, settings):
            if _normal(uri) in referenced or modified >= cutoff:
                continue
            removed.append(uri)
    delete_many(removed, settings)
    return removed
