"""Read the lake with DuckDB: one view per Iceberg table, and a read-only SQL entry point."""

from __future__ import annotations

import logging
import re
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from lake.exceptions import QueryError
from lake.settings import Settings, get_settings, is_remote
from lake.tables import TABLES

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

__all__ = ["check_read_only", "connect", "extension_path", "load_extension", "run_sql"]

logger = logging.getLogger(__name__)

_EXPLAIN = re.compile(r"^\s*explain(\s+analy[sz]e)?\s+", re.IGNORECASE)


def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Load a DuckDB extension from its PyPI wheel (``duckdb-extension-<name>``); never downloads.

    Args:
        con: the connection.
        name: ``iceberg``, ``avro``, ``httpfs`` or ``spatial``.

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


def _configure_s3(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    s3 = settings.s3
    parts = ["TYPE s3", f"REGION '{s3.region}'", f"URL_STYLE '{'path' if s3.path_style else 'vhost'}'"]
    if s3.access_key_id:
        parts += [f"KEY_ID '{s3.access_key_id}'", f"SECRET '{s3.secret_access_key or ''}'"]
    else:
        parts += ["PROVIDER credential_chain"]
    if s3.endpoint:
        endpoint = s3.endpoint
        use_ssl = not endpoint.startswith("http://")
        endpoint = re.sub(r"^https?://", "", endpoint).rstrip("/")
        parts += [f"ENDPOINT '{endpoint}'", f"USE_SSL {'true' if use_ssl else 'false'}"]
    con.execute(f"CREATE OR REPLACE SECRET sarlake_s3 ({', '.join(parts)})")


def connect(settings: Settings | None = None, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open an in-memory DuckDB connection with a view per lake table.

    Each view reads the table's current Iceberg snapshot (``iceberg_scan`` of the metadata file the
    catalogue points to at connect time); reconnect to see later commits.

    Args:
        settings: the lake settings; default :func:`lake.settings.get_settings`.
        read_only: lock the connection's configuration once the views exist, so that statements cannot
            load extensions, attach databases or change secrets.

    Returns:
        The connection.

    Raises:
        CatalogError: the lake was not initialised.
    """
    import duckdb

    from lake.catalog import get_catalog

    settings = settings or get_settings()
    con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    load_extension(con, "avro")
    load_extension(con, "iceberg")
    if is_remote(settings.warehouse):
        load_extension(con, "httpfs")
        _configure_s3(con, settings)
    catalog = get_catalog(settings)
    names = _lake_tables(settings)
    for name in names:
        location = catalog.load_table((settings.namespace, name)).metadata_location
        location = location.removeprefix("file://")
        quoted = location.replace("'", "''")
        con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM iceberg_scan(\'{quoted}\')')
    _attach_catalogue(con, settings)
    from lake.views import create_views

    create_views(con, names)
    if read_only:
        con.execute("SET lock_configuration = true")
    return con


def _attach_catalogue(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Attach the dbt catalogue's DuckDB file read-only as ``catalogue`` (marts: ``catalogue.marts.<mart>``)."""
    import duckdb

    path = Path(settings.catalogue_db)
    if not path.is_file():
        return
    quoted = str(path).replace("'", "''")
    try:
        con.execute(f"ATTACH '{quoted}' AS catalogue (READ_ONLY)")
    except duckdb.Error as exc:  # being rebuilt by dbt right now: the lake tables are still there
        logger.warning("the dbt catalogue %s is not readable now (%s); its marts are left out", path, exc)


def _lake_tables(settings: Settings) -> list[str]:
    """Tables of the lake namespace: the defined ones first, then any others."""
    from pyiceberg.exceptions import NoSuchNamespaceError

    from lake.catalog import get_catalog
    from lake.exceptions import CatalogError

    try:
        present = {ident[-1] for ident in get_catalog(settings).list_tables(settings.namespace)}
    except NoSuchNamespaceError as exc:
        raise CatalogError(f"the lake at {settings.catalog_uri} has no namespace {settings.namespace}; "
                           "run `sarlake init`") from exc
    ordered = [n for n in TABLES if n in present]
    return ordered + sorted(present - set(ordered))


def check_read_only(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Raise unless every statement of ``sql`` only reads.

    Allowed: SELECT (with WITH, FROM-first, DESCRIBE, SHOW, SUMMARIZE, PRAGMA table_info, which DuckDB
    parses as SELECT) and EXPLAIN [ANALYZE] of such a statement.

    Args:
        con: a connection used to parse ``sql``.
        sql: one or more statements.

    Raises:
        QueryError: a statement that writes or changes state, or SQL that does not parse.
    """
    import duckdb

    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(_one_line(exc)) from exc
    if not statements:
        raise QueryError("no SQL statement given")
    for statement in statements:
        kind = statement.type
        text = statement.query.strip()
        if kind == duckdb.StatementType.EXPLAIN:
            inner = _EXPLAIN.sub("", text)
            if inner == text:
                raise QueryError(f"cannot check the EXPLAIN statement {text[:60]!r}; the lake is read-only")
            check_read_only(con, inner)
            continue
        if kind != duckdb.StatementType.SELECT:
            verb = kind.name if hasattr(kind, "name") else str(kind)
            first = text.split(None, 1)[0].upper() if text else verb
            raise QueryError(
                f"{first} statements are not allowed: the lake is read-only through SQL "
                "(allowed: SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN, PRAGMA table_info)"
            )


def _one_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines[:2]) if lines else type(exc).__name__


def run_sql(sql: str, settings: Settings | None = None, con: duckdb.DuckDBPyConnection | None = None) -> pa.Table:
    """Run read-only SQL over the lake views and return the result as Arrow.

    Args:
        sql: SELECT-like SQL (see :func:`check_read_only`); several statements return the last result.
        settings: the lake settings; default :func:`lake.settings.get_settings`.
        con: an existing connection from :func:`connect` (default: a new one).

    Returns:
        The result table.

    Raises:
        QueryError: a write, bad SQL or an unknown table (the message names the tables that exist).
    """
    import duckdb

    own = con is None
    con = con or connect(settings)
    try:
        check_read_only(con, sql)
        try:
            result = None
            for statement in con.extract_statements(sql):
                result = con.sql(statement.query)
            if result is None:
                raise QueryError("the SQL returned no result")
            return result.to_arrow_table()
        except duckdb.CatalogException as exc:
            tables = [r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()]
            match = re.search(r"with name (\S+) does not exist", str(exc))
            what = f"unknown table {match.group(1)}" if match else _one_line(exc)
            raise QueryError(f"{what}; the lake's tables are: {', '.join(tables) or '(none)'}") from exc
        except duckdb.Error as exc:
            raise QueryError(_one_line(exc)) from exc
    finally:
        if own:
            con.close()
