"""Read the SQL catalogue's metadata pointers and the table metadata JSON directly, without pyiceberg.

A pyiceberg ``SqlCatalog`` keeps one row per table in ``iceberg_tables`` (``catalog_name``, ``table_namespace``,
``table_name``, ``metadata_location``); ``load_table`` reads that row and then the metadata JSON it points to.
Read-only commands that need nothing more (``sarlake tables``: names and row counts; ``lake.query.connect``: the
metadata file each DuckDB view scans) do those two reads here, which costs milliseconds instead of the second
or more that importing pyiceberg (and SQLAlchemy) takes. Writes always go through pyiceberg.

A SQLite catalogue is read with the standard library's ``sqlite3`` (read-only, never created); any other
catalogue URI (PostgreSQL) through SQLAlchemy Core. Metadata files are read with :mod:`lake.storage` (local or
S3), gzip-compressed ones (``.gz.metadata.json``) included.
"""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from lake.exceptions import CatalogError, LakeMovedError
from lake.settings import Settings, shown_uri

__all__ = ["TablePointer", "check_location", "read_metadata", "table_pointers", "total_records"]

#: rows of ``iceberg_tables`` that are tables (pyiceberg's filter; iceberg-java views carry ``VIEW``).
_TABLE_TYPES = ("TABLE", None)


@dataclass(frozen=True)
class TablePointer:
    """One table of the lake namespace as the catalogue lists it.

    Attributes:
        name: the table name (without the namespace).
        metadata_location: URI of the table's current metadata JSON (``file://...`` or ``s3://...``).
    """

    name: str
    metadata_location: str


def table_pointers(settings: Settings) -> list[TablePointer]:
    """Every table of the lake namespace with its current metadata location, by name.

    Args:
        settings: the lake settings (``catalog_uri``, ``catalog_name``, ``namespace``).

    Returns:
        The tables, sorted by name.

    Raises:
        CatalogError: the catalogue cannot be read, or the namespace does not exist (run ``sarlake init``).
    """
    uri = settings.catalog_uri
    if uri.startswith("sqlite:///") and "?" not in uri:
        rows, namespace_known = _sqlite_rows(uri.removeprefix("sqlite:///"), settings)
    else:
        rows, namespace_known = _sqlalchemy_rows(uri, settings)
    if not rows and not namespace_known:
        raise CatalogError(f"the lake at {settings.catalog_shown} has no namespace {settings.namespace}; "
                           "run `sarlake init`")
    pointers = sorted((TablePointer(name, location) for name, location, kind in rows
                       if kind in _TABLE_TYPES and location), key=lambda p: p.name)
    for pointer in pointers:
        check_location(pointer.name, pointer.metadata_location, settings)
    return pointers


def _local(uri: str) -> Path | None:
    """The absolute local path of a folder or ``file://`` URI; None for an object store (``s3://``)."""
    if uri.startswith("file://"):
        uri = uri.removeprefix("file://")
    elif "://" in uri:
        return None
    return Path(os.path.abspath(uri))


def check_location(name: str, metadata_location: str, settings: Settings) -> None:
    """Refuse a table the catalogue records outside this lake's (local) warehouse: a lake moved or copied.

    Iceberg records absolute paths, so a lake folder moved elsewhere points at files where it was made (missing
    ones, or those of the lake it was copied from, which writes would then change). Object stores are not
    checked: their tables stay where the bucket is.

    Raises:
        LakeMovedError: naming the table, where it is recorded, the warehouse configured and what to do.
    """
    warehouse, location = _local(settings.warehouse), _local(metadata_location)
    if warehouse is None or location is None or location.is_relative_to(warehouse):
        return
    if location.resolve().is_relative_to(warehouse.resolve()):  # the same folder reached through a symlink
        return
    marker = f"/{settings.namespace}/{name}/metadata/"
    made = str(location).split(marker)[0] if marker in str(location) else str(location.parent)
    raise LakeMovedError(
        f"the catalogue {settings.catalog_shown} records table {settings.namespace}.{name} under {made}, not under "
        f"this lake's warehouse {warehouse}: the lake was moved or copied, and Iceberg tables keep the absolute "
        f"paths they were made with. Move the lake back (its warehouse to {made}), or point SARLAKE_HOME (or "
        "SARLAKE_WAREHOUSE and SARLAKE_CATALOG_URI) at the lake where it was made")


_TABLES_SQL = ("SELECT table_name, metadata_location, {kind} FROM iceberg_tables "
               "WHERE catalog_name = {p} AND table_namespace = {p}")
_NAMESPACE_SQL = "SELECT 1 FROM iceberg_namespace_properties WHERE catalog_name = {p} AND namespace = {p} LIMIT 1"


def _sqlite_rows(path: str, settings: Settings) -> tuple[list[tuple[Any, ...]], bool]:
    import sqlite3

    if not Path(path).is_file():
        raise CatalogError(f"the lake at {settings.catalog_shown} has no catalogue yet; run `sarlake init`")
    try:
        con = sqlite3.connect(f"file:{quote(str(Path(path).absolute()))}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise CatalogError(f"cannot open the Iceberg catalogue at {settings.catalog_shown}: "
                           f"{shown_uri(settings.catalog_uri, str(exc))}") from exc
    try:
        params = (settings.catalog_name, settings.namespace)
        columns = {r[1] for r in con.execute("PRAGMA table_info(iceberg_tables)")}
        if not columns:
            return [], False
        kind = "iceberg_type" if "iceberg_type" in columns else "NULL"
        rows = con.execute(_TABLES_SQL.format(kind=kind, p="?"), params).fetchall()
        known = bool(rows) or bool(con.execute(_NAMESPACE_SQL.format(p="?"), params).fetchall())
        return rows, known
    except sqlite3.Error as exc:
        raise CatalogError(f"cannot read the Iceberg catalogue at {settings.catalog_shown}: "
                           f"{shown_uri(settings.catalog_uri, str(exc))}") from exc
    finally:
        con.close()


def _sqlalchemy_rows(uri: str, settings: Settings) -> tuple[list[tuple[Any, ...]], bool]:
    from sqlalchemy import create_engine, inspect, text

    params = {"c": settings.catalog_name, "n": settings.namespace}
    try:
        engine = create_engine(uri)
        with engine.connect() as con:
            if not inspect(con).has_table("iceberg_tables"):
                return [], False
            columns = {c["name"] for c in inspect(con).get_columns("iceberg_tables")}
            kind = "iceberg_type" if "iceberg_type" in columns else "NULL"
            sql = _TABLES_SQL.format(kind=kind, p=":c").replace("table_namespace = :c", "table_namespace = :n")
            rows = [tuple(r) for r in con.execute(text(sql), params)]
            ns_sql = _NAMESPACE_SQL.format(p=":c").replace("namespace = :c", "namespace = :n")
            known = bool(rows) or bool(con.execute(text(ns_sql), params).fetchall())
        engine.dispose()
    except Exception as exc:  # SQLAlchemy and its drivers raise many types; report one line
        shown = shown_uri(uri, str(exc))
        raise CatalogError(f"cannot read the Iceberg catalogue at {shown_uri(uri)}: {shown}") from exc
    return rows, known


def read_metadata(location: str, settings: Settings) -> dict[str, Any]:
    """The table metadata JSON at ``location`` (gzip-compressed or not).

    Raises:
        CatalogError: the file is missing or not metadata JSON.
    """
    from lake.storage import read_bytes

    try:
        raw = read_bytes(location, settings)
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        doc = json.loads(raw)
    except (OSError, ValueError) as exc:
        raise CatalogError(f"cannot read table metadata {location}: {exc}") from exc
    if not isinstance(doc, dict) or "format-version" not in doc:
        raise CatalogError(f"{location} is not Iceberg table metadata")
    return doc


def total_records(metadata: dict[str, Any]) -> int:
    """Rows in the current snapshot (its summary's ``total-records``; 0 for a table with no snapshot)."""
    current = metadata.get("current-snapshot-id")
    if current is None or current == -1:
        return 0
    for snapshot in metadata.get("snapshots") or []:
        if snapshot.get("snapshot-id") == current:
            return int((snapshot.get("summary") or {}).get("total-records", 0))
    return 0
