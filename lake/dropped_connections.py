"""Close the sealed local lake connections their users drop, so that DuckDB never destroys one holding the GIL.

A sealed connection to a local lake reads the warehouse through a Python file system (:mod:`lake.readonly_fs`),
which DuckDB's worker threads call. DuckDB 1.5.5 destroys a dropped connection while holding the GIL: when a scan
is still running (a result read in part, as ``fetchone`` of a scan leaves it), it cancels the scan and waits for a
worker, and the worker waits for the GIL to close a file. The process hangs (the kind of deadlock of
duckdb/duckdb#16501). ``close()`` releases the GIL first, so a connection that is closed rather than destroyed
never hangs.

:func:`keep` holds a reference to each such connection, so dropping it never destroys it. A daemon thread, which
runs only while connections are held, closes every :data:`INTERVAL` seconds those that nobody else references
(a relation made from a connection references it), then lets them go; closed, their destruction is harmless.
At exit the held connections are closed the same way. A process forked while connections are held keeps the
parent's copies unclosed and untouched: DuckDB's state without its threads cannot be closed (the child crashed).
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

__all__ = ["INTERVAL", "close_dropped", "keep"]

#: seconds between two looks for dropped connections
INTERVAL = 0.2

_lock = threading.Lock()
_held: list[duckdb.DuckDBPyConnection] = []
_closer: threading.Thread | None = None
#: in a forked child, the parent's connections: referenced for good, so that nothing ever destroys them
_inherited: list[duckdb.DuckDBPyConnection] = []
_probe = [object()]
#: ``sys.getrefcount(_held[i])`` of a connection only the list references: the list's and the call argument's
_ONLY_OURS = sys.getrefcount(_probe[0])
del _probe


def keep(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Hold ``con`` until its user drops it, then close it from the closer thread; return ``con``."""
    global _closer
    with _lock:
        _held.append(con)
        if _closer is None or not _closer.is_alive():
            _closer = threading.Thread(target=_run, name="sarlake-duckdb-closer", daemon=True)
            _closer.start()
    return con


def close_dropped(everything: bool = False) -> int:
    """Close the held connections nobody else references (``everything``: all of them); return how many."""
    with _lock:
        closing = []
        for i in range(len(_held) - 1, -1, -1):
            if everything or sys.getrefcount(_held[i]) <= _ONLY_OURS:
                closing.append(_held.pop(i))
    for con in closing:
        con.close()  # releases the GIL while DuckDB cancels and joins its tasks
    return len(closing)


def _run() -> None:
    global _closer
    while True:
        time.sleep(INTERVAL)
        close_dropped()
        with _lock:
            if not _held:
                _closer = None
                return


atexit.register(close_dropped, everything=True)


def _after_fork_in_child() -> None:
    global _closer, _lock
    _lock = threading.Lock()  # the parent's closer may have held it at the fork
    _inherited.extend(_held)
    _held.clear()
    _closer = None


os.register_at_fork(after_in_child=_after_fork_in_child)
