"""Table definitions: schemas, keys, partitioning; init_lake idempotent."""

from __future__ import annotations

import pytest

from lake.tables import TABLES, TableSpec, col


def test_every_table_has_documented_columns_and_a_required_key() -> None:
    assert {"aois", "acquisitions", "products", "provenance", "events"} <= set(TABLES)
    for spec in TABLES.values():
        schema = spec.iceberg_schema()
        assert all(f.doc for f in schema.fields), spec.name
        key_names = [schema.find_field(i).name for i in schema.identifier_field_ids]
        assert key_names == list(spec.key)
        assert all(schema.find_field(k).required for k in spec.key)


def test_products_partitioning_is_coarse_and_sorted_by_track() -> None:
    spec = TABLES["products"]
    schema = spec.iceberg_schema()
    parts = spec.partition_spec(schema)
    assert [(f.name, str(f.transform)) for f in parts.fields] == [
        ("product_type", "identity"), ("start_time_year", "year")
    ]
    assert [schema.find_field(f.source_id).name for f in spec.sort_order(schema).fields] == ["track", "start_time"]
    assert TABLES["provenance"].key == ("product_id", "run_id")


def test_bad_definitions_are_refused() -> None:
    with pytest.raises(ValueError, match="not a column"):
        TableSpec("t", "doc", (col("a", "string", "a", True),), key=("b",))
    with pytest.raises(ValueError, match="must be required"):
        TableSpec("t", "doc", (col("a", "string", "a"),), key=("a",))


def test_init_lake_is_idempotent(settings) -> None:
    from lake.catalog import init_lake, load_table

    created = init_lake(settings)
    assert sorted(created) == sorted(f"sarlake.{n}" for n in TABLES)
    assert init_lake(settings) == []
    table = load_table("products", settings)
    assert table.properties["commit.retry.num-retries"] == "0"
    assert [f.name for f in table.schema().fields] == TABLES["products"].column_names


def test_load_table_before_init_says_what_to_do(settings) -> None:
    from lake.catalog import load_table
    from lake.exceptions import CatalogError

    with pytest.raises(CatalogError, match="sarlake init"):
        load_table("products", settings)
