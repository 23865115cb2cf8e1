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
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lake.exceptions import CatalogError, LakeError
from lake.settings import Settings, get_settings
from lake.tables import TABLES

if TYPE_CHECKING:
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
    from pyiceberg.exceptions import CommitFailedException

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
            except CommitFailedException as exc:
                if attempt == settings.commit_retries:
                    raise CatalogError(f"compaction of {name} kept conflicting with writers; run it again") from exc
                time.sleep(random.uniform(0, min(2.0, 0.05 * 2**attempt)))
    return results


def _compact_table(name: str, table: Table, small_bytes: int, min_files: int) -> CompactionResult:
    import pyarrow as pa
    from pyiceberg.expressions import AlwaysTrue
    from pyiceberg.io.pyarrow import ArrowScan, _dataframe_to_data_files

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
    txn = table.transaction()
    removed = added = 0
    with txn.update_snapshot(snapshot_properties={"sarlake.operation": "compact"}).overwrite() as overwrite:
        for group in chosen:
            data = ArrowScan(table.metadata, table.io, table.schema(), AlwaysTrue()).to_table(group)
            if sort and data.num_rows:
                data = data.sort_by([(c, "ascending") for c in sort])
            data = pa.Table.from_batches(data.to_batches(), schema=data.schema)
            for old in group:
                overwrite.delete_data_file(old.file)
                removed += 1
            for new in _dataframe_to_data_files(table_metadata=table.metadata, df=data, io=table.io,
                                                write_uuid=uuid.uuid4()):
                overwrite.append_data_file(new)
                added += 1
    txn.commit_transaction()
    logger.info("%s: compacted %d partitions, %d files -> %d", name, len(chosen), removed, added)
    return CompactionResult(name, len(chosen), removed, added)
