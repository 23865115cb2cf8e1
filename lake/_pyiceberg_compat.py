"""The one place where sarlake uses pyiceberg internals (everything else uses its public API).

pyiceberg has no public API to "replace exactly these data files by these new files in one snapshot", which
is what a copy-on-write upsert needs, nor to write Arrow data as data files of a given partition without
committing them. The pieces that do it (``write_file``, ``bin_pack_arrow_table``, ``WriteTask``,
``PartitionKey``, ``ArrowScan`` and the overwrite snapshot producer) are importable but undocumented, so a
pyiceberg release may change them. They are used only here; ``tests/test_lake_pyiceberg_compat.py`` checks
the installed version against :data:`TESTED_VERSIONS` and every symbol's signature against
:data:`EXPECTED_SIGNATURES`, so an upgrade fails that test loudly instead of corrupting a table quietly.

This module also provides :class:`RecordingFileIO`, a ``PyArrowFileIO`` (plugged in through pyiceberg's public
``py-io-impl`` catalogue property) that records every file a write opens while :func:`tracked_writes` is
active, so that a failed or conflicting commit can delete what it wrote: data files, manifests, the manifest
list and the metadata file (a full disk leaves no 0-byte metadata file behind).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pyiceberg.io.pyarrow import PyArrowFile, PyArrowFileIO

if TYPE_CHECKING:
    import pyarrow as pa
    from pyiceberg.manifest import DataFile
    from pyiceberg.schema import Schema
    from pyiceberg.table import FileScanTask, Table

__all__ = [
    "EXPECTED_SIGNATURES",
    "IO_IMPL",
    "TESTED_VERSIONS",
    "RecordingFileIO",
    "commit_files",
    "read_data_file",
    "tracked_writes",
    "write_data_files",
]

logger = logging.getLogger(__name__)

#: pyiceberg versions (prefixes) whose internals this module was written and tested against.
TESTED_VERSIONS: tuple[str, ...] = ("0.12.",)

#: ``"module:qualname" -> parameter names`` of every internal this module calls.
EXPECTED_SIGNATURES: dict[str, tuple[str, ...]] = {
    "pyiceberg.io.pyarrow:write_file": ("io", "table_metadata", "tasks"),
    "pyiceberg.io.pyarrow:bin_pack_arrow_table": ("tbl", "target_file_size"),
    "pyiceberg.io.pyarrow:ArrowScan.__init__": (
        "self", "table_metadata", "io", "projected_schema", "row_filter", "case_sensitive", "limit",
        "dictionary_columns",
    ),
    "pyiceberg.io.pyarrow:ArrowScan.to_table": ("self", "tasks"),
    "pyiceberg.table:WriteTask": (
        "write_uuid", "task_id", "schema", "record_batches", "sort_order_id", "partition_key",
    ),
    "pyiceberg.partitioning:PartitionKey": ("field_values", "partition_spec", "schema"),
    "pyiceberg.partitioning:PartitionFieldValue": ("field", "value"),
    "pyiceberg.table.update.snapshot:_OverwriteFiles.delete_data_file": ("self", "data_file"),
    "pyiceberg.table.update.snapshot:_SnapshotProducer.append_data_file": ("self", "data_file"),
    "pyiceberg.io.pyarrow:PyArrowFileIO.new_output": ("self", "location"),
}

#: Value of the catalogue's ``py-io-impl`` property that installs :class:`RecordingFileIO`.
IO_IMPL = f"{__name__}.RecordingFileIO"

_written: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("sarlake_written", default=None)


class RecordingFileIO(PyArrowFileIO):
    """A ``PyArrowFileIO`` that records the files it creates while :func:`tracked_writes` is active.

    Files are recorded in the list of the thread that runs :func:`tracked_writes` (a context variable: the
    catalogue opens a new FileIO for the metadata file in that thread) and in the list attached to the
    table's own FileIO (pyiceberg writes data files from its executor's threads, which do not see it).
    """

    sink: list[str] | None = None

    def new_output(self, location: str) -> PyArrowFile:
        """Open ``location`` for writing (and remember it for clean-up)."""
        written = _written.get()
        if written is None:
            written = self.sink
        if written is not None:
            written.append(location)
        return super().new_output(location)


@contextlib.contextmanager
def tracked_writes(table: Table) -> Iterator[list[str]]:
    """Record every file written inside the block; if the block raises, delete them unless they were committed.

    A file is kept only when the refreshed table references it (the commit landed although an error was
    reported), so a failed or conflicting try leaves nothing behind and a landed one loses nothing.

    Args:
        table: the table being written (refreshed here to tell a landed commit from a failed one).

    Yields:
        The list of written locations (filled as files are opened).
    """
    written: list[str] = []
    token = _written.set(written)
    io = table.io
    if isinstance(io, RecordingFileIO):
        io.sink = written
    try:
        yield written
    except BaseException:
        _written.reset(token)
        if isinstance(io, RecordingFileIO):
            io.sink = None
        _discard_unless_landed(table, list(written))
        raise
    else:
        _written.reset(token)
        if isinstance(io, RecordingFileIO):
            io.sink = None


def _discard_unless_landed(table: Table, written: list[str]) -> None:
    if not written:
        return
    try:
        fresh = table.refresh()
        current = fresh.current_snapshot()
        if fresh.metadata_location in written or (current is not None and current.manifest_list in written):
            return  # the commit landed: every file it wrote is referenced
    except Exception:  # the catalogue is unreachable: the outcome is unknown, keep the files for maintenance
        logger.warning("cannot tell whether a failed commit landed; leaving %d files to maintenance", len(written))
        return
    for location in written:
        try:
            table.io.delete(location)
        except FileNotFoundError:
            pass
        except Exception:  # noqa: BLE001 - best effort; maintenance removes what is left
            logger.warning("could not delete %s written by a failed commit", location, exc_info=True)
    logger.debug("deleted %d files written by a failed commit", len(written))


def read_data_file(table: Table, task: FileScanTask, schema: Schema | None = None) -> pa.Table:
    """Read one data file of ``table`` (all of its rows, projected on ``schema``, default the table schema)."""
    from pyiceberg.expressions import AlwaysTrue
    from pyiceberg.io.pyarrow import ArrowScan

    return ArrowScan(table.metadata, table.io, schema or table.schema(), AlwaysTrue()).to_table([task])


def write_data_files(table: Table, groups: list[tuple[tuple[Any, ...] | None, pa.Table, int]]) -> list[DataFile]:
    """Write Arrow data as Parquet data files of ``table`` (not committed).

    Args:
        table: the target table (its current schema, partition spec, sort order and properties are used).
        groups: ``(partition values in spec order or None when unpartitioned, rows, max bytes per file)``;
            rows already sorted; a group larger than its max (in memory) is split into several files.

    Returns:
        The data files, to pass to :func:`commit_files`.
    """
    from pyiceberg.io.pyarrow import bin_pack_arrow_table, write_file
    from pyiceberg.partitioning import PartitionFieldValue, PartitionKey
    from pyiceberg.table import WriteTask

    meta = table.metadata
    spec, schema = table.spec(), table.schema()
    sort_order_id = meta.default_sort_order_id if meta.sort_order_by_id(meta.default_sort_order_id) else None
    write_uuid = uuid.uuid4()
    tasks: list[WriteTask] = []
    for values, rows, max_file_bytes in groups:
        key = None
        if values is not None and spec.fields:
            key = PartitionKey(
                field_values=[PartitionFieldValue(field=f, value=v) for f, v in zip(spec.fields, values, strict=True)],
                partition_spec=spec,
                schema=schema,
            )
        for batches in bin_pack_arrow_table(rows, max_file_bytes):
            tasks.append(WriteTask(write_uuid=write_uuid, task_id=len(tasks), schema=schema,
                                   record_batches=batches, sort_order_id=sort_order_id, partition_key=key))
    return list(write_file(io=table.io, table_metadata=meta, tasks=iter(tasks)))


def commit_files(table: Table, add: list[DataFile], delete: list[DataFile], properties: dict[str, str]) -> None:
    """Commit one snapshot that adds ``add`` and removes ``delete`` (an append when nothing is removed).

    Raises:
        CommitFailedException: a concurrent commit changed the table (re-plan and retry).
        ValidationException: a file to delete is no longer in the table (re-plan and retry).
    """
    txn = table.transaction()
    if delete:
        with txn.update_snapshot(snapshot_properties=properties).overwrite() as overwrite:
            for f in delete:
                overwrite.delete_data_file(f)
            for f in add:
                overwrite.append_data_file(f)
    else:
        with txn.update_snapshot(snapshot_properties=properties).fast_append() as append:
            for f in add:
                append.append_data_file(f)
    txn.commit_transaction()


def check_installed() -> list[str]:
    """Problems with the installed pyiceberg: an untested version or an internal whose signature changed."""
    import dataclasses
    import importlib
    import inspect

    import pyiceberg

    problems = []
    if not pyiceberg.__version__.startswith(TESTED_VERSIONS):
        problems.append(f"pyiceberg {pyiceberg.__version__} is not a tested version {TESTED_VERSIONS}")
    for target, expected in EXPECTED_SIGNATURES.items():
        module_name, qualname = target.split(":")
        try:
            obj: Any = importlib.import_module(module_name)
            for part in qualname.split("."):
                obj = getattr(obj, part)
        except (ImportError, AttributeError) as exc:
            problems.append(f"{target} is gone ({exc})")
            continue
        if dataclasses.is_dataclass(obj):
            names = tuple(f.name for f in dataclasses.fields(obj))
        else:
            names = tuple(inspect.signature(obj).parameters)
        if names != expected:
            problems.append(f"{target} has parameters {names}, expected {expected}")
    return problems
