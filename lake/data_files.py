"""The Parquet data files of a lake table an upsert reads and writes, by partition.

Partition values are evaluated in Arrow for identity, year, month and day transforms (:mod:`lake.write`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from lake.exceptions import LakeError
from lake.tables import TableSpec

if TYPE_CHECKING:
    import pyarrow as pa
    from pyiceberg.manifest import DataFile
    from pyiceberg.table import FileScanTask, Table

__all__ = ["MIN_SPLIT_BYTES", "file_partition", "partition_columns", "partition_files", "partition_tuples",
           "read_task", "write_files"]

#: A partition's rewrite is split across cores only above this size (in memory).
MIN_SPLIT_BYTES = 8 * 1024 * 1024


def partition_columns(table: Table, data: pa.Table) -> dict[str, Any] | None:
    """Partition values (as stored in data files) of each row of ``data`` under the current spec.

    Returns None when the spec uses a transform this module does not evaluate in Arrow.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyiceberg.transforms import DayTransform, IdentityTransform, MonthTransform, YearTransform

    schema = table.schema()
    cols: dict[str, Any] = {}
    for pf in table.spec().fields:
        column = data.column(schema.find_field(pf.source_id).name)
        if isinstance(pf.transform, IdentityTransform):
            cols[pf.name] = column
        elif isinstance(pf.transform, YearTransform):
            cols[pf.name] = pc.subtract(pc.year(column), 1970)
        elif isinstance(pf.transform, MonthTransform):
            years = pc.subtract(pc.year(column), 1970)
            cols[pf.name] = pc.add(pc.multiply(years, 12), pc.subtract(pc.month(column), 1))
        elif isinstance(pf.transform, DayTransform):
            cols[pf.name] = pc.cast(pc.cast(column, pa.date32()), pa.int32())
        else:
            return None
    return cols


def partition_tuples(table: Table, data: pa.Table) -> set[tuple[Any, ...]] | None:
    """Distinct partition tuples of the rows of ``data`` (None: unknown transform, assume any)."""
    import pyarrow as pa

    cols = partition_columns(table, data)
    if cols is None:
        return None
    if not cols:
        return {()}
    unique = pa.table(cols).group_by(list(cols)).aggregate([])
    return {tuple(r[c] for c in cols) for r in unique.to_pylist()}


def write_files(table: Table, data: pa.Table) -> list[DataFile]:
    """Write ``data`` (already sorted) as Parquet data files, one or more per partition."""
    import functools

    import pyarrow.compute as pc

    from lake._pyiceberg_compat import write_data_files

    cols = partition_columns(table, data)
    if cols is None:
        raise LakeError(f"table {table.name()} uses a partition transform sarlake does not write; "
                        "use identity, year, month or day (lake.tables)")
    target_size = int(table.properties.get("write.target-file-size-bytes", 512 * 1024 * 1024))
    groups = partition_tuples(table, data) or set()
    out = []
    for values in sorted(groups, key=repr):
        part = data
        if len(groups) > 1:
            masks = [
                pc.is_null(cols[name]) if v is None else pc.fill_null(pc.equal(cols[name], v), False)
                for name, v in zip(cols, values, strict=True)
            ]
            part = data.filter(functools.reduce(pc.and_, masks) if len(masks) > 1 else masks[0])
        # Split a large partition into one file per core so the Parquet encoders run in parallel.
        per_core = max(part.nbytes // (os.cpu_count() or 1) + 1, MIN_SPLIT_BYTES)
        out.append((values if cols else None, part, min(target_size, per_core)))
    return write_data_files(table, out)


def file_partition(task: FileScanTask) -> tuple[Any, ...]:
    """The partition values of one data file, as a tuple."""
    record = task.file.partition
    return tuple(record[i] for i in range(len(record)))


def partition_files(table: Table, spec: TableSpec, incoming: pa.Table, tasks: list[FileScanTask]
                     ) -> list[FileScanTask]:
    """The data files of the incoming rows' own partitions, where their keys usually are."""
    if not spec.partition_from_key or table.spec().is_unpartitioned():
        return []
    wanted = partition_tuples(table, incoming)
    current = table.spec().spec_id
    return [t for t in tasks if wanted is None or (t.file.spec_id == current and file_partition(t) in wanted)]


def read_task(table: Table, task: FileScanTask, target: pa.Schema) -> pa.Table:
    """One data file's rows, cast to ``target`` (the table's current schema)."""
    import pyarrow as pa

    from lake._pyiceberg_compat import read_data_file

    data = read_data_file(table, task)
    return pa.Table.from_arrays([data.column(f.name).cast(f.type) for f in target], schema=target)
