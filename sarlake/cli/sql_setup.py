"""``sarlake sql-setup``: the SQL that makes any DuckDB client (CLI, notebook, BI tool) see the lake."""

from __future__ import annotations

import click

__all__ = ["sql_setup"]


@click.command("sql-setup")
def sql_setup() -> None:
    """Print SQL that loads the extensions and creates a view per lake table in a plain DuckDB session.

    Pipe it into the DuckDB CLI (`sarlake sql-setup > lake.sql; duckdb -init lake.sql`) or run it in a notebook.
    The views point at the tables' current Iceberg snapshots: run it again to see later commits. Each table also
    gets ``<table>_at(snapshot_id)`` and ``<table>_as_of(timestamp)`` (time travel) and ``<table>_snapshots()``; the
    derived views (``product_quality``) follow.
    """
    from lake.catalog import load_table
    from lake.query import _lake_tables, extension_path, table_sql
    from lake.settings import get_settings, is_remote
    from lake.views import view_statements

    settings = get_settings()
    click.echo(f"-- sarlake lake at {settings.warehouse}; views of the current Iceberg snapshots, "
               "<table>_at(snapshot_id), <table>_as_of(timestamp) and <table>_snapshots() for time travel")
    names = ["avro", "iceberg"] + (["httpfs", "aws"] if is_remote(settings.warehouse) else [])
    for name in names:
        click.echo(f"LOAD '{extension_path(name)}';")
    if is_remote(settings.warehouse):
        click.echo("-- S3: CREATE SECRET (TYPE s3, PROVIDER credential_chain, REFRESH auto, ...) for the warehouse "
                   "bucket first")
    tables = _lake_tables(settings)
    for table in tables:
        location = load_table(table, settings).metadata_location.removeprefix("file://")
        for statement in table_sql(table, location):
            click.echo(f"{statement};")
    for statement in view_statements(tables).values():  # product_quality: as `sarlake sql` has it
        click.echo(f"{statement};")
    from lake.catalogue_store import reader_location

    catalogue = reader_location(settings)  # the local file, or on an S3 lake the published copy
    if catalogue is not None:
        quoted = catalogue.replace("'", "''")
        click.echo(f"ATTACH '{quoted}' AS catalogue (READ_ONLY);  -- dbt marts: catalogue.marts.*")
