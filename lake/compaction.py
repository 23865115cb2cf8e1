"""Compact small data files: within each partition, rewrite many small Parquet files as few sorted ones.

Upserts already merge the small files of the partitions they write; partitions no upsert touches again (old
months, tables written by many small commits) keep theirs. DuckDB opens every file of a scan, so a partition
of 200 files of 10 rows reads far slower than one file of 2,000. Run by the ``maintenance`` DAG after
``sarlake maintain`` (which then deletes the replaced files once they leave time travel).
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lake.exceptions import CatalogError, LakeError
from lake.settings import Settings, get_settings
from lake.tables import TABLES

if TYPE_CHECKING:
    from pyiceberg.manifest import DataFile
    from pyiceberg.table import FileScanTask, Table

__all__ = ["CompactionResult", "compact"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CompactionResult:
    """What compaction did to one table: partitions rewritten, files before and after."""

    table: str
    partitions: int
    files_removed: int
    files_added: int


def compact(tables: list[str] | None = None, *, small_bytes: int = 32 * 1024 * 1024, min_files: int = 4,
            settings: Settings | None = None) -> list[CompactionResult]:
    """Rewrite the small files of every partition holding at least ``min_files`` of them.

    Args:
        tables: lake tables; all by default.
        small_bytes: files below this size (on disk) are small.
        min_files: a partition is rewritten only when it holds this many small files.
        settings: the lake settings.

    Returns:
        One result per table (rows are never changed: only their files).
    """
    from pyiceberg.exceptions import CommitFailedException, ValidationException

    from lake.catalog import load_table

    settings = settings or get_settings()
    names = tables or list(TABLES)
    unknown = sorted(set(names) - set(TABLES))
    if unknown:
        raise LakeError(f"unknown lake table(s) {', '.join(unknown)}; tables: {', '.join(TABLES)}")
    results = []
    for name in names:
        for attempt in range(settings.commit_retries + 1):
            table = load_table(name, settings)
            try:
                results.append(_compact_table(name, table, small_bytes, min_files))
                break
            except (CommitFailedException, ValidationException) as exc:
                if attempt == settings.commit_retries:
                    raise CatalogError(f"compaction of {name} kept conflicting with writers; run it again") from exc
                time.sleep(random.uniform(0, min(2.0, 0.05 * 2**attempt)))
    return results


def _compact_table(name: str, table: Table, small_bytes: int, min_files: int) -> CompactionResult:
    import pyarrow as pa

    from lake._pyiceberg_compat import commit_files, read_data_files, tracked_writes, write_data_files

    if table.current_snapshot() is None:
        return CompactionResult(name, 0, 0, 0)
    spec_id = table.spec().spec_id
    groups: dict[tuple[object, ...], list[FileScanTask]] = {}
    for task in table.scan().plan_files():
        if task.file.spec_id != spec_id or task.file.file_size_in_bytes >= small_bytes or task.delete_files:
            continue
        record = task.file.partition
        groups.setdefault(tuple(record[i] for i in range(len(record))), []).append(task)
    chosen = [g for g in groups.values() if len(g) >= min_files]
    if not chosen:
        return CompactionResult(name, 0, 0, 0)
    sort = list(TABLES[name].sort) if name in TABLES else []
    target = int(table.properties.get("write.target-file-size-bytes", 512 * 1024 * 1024))
    removed: list[DataFile] = []
    added: list[DataFile] = []
    with tracked_writes(table):  # a conflicted or failed try deletes the files it wrote
        for values, group in ((v, g) for v, g in groups.items() if len(g) >= min_files):
            data = read_data_files(table, group)
            if sort and data.num_rows:
                data = data.sort_by([(c, "ascending") for c in sort])
            data = pa.Table.from_batches(data.to_batches(), schema=data.schema)
            removed += [old.file for old in group]
            added += write_data_files(table, [(values if values else None, data, target)])
        commit_files(table, added, removed, {"sarlake.operation": "compact"})
    logger.info("%s: compacted %d partitions, %d files -> %d", name, len(chosen), len(removed), len(added))
    return CompactionResult(name, len(chosen), len(removed), len(added))
