"""Query results as a stream of Arrow batches with unique column names, interruptible with Ctrl-C."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

__all__ = ["ResultStream", "unique_names"]

logger = logging.getLogger(__name__)

_DONE = object()


def unique_names(names: list[str]) -> list[str]:
    """Make column names unique: the second ``run_id`` becomes ``run_id_2`` (and so on), never clashing.

    Args:
        names: column names, possibly repeated (``SELECT *`` over a join).

    Returns:
        Names in the same order, each unique.
    """
    taken = set(names)
    seen: set[str] = set()
    out = []
    for name in names:
        candidate, n = name, 1
        while candidate in seen or (candidate != name and candidate in taken):
            n += 1
            candidate = f"{name}_{n}"
        seen.add(candidate)
        out.append(candidate)
    return out


class ResultStream:
    """Iterate a DuckDB result as Arrow record batches, read by a worker thread.

    The worker keeps at most two batches ahead, so memory stays bounded whatever the result size. The
    consuming thread waits in short slices, so a ``KeyboardInterrupt`` reaches it; it then interrupts the
    query and raises the translated error.

    Args:
        reader: the DuckDB Arrow record batch reader.
        con: the connection (to interrupt).
        translate: turns a DuckDB error into the lake's one-line error.
    """

    def __init__(self, reader: pa.RecordBatchReader, con: duckdb.DuckDBPyConnection,
                 translate: Callable[[BaseException], Exception]) -> None:
        import pyarrow as pa

        self._reader = reader
        self._con = con
        self._translate = translate
        source = reader.schema
        self.schema: pa.Schema = pa.schema(
            [f.with_name(n) for f, n in zip(source, unique_names(source.names), strict=True)],
            metadata=source.metadata,
        )
        self.rows = 0

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa

        box: queue.Queue[Any] = queue.Queue(maxsize=2)
        stop = threading.Event()

        def pump() -> None:
            try:
                for batch in self._reader:
                    while not stop.is_set():
                        try:
                            box.put(batch, timeout=0.2)
                            break
                        except queue.Full:
                            continue
                    if stop.is_set():
                        return
                box.put(_DONE)
            except BaseException as exc:  # handed to the consumer
                box.put(exc)

        worker = threading.Thread(target=pump, name="sarlake-sql", daemon=True)
        worker.start()
        try:
            while True:
                try:
                    item = box.get(timeout=0.1)
                except queue.Empty:
                    continue
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise self._translate(item) from item
                self.rows += item.num_rows
                yield pa.RecordBatch.from_arrays(item.columns, schema=self.schema)
        except KeyboardInterrupt:
            logger.info("interrupting the query")
            self._con.interrupt()
            from lake.query import QueryInterrupted

            raise QueryInterrupted("query interrupted (Ctrl-C)") from None
        finally:
            stop.set()
            if worker.is_alive():
                self._con.interrupt()
            while worker.is_alive():
                try:
                    box.get_nowait()
                except queue.Empty:
                    worker.join(0.05)
