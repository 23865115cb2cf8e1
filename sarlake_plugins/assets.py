"""Each lake table is an Airflow Asset: producers declare it as an outlet, consumers schedule on it."""

from __future__ import annotations

from airflow.sdk import Asset, AssetAlias

#: Lake tables that DAGs produce or consume. ``lake.tables.TABLES`` is the source of the table names;
#: this module stays import-light for DAG parsing, so the names are listed here and checked by a test.
TABLE_NAMES = ("aois", "acquisitions", "products", "provenance", "events", "archive_transfers", "qa_predictions",
               "user_tags", "qa_training_set", "product_lineage")

ASSETS: dict[str, Asset] = {
    name: Asset(name=f"sarlake.{name}", uri=f"sarlake://lake/{name}", group="sarlake-lake") for name in TABLE_NAMES
}


def asset(table: str) -> Asset:
    """Return the Asset of a lake table.

    Raises:
        KeyError: when ``table`` is not a lake table with an Asset.
    """
    try:
        return ASSETS[table]
    except KeyError:
        raise KeyError(f"no Asset for lake table {table!r}; known: {', '.join(ASSETS)}") from None


def asset_alias(table: str) -> AssetAlias:
    """An alias through which a task announces ``table`` only when it wrote to it.

    A task that may or may not write a table declares the alias as its outlet and adds the table's Asset to
    ``outlet_events[alias]`` when it did; a DAG scheduled on the table then runs only after real writes.
    """
    return AssetAlias(name=f"{asset(table).name}.when-written")
