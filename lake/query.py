"""Read the lake with DuckDB: one view per Iceberg table, and a read-only SQL entry point."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from lake.exceptions import QueryError
from lake.sql_guard import QueryInterrupted, check_read_only, translate_error
from lake.tables import TABLES

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from lake.pointers import TablePointer
    from lake.results import ResultStream
    from lake.settings import Settings

__all__ = ["QueryInterrupted", "check_read_only", "connect", "connect_for", "extension_path", "lake_pointers",
           "load_extension", "reads_no_table", "run_sql",
           "stream_sql", "translate_error"]

logger = logging.getLogger(__name__)

def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Load a DuckDB extension from its PyPI wheel (``duckdb-extension-<name>``); never downloads.

    Args:
        con: the connection.
        name: ``iceberg``, ``avro``, ``httpfs``, ``aws`` or ``spatial``.

    Raises:
        QueryError: the wheel is not installed.
    """
    con.execute(f"LOAD '{extension_path(name)}'")


def extension_path(name: str) -> Path:
    """The ``.duckdb_extension`` file of the installed ``duckdb-extension-<name>`` wheel.

    Raises:
        QueryError: the wheel is not installed.
    """
    import duckdb

    try:
        module = import_module(f"duckdb_extension_{name}")
    except ImportError as exc:
        raise QueryError(f"DuckDB extension {name!r} is missing: install duckdb-extension-{name}") from exc
    root = Path(module.__file__ or "").parent / "extensions"
    path = root / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.is_file():
        found = sorted(root.glob(f"*/{name}.duckdb_extension"))
        if not found:
            raise QueryError(f"no {name}.duckdb_extension under {root}; reinstall duckdb-extension-{name}")
        path = found[-1]
    return path


def _configure_s3(con: duckdb.DuckDBPyConnection, settings: Settings, read_only: bool = True) -> None:
    """Create the lake's S3 secret, scoped to the warehouse prefix (read-only credentials when configured).

    Without keys in the settings the secret takes AWS's credential chain (the ``AWS_*`` variables, a profile, web
    identity as a pod's role gives, the instance's role), which needs DuckDB's ``aws`` extension, and refreshes
    it when S3 refuses (``REFRESH auto``): a connection open for hours, like the browse app's, outlives the
    temporary credentials of a role.
    """
    s3 = settings.s3
    parts = ["TYPE s3", f"REGION '{_q(s3.region)}'", f"URL_STYLE '{'path' if s3.path_style else 'vhost'}'",
             f"SCOPE '{_q(_prefix(settings.warehouse))}'"]
    key, secret = s3.access_key_id, s3.secret_access_key
    if read_only and s3.read_only_access_key_id:
        key, secret = s3.read_only_access_key_id, s3.read_only_secret_access_key
    if key:
        parts += [f"KEY_ID '{_q(key)}'", f"SECRET '{_q(secret or '')}'"]
    else:
        load_extension(con, "aws")
        parts += ["PROVIDER credential_chain", "REFRESH auto"]
    if s3.endpoint:
        endpoint = s3.endpoint
        use_ssl = not endpoint.startswith("http://")
        endpoint = re.sub(r"^https?://", "", endpoint).rstrip("/")
        parts += [f"ENDPOINT '{_q(endpoint)}'", f"USE_SSL {'true' if use_ssl else 'false'}"]
    con.execute(f"CREATE OR REPLACE SECRET sarlake_s3 ({', '.join(parts)})")
    con.execute(f"SET http_timeout = {int(max(s3.connect_timeout_seconds, s3.read_timeout_seconds))}")
    con.execute(f"SET http_retries = {max(s3.max_attempts - 1, 0)}")


def _q(text: str) -> str:
    return text.replace("'", "''")


def table_sql(name: str, location: str) -> list[str]:
    """The statements that show lake table ``name`` (metadata file ``location``) to a DuckDB session.

    A view of its current snapshot, and three table macros for time travel: ``<name>_at(snapshot_id)``, the table
    as it was at that snapshot (a QA model's ``data_version``, which :mod:`lake.versions` keeps),
    ``<name>_as_of(timestamp)``, the table as it was at that time (its last snapshot committed at or before it;
    a TIMESTAMPTZ, or a TIMESTAMP or text in the session's time zone, which :func:`connect` sets to UTC; a time
    before the oldest snapshot kept is an error, not an empty table, since maintenance expires old snapshots), and
    ``<name>_snapshots()``, the snapshots kept (``iceberg_snapshots``).
    """
    q = _q(location)
    return [f"CREATE OR REPLACE VIEW \"{name}\" AS SELECT * FROM iceberg_scan('{q}')",
            f"CREATE OR REPLACE MACRO \"{name}_at\"(snapshot_id) AS TABLE "
            f"SELECT * FROM iceberg_scan('{q}', snapshot_from_id = snapshot_id)",
            f"CREATE OR REPLACE MACRO \"{name}_as_of\"(at_time) AS TABLE "
            f"SELECT * FROM iceberg_scan('{q}', snapshot_from_timestamp = at_time::TIMESTAMPTZ) "
            f"WHERE (SELECT if(epoch_ms(min(timestamp_ms)) > epoch_ms(at_time::TIMESTAMPTZ), error('{_q(name)} has "
            f"no snapshot at or before ' || at_time::TIMESTAMPTZ::VARCHAR || ': its oldest kept is of ' || "
            f"min(timestamp_ms)::VARCHAR || "
            f"' UTC (sarlake maintain expires older ones; {_q(name)}_snapshots() lists those kept)'), true) "
            f"FROM iceberg_snapshots('{q}'))",
            f"CREATE OR REPLACE MACRO \"{name}_snapshots\"() AS TABLE SELECT * FROM iceberg_snapshots('{q}')"]


def _prefix(warehouse: str) -> str:
    """The warehouse as a DuckDB path prefix ending with ``/`` (``s3://...`` or ``file:///...``)."""
    if warehouse.startswith(("s3://", "s3a://")):  # lake.settings.is_remote, without importing pydantic
        return "s3://" + warehouse.split("://", 1)[1].rstrip("/") + "/"
    return Path(warehouse.removeprefix("file://")).expanduser().absolute().as_uri().rstrip("/") + "/"


def _resolved(warehouse: str) -> list[str]:
    """A local warehouse's prefix with symbolic links resolved, when that spelling differs (else nothing)."""
    if warehouse.startswith(("s3://", "s3a://")):
        return []
    real = Path(warehouse.removeprefix("file://")).expanduser().resolve().as_uri().rstrip("/") + "/"
    return [real] if real != _prefix(warehouse) else []


#: configuration of every lake connection: extensions only from the installed wheels, no persistent secrets.
_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False, "autoload_known_extensions": False,
    "allow_community_extensions": False, "allow_persistent_secrets": False,
}


def _utc(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """``con`` with its times in UTC, as every table documents them, whatever the machine's TZ.

    DuckDB gives a TIMESTAMPTZ in the session's zone, the local one by default: the browse page and ``products
    show`` label times UTC, and in Tokyo they read +09:00 under that label. (A setting of the ICU extension that
    DuckDB bundles, so it is set here rather than in ``_CONFIG``; the seal then keeps it.)
    """
    con.execute("SET TimeZone = 'UTC'")
    return con


#: what a connection for table-less SQL may read: nothing (a path that cannot be a directory)
_NO_FILES = "file:///dev/null/"

#: table references a statement may hold and still read no table (no view, file or table function).
_TABLELESS_REFS = {"EMPTY", "EXPRESSION_LIST", "SUBQUERY", "JOIN"}


def reads_no_table(con: duckdb.DuckDBPyConnection, sql: str) -> bool:
    """True when ``sql`` is SELECTs whose FROM clauses name no table, view or table function (``SELECT 1``).

    Decided on DuckDB's own parse tree (``json_serialize_sql``): every table reference must be an empty FROM,
    a VALUES list, a subquery or a join of those. Anything the serialiser refuses (EXPLAIN, PRAGMA) or that
    names a table, a CTE, a table function or SHOW counts as reading a table.
    """
    import json

    import duckdb

    try:
        literal = sql.replace("'", "''")
        tree = json.loads(con.execute(f"SELECT json_serialize_sql('{literal}')").fetchall()[0][0])
    except (duckdb.Error, TypeError, ValueError):
        return False
    if tree.get("error") or not tree.get("statements"):
        return False
    stack: list[object] = [tree["statements"]]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            is_ref = "sample" in node and "class" not in node and not str(node.get("type", "")).endswith("_NODE")
            if is_ref and node.get("type") not in _TABLELESS_REFS:
                return False
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return True


def connect_for(sql: str, settings: Settings | None = None) -> duckdb.DuckDBPyConnection:
    """A sealed connection that can run ``sql``: :func:`connect`, or a bare one when the SQL reads no table.

    A statement that reads no table (``SELECT 1``, see :func:`reads_no_table`) runs on a sealed in-memory
    connection with no extension loaded, no lake view and no readable path, which starts in milliseconds
    instead of the time loading the iceberg extension and creating the views takes (and without loading the
    settings: ``settings`` may be None); any other statement gets :func:`connect`.

    Raises:
        CatalogError: the lake was not initialised (when the SQL reads tables).
        QueryError: the sandbox could not be sealed.
    """
    import duckdb

    from lake.sandbox import seal

    bare = _utc(duckdb.connect(":memory:", config=_CONFIG))
    if not reads_no_table(bare, sql):
        bare.close()
        return connect(settings)
    seal(bare, _NO_FILES)
    try:
        bare.sql(sql)  # binds it: an unknown function is reported by connect()'s connection, with the views
    except duckdb.Error:
        bare.close()
        return connect(settings)
    return bare


def connect(settings: Settings | None = None, read_only: bool = True, *,
            catalogue: bool = True) -> duckdb.DuckDBPyConnection:
    """Open an in-memory DuckDB connection with a view per lake table.

    Each view reads the table's current Iceberg snapshot (``iceberg_scan`` of the metadata file the
    catalogue points to at connect time); reconnect to see later commits.

    With ``read_only`` (the default) the connection is sealed once the views exist (:func:`lake.sandbox.seal`):
    it reads only the warehouse, writes nothing anywhere (the local warehouse is read through a read-only file
    system), cannot install or load extensions, attach files or change its settings. Temporary tables in
    memory still work.

    That read-only file system is Python code that DuckDB 1.5.5 calls from its worker threads, and DuckDB
    destroying a dropped connection whose scan still runs (a result read in part) would hang the process; such a
    connection is therefore held, and its open result ended once it is dropped (:mod:`lake.dropped_connections`),
    so a result may be read in part and the connection dropped.

    Args:
        settings: the lake settings; default :func:`lake.settings.get_settings`.
        read_only: seal the connection (see above). ``False`` is for the lake's own code only.
        catalogue: attach the dbt catalogue's DuckDB file (read-only, as ``catalogue``). Pipeline code, which
            never reads the marts, and a connection that stays open, like the browse UI's, pass False: even a
            read-only attach holds a lock on the file that keeps dbt (another process) from rebuilding it.

    Returns:
        The connection.

    Raises:
        CatalogError: the lake was not initialised.
        QueryError: the sandbox could not be sealed.
    """
    import duckdb

    from lake.readonly_fs import ReadOnlyFileSystem
    from lake.sandbox import seal
    from lake.settings import get_settings, is_remote

    settings = settings or get_settings()
    con = _utc(duckdb.connect(":memory:", config=_CONFIG))
    load_extension(con, "avro")
    load_extension(con, "iceberg")
    remote = is_remote(settings.warehouse)
    if remote:
        load_extension(con, "httpfs")
        _configure_s3(con, settings, read_only)
    elif read_only:
        con.register_filesystem(ReadOnlyFileSystem(_prefix(settings.warehouse).removeprefix("file://")))
    pointers = lake_pointers(settings)
    for pointer in pointers:
        location = pointer.metadata_location
        if not read_only:
            location = location.removeprefix("file://")
        for statement in table_sql(pointer.name, location):
            con.execute(statement)
    from lake.views import create_views

    create_views(con, [p.name for p in pointers])
    if catalogue:
        _attach_catalogue(con, settings)
    if read_only:
        seal(con, _prefix(settings.warehouse), *_resolved(settings.warehouse))
        if not remote:  # DuckDB's workers call the Python file system: see lake.dropped_connections
            from lake.dropped_connections import keep

            keep(con)
    return con


def _attach_catalogue(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Attach the dbt catalogue read-only as ``catalogue`` (marts: ``catalogue.marts.<mart>``).

    Its local DuckDB file, or on an S3 lake the copy the last build published (:mod:`lake.catalogue_store`).
    """
    import duckdb

    from lake.catalogue_store import published_uri, reader_location
    from lake.exceptions import CatalogError

    try:
        location = reader_location(settings)
        if location is None:
            return
        con.execute(f"ATTACH '{_q(location)}' AS catalogue (READ_ONLY)")
    except (duckdb.Error, CatalogError) as exc:  # being rebuilt, or S3 not answering: the lake tables still are
        logger.warning("the dbt catalogue %s is not readable now (%s); its marts are left out",
                       published_uri(settings) or settings.catalogue_db, exc)


def _lake_tables(settings: Settings) -> list[str]:
    """Tables of the lake namespace: the defined ones first, then any others."""
    return [p.name for p in lake_pointers(settings)]


def lake_pointers(settings: Settings) -> list[TablePointer]:
    """Tables of the lake namespace with their current metadata location: the defined ones first, then others.

    Read from the catalogue directly (:mod:`lake.pointers`, no pyiceberg import).

    Raises:
        CatalogError: the lake has not been initialised (``sarlake init``).
    """
    from lake.pointers import table_pointers

    present = {p.name: p for p in table_pointers(settings)}
    ordered = [n for n in TABLES if n in present]
    return [present[n] for n in ordered + sorted(set(present) - set(ordered))]


def run_sql(sql: str, settings: Settings | None = None, con: duckdb.DuckDBPyConnection | None = None) -> pa.Table:
    """Run one read-only SQL statement over the lake views and return the whole result as Arrow.

    For results that may be large, use :func:`stream_sql`.

    Args:
        sql: SELECT-like SQL (see :func:`check_read_only`).
        settings: the lake settings; default :func:`lake.settings.get_settings`.
        con: an existing connection from :func:`connect` (default: a new one).

    Returns:
        The result table, with duplicate column names made unique (``run_id``, ``run_id_2``).

    Raises:
        QueryError: a write, bad SQL, a refused file or an unknown table (the message names the tables).
    """
    import pyarrow as pa

    with stream_sql(sql, settings, con=con) as batches:
        schema, parts = batches.schema, list(batches)
    return pa.Table.from_batches(parts, schema=schema)


@contextmanager
def stream_sql(sql: str, settings: Settings | None = None, *, limit: int | None = None,
               con: duckdb.DuckDBPyConnection | None = None, batch_rows: int = 65_536) -> Iterator[ResultStream]:
    """Run one read-only statement and stream its result as Arrow record batches, in bounded memory.

    The query runs on a worker thread, so Ctrl-C in the caller interrupts it (``con.interrupt()``) and raises
    :class:`QueryInterrupted`.

    Args:
        sql: SELECT-like SQL (see :func:`check_read_only`).
        settings: the lake settings; default :func:`lake.settings.get_settings`.
        limit: return at most this many rows.
        con: an existing connection from :func:`connect` (default: a new one, closed on exit).
        batch_rows: rows per batch.

    Yields:
        A :class:`lake.results.ResultStream` (``.schema`` with unique column names; iterate for batches).

    Raises:
        QueryError: as :func:`run_sql`.
    """
    import duckdb

    from lake.results import ResultStream

    own = con is None
    con = con or connect_for(sql, settings)
    try:
        check_read_only(con, sql)
        try:
            relation = con.sql(sql)
        except duckdb.Error as exc:
            raise translate_error(exc, con, settings) from exc
        if relation is None:
            raise QueryError("the SQL returned no result")
        if limit is not None:
            relation = relation.limit(limit)
        logger.info("running SQL: %s", " ".join(sql.split())[:120])
        stream = ResultStream(lambda: relation.to_arrow_reader(batch_rows), con,
                              lambda exc: translate_error(exc, con, settings))
        try:
            yield stream
        finally:
            stream.close()
    finally:
        if own:
            con.close()
