"""End the open result of a sealed local lake connection its user drops: DuckDB never cancels it holding the GIL.

A sealed connection to a local lake reads the warehouse through a Python file system (:mod:`lake.readonly_fs`),
which DuckDB's worker threads call. DuckDB 1.5.5 destroys a dropped connection while holding the GIL: when a scan
is still running (a result read in part, as ``fetchone`` of a scan leaves it), it cancels the scan and waits for a
worker, and the worker waits for the GIL to close a file. The process hangs (the kind of deadlock of
duckdb/duckdb#16501). Running another statement on the connection ends the old result with the GIL released, and
a connection with no result open is destroyed without waiting for anything.

:func:`keep` holds a reference to each such connection, so dropping it never destroys it. A daemon thread, which
runs only while connections are held, looks every :data:`INTERVAL` seconds for those nobody else references (a
relation made from a connection references it), ends their open result (``SELECT 1``) and lets them go. It does
not ``close()`` them: that would close their cursors too, which outlive a dropped connection (the browse app
hands out cursors of a connection it replaces when the lake changes). At exit the dropped ones are ended the
same way; one still referenced is left as it is (another thread may be using it). A process forked while
connections are held keeps the parent's copies untouched: DuckDB's state without its threads cannot be used
(closing it crashed the child).
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

__all__ = ["INTERVAL", "keep", "release_dropped"]

#: seconds between two looks for dropped connections
INTERVAL = 0.2

_lock = threading.Lock()
_held: list[duckdb.DuckDBPyConnection] = []
_releaser: threading.Thread | None = None
#: in a forked child, the parent's connections: referenced for good, so that nothing ever destroys them
_inherited: list[duckdb.DuckDBPyConnection] = []
_probe = [object()]
#: ``sys.getrefcount(_held[i])`` of a connection only the list references: the list's and the call argument's
_ONLY_OURS = sys.getrefcount(_probe[0])
del _probe


def keep(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Hold ``con`` until its user drops it, then end its open result from the releaser thread; return ``con``."""
    global _releaser
    with _lock:
        _held.append(con)
        if _releaser is None or not _releaser.is_alive():
            _releaser = threading.Thread(target=_run, name="sarlake-duckdb-releaser", daemon=True)
            _releaser.start()
    return con


def release_dropped() -> int:
    """End the open result of the held connections nobody else references, and let them go; return how many."""
    import duckdb

    with _lock:
        dropped = []
        for i in range(len(_held) - 1, -1, -1):
            if sys.getrefcount(_held[i]) <= _ONLY_OURS:
                dropped.append(_held.pop(i))
    for con in dropped:
        try:
            con.execute("SELECT 1")  # ends the old result, the GIL released while DuckDB cancels it
        except duckdb.Error:  # closed by its user: nothing open
            pass
    return len(dropped)


def _run() -> None:
    global _releaser
    while True:
        time.sleep(INTERVAL)
        release_dropped()
        with _lock:
            if not _held:
                _releaser = None
                return


atexit.register(release_dropped)


def _after_fork_in_child() -> None:
    global _releaser, _lock
    _lock = threading.Lock()  # the parent's releaser may have held it at the fork
    _inherited.extend(_held)
    _held.clear()
    _releaser = None


os.register_at_fork(after_in_child=_after_fork_in_child)
