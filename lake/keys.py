"""Find the data files that hold given natural keys, in whatever partition the rows live.

A row's partition can change with its values (a product re-catalogued with another ``start_time`` year, an
acquisition whose sensing time moved across a new year), so an upsert cannot find a key by looking only in
the partition the incoming row belongs to. This module reads only the key columns of the candidate files:

* files whose key statistics (Iceberg lower/upper bounds of the first key column) cannot hold any wanted
  key are skipped without being opened;
* the key column of the others is read once per process and cached by file path: Iceberg data files are
  immutable, so a cached key list never goes stale (a rewritten file has a new path).
"""

from __future__ import annotations

import bisect
import logging
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

from lake.tables import TableSpec

if TYPE_CHECKING:
    import pyarrow as pa
    from pyiceberg.table import FileScanTask, Table

__all__ = ["KEY_SEP", "clear_cache", "files_holding", "key_array"]

logger = logging.getLogger(__name__)

KEY_SEP = "\x1f"
#: Upper bound of the memory the key cache holds (bytes of Arrow key arrays).
CACHE_MAX_BYTES = 256 * 1024 * 1024

_cache: OrderedDict[str, pa.Array] = OrderedDict()
_cache_bytes = 0
_lock = threading.Lock()


def key_array(data: pa.Table, key: tuple[str, ...]) -> pa.Array | pa.ChunkedArray:
    """One string per row identifying its natural key (columns joined by an ASCII unit separator)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = [pc.cast(data.column(k), pa.large_string()) for k in key]
    if len(parts) == 1:
        return parts[0]
    return pc.binary_join_element_wise(*parts, pa.scalar(KEY_SEP, pa.large_string()))


def clear_cache() -> None:
    """Forget every cached key list (tests; memory pressure)."""
    global _cache_bytes
    with _lock:
        _cache.clear()
        _cache_bytes = 0


def _file_keys(table: Table, spec: TableSpec, task: FileScanTask) -> pa.Array:
    global _cache_bytes
    from lake._pyiceberg_compat import read_data_file

    path = task.file.file_path
    with _lock:
        hit = _cache.get(path)
        if hit is not None:
            _cache.move_to_end(path)
            return hit
    data = read_data_file(table, task, table.schema().select(*spec.key))
    keys = key_array(data, spec.key)
    keys = keys.combine_chunks() if hasattr(keys, "combine_chunks") else keys
    with _lock:
        _cache[path] = keys
        _cache_bytes += keys.nbytes
        while _cache_bytes > CACHE_MAX_BYTES and len(_cache) > 1:
            _, old = _cache.popitem(last=False)
            _cache_bytes -= old.nbytes
    return keys


def _may_hold(table: Table, spec: TableSpec, tasks: list[FileScanTask], first: list[str]) -> list[FileScanTask]:
    """Tasks whose first-key-column bounds admit one of the (sorted) ``first`` values."""
    from pyiceberg.conversions import from_bytes
    from pyiceberg.types import StringType

    field = table.schema().find_field(spec.key[0])
    if not isinstance(field.field_type, StringType):
        return tasks
    out = []
    for task in tasks:
        lower = (task.file.lower_bounds or {}).get(field.field_id)
        upper = (task.file.upper_bounds or {}).get(field.field_id)
        if lower is None or upper is None:
            out.append(task)
            continue
        lo, hi = from_bytes(StringType(), lower), from_bytes(StringType(), upper)
        i = bisect.bisect_left(first, lo)
        if i < len(first) and first[i] <= hi:
            out.append(task)
    return out


def files_holding(table: Table, spec: TableSpec, wanted: pa.Table, tasks: list[FileScanTask]) -> list[FileScanTask]:
    """The tasks among ``tasks`` whose data file holds at least one key of ``wanted``.

    Args:
        table: the table the tasks were planned on.
        spec: its definition (natural key).
        wanted: rows with (at least) the key columns.
        tasks: candidate data files.

    Returns:
        The candidates that hold a wanted key, in their given order.
    """
    import pyarrow.compute as pc

    if wanted.num_rows == 0 or not tasks:
        return []
    first = sorted(set(wanted.column(spec.key[0]).to_pylist()))
    candidates = _may_hold(table, spec, tasks, first)
    keys = key_array(wanted, spec.key)
    found = [t for t in candidates if pc.any(pc.is_in(_file_keys(table, spec, t), value_set=keys)).as_py()]
    logger.debug("%s: %d of %d files may hold %d keys, %d do", spec.name, len(candidates), len(tasks),
                 wanted.num_rows, len(found))
    return found
