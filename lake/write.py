"""Idempotent upserts into the lake tables, safe under concurrent writers.

How an upsert works (copy-on-write, one commit):

1. the incoming rows are cast to the table schema and de-duplicated by key (last one wins);
2. only the data files that can hold an incoming key are planned: the files of the incoming rows'
   partitions when the table's partition is a function of its key (``TableSpec.partition_from_key``),
   otherwise the files whose key statistics may match;
3. those files are read and matched to the incoming rows in Arrow: rows are *new*, *updated* (some
   compared column differs) or *unchanged* (nothing to write);
4. the files holding updated rows (and, for compaction, small files of the partitions being written)
   are replaced by new files holding their kept rows plus the new and updated rows, sorted by the
   table's sort order, in one overwrite snapshot;
5. when the catalogue reports a concurrent commit, the whole merge is recomputed on the refreshed
   table and retried with jittered exponential backoff, up to ``settings.commit_retries`` times.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from lake.arrow_rows import fill_new, table_spec, to_arrow
from lake.data_files import file_partition, partition_files, partition_tuples, read_task, write_files
from lake.exceptions import CatalogError, LakeError
from lake.keys import KEY_SEP, key_array
from lake.settings import Settings, get_settings
from lake.tables import TableSpec

R = TypeVar("R")

if TYPE_CHECKING:
    import pyarrow as pa
    from pyiceberg.table import FileScanTask, Table

__all__ = ["UpsertResult", "append", "backoff_seconds", "commit_retried", "update", "upsert"]

logger = logging.getLogger(__name__)

#: Files smaller than this (on disk) in a partition being written are merged into the new file.
COMPACT_BELOW_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class UpsertResult:
    """What an upsert did.

    Attributes:
        inserted: rows whose key was not in the table.
        updated: rows whose key existed with different values.
        unchanged: rows identical to the stored ones (not rewritten).
        attempts: commit attempts (more than 1 when concurrent writers conflicted).
        snapshot_id: the table's snapshot holding the rows as written: the one this upsert committed, or when
            nothing changed the one it read (None for an empty table or no rows). A concurrent writer's later
            commit does not change it, unlike reading the table's current snapshot afterwards.
    """

    inserted: int
    updated: int
    unchanged: int
    attempts: int = 1
    snapshot_id: int | None = None

    @property
    def written(self) -> int:
        """Rows inserted or updated."""
        return self.inserted + self.updated


def upsert(table_name: str, rows: pa.Table | list[dict[str, Any]], settings: Settings | None = None) -> UpsertResult:
    """Insert or update rows of a lake table by its natural key.

    Re-running with the same rows changes nothing (no duplicates, no new snapshot). A key is found wherever
    its row lives, also when the new values move it to another partition (the old row is deleted and the new
    one written in the same commit). Columns missing from ``rows`` are null; ``created_at``/``updated_at``
    are filled in when the table has them.

    Args:
        table_name: a key of :data:`lake.tables.TABLES`.
        rows: an Arrow table or a list of dicts (ISO strings are accepted for timestamps and dates).
        settings: the lake settings; default :func:`lake.settings.get_settings`.

    Returns:
        Counts of inserted, updated and unchanged rows.

    Raises:
        LakeError: unknown table, unknown column or a null key.
        CatalogError: the lake is not initialised, or the commit kept conflicting.
    """
    from lake.catalog import load_table

    settings = settings or get_settings()
    spec = table_spec(table_name)
    table = load_table(table_name, settings)
    incoming = to_arrow(spec, rows, table)
    if incoming.num_rows == 0:
        return UpsertResult(0, 0, 0)
    _check_partition_sources(table, spec, incoming)
    return _with_retries(table, spec, incoming, None, settings)


def update(table_name: str, rows: list[dict[str, Any]], settings: Settings | None = None) -> UpsertResult:
    """Change some columns of existing rows, found by key (e.g. QA facets set on catalogued products).

    Each row holds the key columns and the columns to change (``None`` sets null); the other columns keep
    their stored values. The patch is applied to the rows as stored at commit time: when another writer
    commits first, the patch is re-applied to its result, so concurrent updates of different columns are
    both kept and, of the same column, the later commit wins (never a change silently lost).

    Args:
        table_name: a key of :data:`lake.tables.TABLES`.
        rows: dicts with the key columns and the columns to set.
        settings: the lake settings; default :func:`lake.settings.get_settings`.

    Returns:
        Counts of updated and unchanged rows (never inserted).

    Raises:
        LakeError: unknown table or column, a row without its key, or a key that is not in the table.
    """
    import pyarrow as pa

    from lake.catalog import load_table

    settings = settings or get_settings()
    spec = table_spec(table_name)
    if not rows:
        return UpsertResult(0, 0, 0)
    table = load_table(table_name, settings)
    unknown = sorted({k for r in rows for k in r} - set(table.schema().column_names))
    if unknown:
        raise LakeError(f"table {table_name} has no column(s) {', '.join(unknown)}")
    if any(k not in r or r[k] is None for r in rows for k in spec.key):
        raise LakeError(f"every row given to update {table_name} needs its key {', '.join(spec.key)}")
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in rows:  # several patches of one key: merged in order
        merged.setdefault(tuple(r[k] for k in spec.key), {}).update(r)
    patches = list(merged.values())
    incoming = to_arrow(spec, patches, table)
    masks = {
        name: pa.array([name in p for p in patches], pa.bool_())
        for name in incoming.column_names if name not in spec.key
    }
    return _with_retries(table, spec, incoming, masks, settings)


def append(table_name: str, rows: list[dict[str, Any]], settings: Settings | None = None) -> None:
    """Add rows whose keys are new as one data file, reading none of the table's rows (no-op for no rows).

    For rows the caller knows are new (each step row of ``archive_transfers`` has a new key), so the cost does not
    grow with the table, unlike :func:`upsert`; a key already in the table would be there twice. Columns, types and
    keys are checked as for any write; a concurrent commit is retried, and a failed try leaves no file.
    """
    import pyarrow as pa

    from lake._pyiceberg_compat import commit_files
    from lake.catalog import load_table

    settings = settings or get_settings()
    spec = table_spec(table_name)
    if not rows:
        return
    table = load_table(table_name, settings)
    data = to_arrow(spec, rows, table)
    stamped = "updated_at" in data.column_names
    now = pa.scalar(datetime.now(UTC), data.schema.field("updated_at").type) if stamped else None
    data = fill_new(spec, data, now).sort_by([(c, "ascending") for c in spec.sort])
    commit_retried(table, lambda t: commit_files(t, write_files(t, data), [], {"sarlake.operation": "append"}),
                   settings)  # a failed try's files are deleted; the next writes them again for the refreshed table


def _with_retries(table: Table, spec: TableSpec, incoming: pa.Table, patch: dict[str, pa.Array] | None,
                  settings: Settings) -> UpsertResult:
    """Merge and commit; on a concurrent commit, re-read the refreshed table and merge again.

    Every try runs under :func:`lake._pyiceberg_compat.tracked_writes`: a try that fails deletes the data,
    manifest and metadata files it wrote, so conflicts and full disks leave no orphan files. After a
    conflict the writer takes the table's commit lock (:mod:`lake.commit_lock`) so retries take turns.
    """
    from pyiceberg.exceptions import CommitFailedException, ValidationException
    from sqlalchemy.exc import OperationalError

    from lake import commit_lock
    from lake._pyiceberg_compat import tracked_writes

    retries = settings.commit_retries
    with contextlib.ExitStack() as lock:
        holding = False
        for attempt in range(retries + 1):
            if not holding and commit_lock.is_held(settings, spec.name):  # contention: queue, do not compete
                lock.enter_context(commit_lock.held(settings, spec.name))
                holding = True
            try:
                with tracked_writes(table):
                    result = _upsert_once(table, spec, incoming, patch)
                snapshot = table.current_snapshot()  # the commit updated this table object's metadata
                return UpsertResult(result.inserted, result.updated, result.unchanged, attempt + 1,
                                    snapshot.snapshot_id if snapshot is not None else None)
            except (CommitFailedException, ValidationException, OperationalError) as exc:
                if isinstance(exc, OperationalError) and "locked" not in str(exc):
                    raise CatalogError(f"catalogue error while writing {spec.name}: {exc}") from exc
                if attempt == retries:
                    raise CatalogError(
                        f"upsert into {spec.name} conflicted with concurrent writers {retries + 1} times; "
                        "retry later or raise SARLAKE_COMMIT_RETRIES"
                    ) from exc
                logger.debug("commit conflict on %s (attempt %d: %s)", spec.name, attempt + 1, type(exc).__name__)
                if holding:
                    time.sleep(backoff_seconds(attempt, settings))
                else:  # waiting for the lock is the back-off; then the retries do not compete with others
                    lock.enter_context(commit_lock.held(settings, spec.name))
                    holding = True
                table = table.refresh()
    raise AssertionError("unreachable")


def commit_retried(table: Table, commit: Callable[[Table], R], settings: Settings) -> R:
    """``commit(table)`` for a metadata-only change (snapshot expiry, a tag), retried when another writer commits first.

    Each try runs under :func:`lake._pyiceberg_compat.tracked_writes`, so a failed one leaves no metadata file; the
    next gets the refreshed table after :func:`backoff_seconds`. (Upserts have their own loop: they also queue on
    the table's commit lock, since merging rows again is expensive.)
    """
    from pyiceberg.exceptions import CommitFailedException, ValidationException

    from lake._pyiceberg_compat import tracked_writes

    for attempt in range(settings.commit_retries + 1):
        try:
            with tracked_writes(table):
                return commit(table)
        except (CommitFailedException, ValidationException):
            if attempt == settings.commit_retries:
                raise
            time.sleep(backoff_seconds(attempt, settings))
            table = table.refresh()
    raise AssertionError("unreachable")


def backoff_seconds(attempt: int, settings: Settings) -> float:
    """Full-jitter exponential backoff before retry ``attempt`` (0-based): uniform in [0, min(max, base * 2**n)]."""
    cap = min(settings.commit_backoff_max_s, settings.commit_backoff_base_s * 2**attempt)
    return random.uniform(0.0, cap)


def _check_partition_sources(table: Table, spec: TableSpec, incoming: pa.Table) -> None:
    """Refuse rows that lack the columns their partition is computed from (they could not be found again)."""
    if not spec.partition_from_key or table.spec().is_unpartitioned():
        return
    schema = table.schema()
    for pf in table.spec().fields:
        name = schema.find_field(pf.source_id).name
        if incoming.column(name).null_count:
            raise LakeError(
                f"rows for {spec.name} need {name!r} (the table is partitioned by it); to change some columns "
                "of existing rows use lake.write.update()"
            )


def _same(a: pa.ChunkedArray, b: pa.ChunkedArray) -> pa.Array:
    """Null-aware element-wise equality (null == null, NaN == NaN)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_nested(a.type):
        return pa.array([x == y for x, y in zip(a.to_pylist(), b.to_pylist(), strict=True)], pa.bool_())
    same = pc.fill_null(pc.equal(a, b), False)
    same = pc.or_(same, pc.and_(pc.is_null(a), pc.is_null(b)))
    if pa.types.is_floating(a.type):
        same = pc.or_(same, pc.fill_null(pc.and_(pc.is_nan(a), pc.is_nan(b)), False))
    return same


def _upsert_once(table: Table, spec: TableSpec, incoming: pa.Table, patch: dict[str, pa.Array] | None
                 ) -> UpsertResult:
    import pyarrow as pa
    import pyarrow.compute as pc

    from lake.keys import files_holding

    target = incoming.schema
    now = pa.scalar(datetime.now(UTC), target.field("updated_at").type) if "updated_at" in target.names else None

    # 1. read the files of the incoming partitions; 2. find the keys not there in any other file
    all_tasks = list(table.scan().plan_files()) if table.current_snapshot() is not None else []
    tasks = partition_files(table, spec, incoming, all_tasks) if patch is None else []
    parts = [read_task(table, t, target) for t in tasks]
    in_keys = key_array(incoming, spec.key)
    found = pa.chunked_array([key_array(p, spec.key) for p in parts], pa.large_string())
    not_found = pc.invert(pc.is_in(in_keys, value_set=found.combine_chunks()))
    if pc.any(not_found).as_py() and len(tasks) < len(all_tasks):
        planned = {t.file.file_path for t in tasks}
        others = [t for t in all_tasks if t.file.file_path not in planned]
        extra = files_holding(table, spec, incoming.filter(not_found), others)
        tasks += extra
        parts += [read_task(table, t, target) for t in extra]

    file_ids = [pa.array([i] * p.num_rows, pa.int32()) for i, p in enumerate(parts)]
    existing = pa.concat_tables(parts) if parts else target.empty_table()
    existing_file = pa.chunked_array(file_ids, pa.int32()) if file_ids else pa.chunked_array([], pa.int32())

    ex_keys = key_array(existing, spec.key)
    pos = pc.index_in(in_keys, value_set=ex_keys)
    matched = pc.is_valid(pos)
    new_rows = incoming.filter(pc.invert(matched))
    old_rows = incoming.filter(matched)
    ex_pos = pc.drop_null(pos)
    ex_rows = existing.take(ex_pos)

    if patch is not None:
        if new_rows.num_rows:
            shown = ", ".join(str(k).replace(KEY_SEP, "/") for k in key_array(new_rows, spec.key).to_pylist()[:5])
            raise LakeError(f"update of {spec.name}: {new_rows.num_rows} key(s) not in the table ({shown}); "
                            "nothing changed")
        for name in target.names:  # columns a row does not set keep their stored value
            if name in spec.key:
                continue
            sets = patch[name].filter(matched) if name in patch else pa.array([False] * old_rows.num_rows)
            i = target.get_field_index(name)
            old_rows = old_rows.set_column(i, target.field(i), pc.if_else(sets, old_rows.column(name),
                                                                           ex_rows.column(name)))
    else:  # stored values win for "filled in later" columns and creation stamps
        for name in (*spec.keep_existing, *spec.keep_first):
            if name not in target.names:
                continue
            i = target.get_field_index(name)
            incoming_col, stored = old_rows.column(name), ex_rows.column(name)
            if name in spec.keep_first:
                merged = pc.if_else(pc.is_null(stored), incoming_col, stored)
            else:
                merged = pc.if_else(pc.is_null(incoming_col), stored, incoming_col)
            old_rows = old_rows.set_column(i, target.field(i), merged)

    changed = pa.array([False] * old_rows.num_rows, pa.bool_())
    for name in target.names:
        if name in spec.ignore_on_compare or name in spec.key:
            continue
        changed = pc.or_(changed, pc.invert(_same(old_rows.column(name), ex_rows.column(name))))
    updated = old_rows.filter(changed)
    n_unchanged = old_rows.num_rows - updated.num_rows
    if new_rows.num_rows == 0 and updated.num_rows == 0:
        return UpsertResult(0, 0, n_unchanged)

    new_rows = fill_new(spec, new_rows, now)
    if now is not None:
        i = target.get_field_index("updated_at")
        updated = updated.set_column(i, target.field(i), pa.array([now.as_py()] * updated.num_rows, now.type))

    # files to replace: those holding updated keys, plus small files of the partitions being written
    rewrite = set(pc.unique(pc.filter(existing_file.take(ex_pos), changed)).to_pylist())
    written = pa.concat_tables([new_rows, updated])
    out_parts = partition_tuples(table, written)
    current_spec = table.spec().spec_id

    def compactable(t: FileScanTask) -> bool:
        return (t.file.file_size_in_bytes < COMPACT_BELOW_BYTES and t.file.spec_id == current_spec
                and (out_parts is None or file_partition(t) in out_parts))

    rewrite |= {i for i, t in enumerate(tasks) if compactable(t)}
    planned = {t.file.file_path for t in tasks}
    for t in all_tasks:
        if t.file.file_path not in planned and compactable(t):
            rewrite.add(len(tasks))
            tasks.append(t)
            parts.append(read_task(table, t, target))
            existing = pa.concat_tables([existing, parts[-1]])
            existing_file = pa.chunked_array([*existing_file.chunks, pa.array([len(tasks) - 1] * parts[-1].num_rows,
                                                                             pa.int32())], pa.int32())
    if rewrite:
        in_rewrite = pc.is_in(existing_file, value_set=pa.array(sorted(rewrite), pa.int32()))
        kept = existing.filter(in_rewrite)
        written_keys = pa.chunked_array(key_array(written, spec.key)).combine_chunks()
        kept = kept.filter(pc.invert(pc.is_in(key_array(kept, spec.key), value_set=written_keys)))
        written = pa.concat_tables([kept, written])
    if spec.sort:
        written = written.sort_by([(c, "ascending") for c in spec.sort])

    from lake._pyiceberg_compat import commit_files

    new_files = write_files(table, written)
    commit_files(table, new_files, [tasks[i].file for i in sorted(rewrite)], {"sarlake.operation": "upsert"})
    return UpsertResult(new_rows.num_rows, updated.num_rows, n_unchanged)
