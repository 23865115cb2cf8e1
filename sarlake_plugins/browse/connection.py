"""One shared DuckDB connection over the lake for the browse app, reopened when the lake has changed.

Opening :func:`lake.query.connect` binds a view per Iceberg table (reading every table's metadata), too slow
to do for each of the 24 thumbnails of a page. The app keeps one connection and hands each request its own
cursor (DuckDB cursors share the database and are safe to use from one thread each). Before a search, the
current metadata location of every table is compared with the connection's (cheap catalogue look-ups) and the
connection is reopened when a commit happened since, e.g. a new tag; file requests accept a connection up to
``FILE_TTL`` seconds old without checking.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

__all__ = ["FILE_TTL", "cursor"]

logger = logging.getLogger(__name__)

FILE_TTL = 10.0
_lock = threading.Lock()
_state: dict[str, Any] = {"con": None, "key": None, "checked": 0.0}


def _lake_key() -> tuple[str, ...]:
    from lake.catalog import get_catalog
    from lake.settings import get_settings

    settings = get_settings()
    catalog = get_catalog(settings)
    names = sorted(ident[-1] for ident in catalog.list_tables(settings.namespace))
    return (settings.home.as_posix() if hasattr(settings.home, "as_posix") else str(settings.home),
            *(catalog.load_table((settings.namespace, n)).metadata_location for n in names))


def cursor(fresh: bool = True) -> Any:
    """A cursor on the shared connection.

    Args:
        fresh: check that the connection shows the lake's latest commit (searches, product pages); without it
            a connection checked within ``FILE_TTL`` seconds is used as is (browse images and layers).
    """
    from lake.query import connect

    with _lock:
        now = time.monotonic()
        if _state["con"] is None or fresh or now - _state["checked"] > FILE_TTL:
            key = _lake_key()
            if key != _state["key"]:
                if _state["con"] is not None:
                    _state["con"].close()
                _state["con"] = connect()
                _state["key"] = key
                logger.info("browse: lake connection (re)opened")
            _state["checked"] = now
        return _state["con"].cursor()
