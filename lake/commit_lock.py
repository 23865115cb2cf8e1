"""Writers that conflicted take turns: a leased lock per table, in the catalogue's own SQL database.

Iceberg commits are optimistic: a writer merges, writes its files and commits only if nobody committed
meanwhile. With many writers on two cores every loser has burnt CPU for nothing and slows the next round,
so under contention nobody finishes. Here a writer whose commit conflicted takes the table's lock before it
tries again, and a writer that finds the lock held queues for it instead of competing. Correctness does not
depend on the lock (the catalogue's compare-and-swap still rejects a stale commit); it only stops writers
from wasting each other's work. A lease (``settings.commit_lock_lease_s``) bounds how long a killed
holder blocks others.

The table is plain SQL (one row per locked table; insert to take, delete to release), so it works the same
on SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from lake.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine, Table

__all__ = ["held", "is_held"]

logger = logging.getLogger(__name__)

LOCK_TABLE = "sarlake_commit_locks"


@lru_cache(maxsize=8)
def _lock_table(engine: Engine) -> Table:
    from sqlalchemy import Column, Float, MetaData, String, Table, inspect
    from sqlalchemy.exc import DBAPIError

    meta = MetaData()
    table = Table(
        LOCK_TABLE, meta,
        Column("catalog_name", String(255), primary_key=True),
        Column("table_name", String(255), primary_key=True),
        Column("holder", String(64), nullable=False),
        Column("expires_at", Float, nullable=False),
    )
    try:
        meta.create_all(engine, checkfirst=True)
    except DBAPIError:  # another process or thread created it between the check and the CREATE
        if not inspect(engine).has_table(LOCK_TABLE):
            raise
    return table


def _engine(settings: Settings) -> Engine:
    from lake.catalog import get_catalog

    return get_catalog(settings).engine  # type: ignore[no-any-return]


def _holder(settings: Settings, name: str) -> Any:
    from sqlalchemy import select
    from sqlalchemy.exc import OperationalError

    engine = _engine(settings)
    t = _lock_table(engine)
    try:
        with engine.connect() as conn:
            return conn.execute(select(t.c.holder, t.c.expires_at).where(
                t.c.catalog_name == settings.catalog_name, t.c.table_name == name)).first()
    except OperationalError:  # SQLite busy: treat as free, the commit's compare-and-swap still decides
        return None


def _try_take(settings: Settings, name: str, me: str) -> bool:
    from sqlalchemy import delete, insert
    from sqlalchemy.exc import IntegrityError, OperationalError

    engine = _engine(settings)
    t = _lock_table(engine)
    now = time.time()
    try:
        with engine.begin() as conn:
            conn.execute(delete(t).where(t.c.catalog_name == settings.catalog_name, t.c.table_name == name,
                                         t.c.expires_at < now))
            conn.execute(insert(t).values(catalog_name=settings.catalog_name, table_name=name, holder=me,
                                          expires_at=now + settings.commit_lock_lease_s))
    except (IntegrityError, OperationalError):  # held by another writer (or SQLite busy): not ours
        return False
    return True


def _release(settings: Settings, name: str, me: str) -> None:
    from sqlalchemy import delete

    engine = _engine(settings)
    t = _lock_table(engine)
    with engine.begin() as conn:
        conn.execute(delete(t).where(t.c.catalog_name == settings.catalog_name, t.c.table_name == name,
                                     t.c.holder == me))


def _pause(waited: float) -> float:
    return random.uniform(0.02, min(0.5, 0.05 + waited / 10))


def is_held(settings: Settings, name: str) -> bool:
    """Whether a writer holds ``name``'s lock (with a lease that has not run out)."""
    row = _holder(settings, name)
    return row is not None and bool(row.expires_at > time.time())


@contextmanager
def held(settings: Settings, name: str) -> Iterator[None]:
    """Hold ``name``'s lock inside the block (waiting for it first)."""
    me = uuid.uuid4().hex
    start = time.monotonic()
    while not _try_take(settings, name, me):
        time.sleep(_pause(time.monotonic() - start))
    logger.debug("took the commit lock of %s after %.2fs", name, time.monotonic() - start)
    try:
        yield
    finally:
        _release(settings, name, me)
