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
    """Run a DuckDB query on a worker thread and iterate its result as Arrow record batches.

    The worker executes the query and keeps at most two batches ahead, so memory stays bounded whatever the
    result size. The calling thread only ever waits in short slices, so a ``KeyboardInterrupt`` (Ctrl-C)
    reaches it while DuckDB works; it then interrupts the query and raises ``QueryInterrupted``.

    Args:
        open_reader: starts the query and returns its Arrow record batch reader (called on the worker).
        con: the connection (to interrupt).
        translate: turns a DuckDB error into the lake's one-line error.
    """

    def __init__(self, open_reader: Callable[[], pa.RecordBatchReader], con: duckdb.DuckDBPyConnection,
                 translate: Callable[[BaseException], Exception]) -> None:
        import pyarrow as pa

        self._con = con
        self._translate = translate
        self._box: queue.Queue[Any] = queue.Queue(maxsize=2)
        self._stop = threading.Event()
        self._worker = threading.Thread(target=self._pump, args=(open_reader,), name="sarlake-sql", daemon=True)
        self._worker.start()
        self.rows = 0
        source = self._next()
        if source is _DONE:
            raise self._translate(RuntimeError("the SQL returned no result"))
        self.schema: pa.Schema = pa.schema(
            [f.with_name(n) for f, n in zip(source, unique_names(source.names), strict=True)],
            metadata=source.metadata,
        )

    def _pump(self, open_reader: Callable[[], pa.RecordBatchReader]) -> None:
        try:
            reader = open_reader()
            items: Any = iter([reader.schema])
            for item in _chain(items, reader):
                while not self._stop.is_set():
                    try:
                        self._box.put(item, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if self._stop.is_set():
                    return
            self._box.put(_DONE)
        except BaseException as exc:  # handed to the consumer
            if not self._stop.is_set() and _is_interrupt(exc):
                exc = _real_error(open_reader, exc)
            self._box.put(exc)

    def _next(self) -> Any:
        """The next item from the worker; Ctrl-C interrupts the query."""
        try:
            while True:
                try:
                    item = self._box.get(timeout=0.1)
                except queue.Empty:
                    continue
                if isinstance(item, BaseException):
                    self.close()
                    raise self._translate(item) from item
                return item
        except KeyboardInterrupt:
            logger.info("interrupting the query")
            self.close()
            from lake.query import QueryInterrupted

            raise QueryInterrupted("query interrupted (Ctrl-C)") from None

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa

        try:
            while True:
                item = self._next()
                if item is _DONE:
                    return
                self.rows += item.num_rows
                yield pa.RecordBatch.from_arrays(item.columns, schema=self.schema)
        finally:
            self.close()

    def close(self) -> None:
        """Stop the worker (interrupting the query if it still runs)."""
        self._stop.set()
        if self._worker.is_alive():
            self._con.interrupt()
        while self._worker.is_alive():
            try:
                self._box.get_nowait()
            except queue.Empty:
                self._worker.join(0.05)


def _is_interrupt(exc: BaseException) -> bool:
    return "INTERRUPT Error" in str(exc)


def _real_error(open_reader: Callable[[], pa.RecordBatchReader], exc: BaseException) -> BaseException:
    """The error behind an INTERRUPT nobody asked for.

    When one thread of a parallel DuckDB query fails (``error('...')``, a bad cast), DuckDB interrupts the
    others, and now and then (about 1 in 200 runs here) the interrupt is what reaches the reader instead of the
    failure. Nobody pressed Ctrl-C (:meth:`ResultStream.close` was not called), so the query is read-only and
    is run once more, its rows discarded, to find the failure it hides.
    """
    for _ in range(2):
        try:
            for _batch in open_reader():
                pass
        except Exception as again:  # noqa: BLE001 - any error is the answer we look for
            if not _is_interrupt(again):
                return again
        else:
            break
    # not the word "interrupted": lake.query.translate_error would take it for Ctrl-C (exit 130)
    return RuntimeError("DuckDB stopped the query on its own three times (an internal INTERRUPT, not Ctrl-C); "
                        "run it again")


def _chain(first: Iterator[Any], rest: Any) -> Iterator[Any]:
    yield from first
    yield from rest
