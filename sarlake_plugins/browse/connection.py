"""One long-lived DuckDB connection over the lake per app process, reopened only when a snapshot changed.

Opening :func:`lake.query.connect` binds a view per Iceberg table (reading every table's metadata) and takes
seconds on a large lake; doing it per request was most of a facet refresh. The app keeps one read-only
connection and hands each request its own cursor (DuckDB cursors share the database and are safe to use from one
thread each). Before a search, the current metadata location of every table is read from the catalogue's own
table in one SQL query (a few ms) and compared with the connection's; only when a commit happened since (a new
tag, new products) are the views of the changed tables re-attached to their new snapshots and the joined
``browse`` table rebuilt (:func:`sarlake_plugins.browse.search.materialize`; after a tag only its ``tags``
column), so a facet click scans one in-memory table, not the Iceberg files. The connection is reopened only
when a table appears or disappears. File requests (thumbnails) accept a connection checked up to ``FILE_TTL``
seconds ago.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

__all__ = ["FILE_TTL", "cursor", "lake_key", "state"]

logger = logging.getLogger(__name__)

FILE_TTL = 10.0
_lock = threading.Lock()
_state: dict[str, Any] = {"con": None, "key": None, "checked": 0.0, "opened": 0, "refreshed": 0, "materialize": None}


def lake_key() -> tuple[str, ...]:
    """The lake's home and ``table=metadata location`` of each of its tables (one catalogue query)."""
    from sqlalchemy import text

    from lake.catalog import get_catalog
    from lake.settings import get_settings

    settings = get_settings()
    catalog = get_catalog(settings)
    with catalog.engine.connect() as db:
        rows = db.execute(text("SELECT table_name, metadata_location FROM iceberg_tables "
                               "WHERE catalog_name = :c AND table_namespace = :ns ORDER BY table_name"),
                          {"c": catalog.name, "ns": settings.namespace}).fetchall()
    return (str(settings.home), *(f"{n}={m}" for n, m in rows))


def _changed(old: tuple[str, ...] | None, new: tuple[str, ...]) -> set[str] | None:
    """Tables whose snapshot changed between two keys; None when only a reopen will do (other lake, new table)."""
    if old is None or old[0] != new[0]:
        return None
    before = dict(item.split("=", 1) for item in old[1:])
    after = dict(item.split("=", 1) for item in new[1:])
    if set(before) != set(after):
        return None
    return {n for n in after if after[n] != before[n]}


def _reattach(con: Any, tables: set[str]) -> None:
    """Point the views of ``tables`` at their current metadata files (as :func:`lake.query.connect` does)."""
    from lake.catalog import load_table
    from lake.settings import get_settings

    settings = get_settings()
    for name in sorted(tables):
        location = load_table(name, settings).metadata_location.replace("'", "''")
        con.execute(f'CREATE OR REPLACE VIEW "{name}" AS SELECT * FROM iceberg_scan(\'{location}\')')


def state() -> dict[str, Any]:
    """How often the connection was opened and what its last materialization cost (for tests and benchmarks)."""
    return {k: v for k, v in _state.items() if k != "con"}


def cursor(fresh: bool = True) -> Any:
    """A cursor on the shared connection, whose ``browse`` table is the lake's current snapshot.

    Args:
        fresh: check that the connection shows the lake's latest commit (searches, product pages); without it
            a connection checked within ``FILE_TTL`` seconds is used as is (browse images and layers).
    """
    from lake.query import connect
    from sarlake_plugins.browse.search import materialize

    with _lock:
        now = time.monotonic()
        if _state["con"] is None or fresh or now - _state["checked"] > FILE_TTL:
            key = lake_key()
            if key != _state["key"]:
                changed = _changed(_state["key"], key) if _state["con"] is not None else None
                if changed is None:
                    # the old connection is not closed here: a request on another thread may still be reading
                    # a cursor of it; it goes when its last cursor does
                    _state["con"] = None
                    con = connect(catalogue=False)  # open for long: no lock on dbt's catalogue file
                    _state["materialize"] = materialize(con)
                    _state["con"] = con
                    _state["opened"] += 1
                else:  # re-attach only the tables that changed, rebuild only what depends on them
                    _reattach(_state["con"], changed)
                    _state["materialize"] = materialize(_state["con"], changed)
                    _state["refreshed"] += 1
                _state["key"] = key
                logger.info("browse: browse table of the lake's new snapshot: %s", _state["materialize"])
            _state["checked"] = now
        return _state["con"].cursor()
