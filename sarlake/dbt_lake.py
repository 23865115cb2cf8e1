"""dbt-duckdb plugin: the lake's Iceberg tables as DuckDB views in schema ``lake`` of the dbt connection.

dbt-duckdb calls :meth:`Plugin.configure_connection` on every connection it opens (``plugins:`` in
``models/profiles.yml``). The plugin loads the iceberg/avro/httpfs extensions from their PyPI wheels (DuckDB
cannot download extensions here), gives the connection the lake's S3 secret when the warehouse is remote,
and creates one view per lake table over the table's current Iceberg metadata. A table the lake does not
hold yet (a newer sarlake defines it, ``sarlake init`` has not created it) becomes an empty view with the
table's declared columns, so every model builds on whatever the lake holds today.
"""

from __future__ import annotations

import logging
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

__all__ = ["Plugin", "create_lake_views"]

logger = logging.getLogger(__name__)

#: lake column type -> DuckDB type (for the empty views of tables not created yet).
_DUCKDB_TYPES = {
    "string": "VARCHAR", "long": "BIGINT", "int": "INTEGER", "double": "DOUBLE", "boolean": "BOOLEAN",
    "timestamptz": "TIMESTAMPTZ", "date": "DATE", "list<string>": "VARCHAR[]", "list<int>": "INTEGER[]",
}


def create_lake_views(con: Any, schema: str = "lake") -> dict[str, str]:
    """Create ``<schema>.<table>`` views over every lake table; return ``table -> 'iceberg' | 'empty'``."""
    from pyiceberg.exceptions import NoSuchNamespaceError, NoSuchTableError

    from lake.catalog import get_catalog
    from lake.pointers import check_location
    from lake.query import _configure_s3, load_extension
    from lake.settings import get_settings, is_remote
    from lake.tables import TABLES

    settings = get_settings()
    for name in ("avro", "iceberg") + (("httpfs",) if is_remote(settings.warehouse) else ()):
        load_extension(con, name)
    if is_remote(settings.warehouse):
        _configure_s3(con, settings)
    con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    catalog = get_catalog(settings)
    kinds: dict[str, str] = {}
    for name, spec in TABLES.items():
        try:
            location = catalog.load_table((settings.namespace, name)).metadata_location
        except (NoSuchTableError, NoSuchNamespaceError):
            location = None
        if location:
            check_location(name, location, settings)  # a lake moved or copied elsewhere: say so, read nothing
        if location:
            quoted = location.replace("'", "''")
            con.execute(f'CREATE OR REPLACE VIEW "{schema}"."{name}" AS SELECT * FROM iceberg_scan(\'{quoted}\')')
            kinds[name] = "iceberg"
        else:
            cols = ", ".join(f'CAST(NULL AS {_DUCKDB_TYPES[c.type]}) AS "{c.name}"' for c in spec.columns)
            con.execute(f'CREATE OR REPLACE VIEW "{schema}"."{name}" AS SELECT {cols} WHERE false')
            kinds[name] = "empty"
    logger.info("lake views: %s", kinds)
    return kinds


class Plugin(BasePlugin):
    """Exposes the lake's Iceberg tables to dbt models as ``source('lake', '<table>')``."""

    def initialize(self, plugin_config: dict[str, Any]) -> None:
        """Read the plugin's options (``schema``: where the views go, default ``lake``)."""
        self.schema = str(plugin_config.get("schema", "lake"))

    def configure_connection(self, conn: Any) -> None:
        """Create the lake views on a new dbt connection, in UTC.

        The tables' times are UTC: in the machine's zone a mart's month of an acquisition (``cast(start_time as
        date)``) would depend on where dbt ran (23:00 UTC on 31 January is February in Tokyo).
        """
        conn.execute("SET TimeZone = 'UTC'")
        create_lake_views(conn, self.schema)
