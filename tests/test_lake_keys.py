"""A natural key is stored once, also when an upsert moves its row to another partition."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest


@pytest.fixture
def lake(settings):
    from lake.catalog import init_lake
    from lake.keys import clear_cache

    clear_cache()
    init_lake(settings)
    return settings


def _rows(settings, table: str) -> list[dict]:
    from lake.catalog import load_table

    return load_table(table, settings).scan().to_arrow().to_pylist()


def _partitions(settings, table: str) -> set[tuple]:
    from lake.catalog import load_table

    files = load_table(table, settings).scan().plan_files()
    return {tuple(t.file.partition[i] for i in range(len(t.file.partition))) for t in files}


def _product(pid: str, start: datetime, coherence: float = 0.5) -> dict:
    return {"product_id": pid, "product_type": "L2_IFG", "track": 44, "start_time": start, "coherence_mean": coherence}


def test_product_whose_start_year_changes_keeps_one_row(lake) -> None:
    from lake.write import update, upsert

    upsert("products", [_product("P1", datetime(2024, 12, 31, 23, tzinfo=UTC)),
                        _product("P2", datetime(2024, 6, 1, tzinfo=UTC))], lake)
    update("products", [{"product_id": "P1", "p_error": 0.7, "status": "published"}], lake)
    created = {r["product_id"]: r["created_at"] for r in _rows(lake, "products")}
    result = upsert("products", [_product("P1", datetime(2025, 1, 1, 1, tzinfo=UTC), coherence=0.6)], lake)
    assert (result.inserted, result.updated) == (0, 1)
    rows = _rows(lake, "products")
    assert Counter(r["product_id"] for r in rows) == {"P1": 1, "P2": 1}
    p1 = next(r for r in rows if r["product_id"] == "P1")
    assert p1["start_time"] == datetime(2025, 1, 1, 1, tzinfo=UTC) and p1["coherence_mean"] == 0.6
    # facets set later and the creation stamp follow the row into its new partition
    assert (p1["p_error"], p1["status"], p1["created_at"]) == (0.7, "published", created["P1"])
    # year transform: years since 1970; both years' partitions exist, P1 lives in 2025's only
    assert {("L2_IFG", 54), ("L2_IFG", 55)} == _partitions(lake, "products")
    # and back again, in a batch with a new key
    upsert("products", [_product("P1", datetime(2023, 5, 1, tzinfo=UTC)), _product("P3", datetime(2025, 2, 1,
                                                                                                tzinfo=UTC))], lake)
    assert Counter(r["product_id"] for r in _rows(lake, "products")) == {"P1": 1, "P2": 1, "P3": 1}


def test_acquisition_moved_across_a_year_keeps_one_row(lake) -> None:
    from lake.write import upsert

    acq = {"acquisition_id": "A1", "track": 44, "start_time": datetime(2019, 12, 31, 23, 59, 50, tzinfo=UTC)}
    upsert("acquisitions", [acq, {**acq, "acquisition_id": "A2"}], lake)
    upsert("acquisitions", [{**acq, "start_time": datetime(2020, 1, 1, 0, 0, 10, tzinfo=UTC)}], lake)
    rows = _rows(lake, "acquisitions")
    assert Counter(r["acquisition_id"] for r in rows) == {"A1": 1, "A2": 1}
    assert next(r for r in rows if r["acquisition_id"] == "A1")["start_time"].year == 2020


def test_provenance_rerun_across_a_month_boundary_keeps_one_row(lake) -> None:
    from lake.write import upsert

    row = {"product_id": "P1", "run_id": "scheduled__2024-01-31", "pge_name": "interferogram",
           "started_at": datetime(2024, 1, 31, 23, 58, tzinfo=UTC)}
    upsert("provenance", [row], lake)
    # the task is cleared and re-runs after midnight: same (product, run), another month
    rerun = {**row, "started_at": datetime(2024, 2, 1, 0, 3, tzinfo=UTC), "host": "worker-2"}
    assert upsert("provenance", [rerun], lake).updated == 1
    rows = _rows(lake, "provenance")
    assert len(rows) == 1 and rows[0]["started_at"] == rerun["started_at"] and rows[0]["host"] == "worker-2"


def test_provenance_row_is_updated_in_the_month_it_was_first_catalogued(lake) -> None:
    from lake.write import upsert

    old = {"product_id": "P1", "run_id": "r1", "started_at": datetime(2023, 3, 1, tzinfo=UTC),
           "created_at": datetime(2023, 3, 2, tzinfo=UTC)}
    upsert("provenance", [old, {**old, "product_id": "P2"}], lake)
    assert _partitions(lake, "provenance") == {((2023 - 1970) * 12 + 2,)}
    upsert("provenance", [{**old, "host": "h2", "created_at": None}, {**old, "product_id": "P3", "created_at": None}],
           lake)
    rows = {r["product_id"]: r for r in _rows(lake, "provenance")}
    assert sorted(rows) == ["P1", "P2", "P3"]
    assert rows["P1"]["host"] == "h2" and rows["P1"]["created_at"] == old["created_at"]
    now = datetime.now(UTC)
    assert _partitions(lake, "provenance") == {((2023 - 1970) * 12 + 2,), ((now.year - 1970) * 12 + now.month - 1,)}


def test_keys_are_found_in_files_of_an_older_partition_spec(lake) -> None:
    """A lake created with provenance partitioned by month(started_at) is evolved, and its rows still found."""
    from pyiceberg.transforms import MonthTransform

    from lake.catalog import init_lake, load_table
    from lake.write import upsert

    table = load_table("provenance", lake)
    with table.update_spec() as spec:
        spec.remove_field("created_at_month")
        spec.add_field("started_at", MonthTransform(), "started_at_month")
    row = {"product_id": "P1", "run_id": "r1", "started_at": datetime(2024, 1, 31, tzinfo=UTC)}
    upsert("provenance", [row], lake)
    init_lake(lake)  # moves the table back to the defined partitioning
    assert [f.name for f in load_table("provenance", lake).spec().fields] == ["created_at_month"]
    upsert("provenance", [{**row, "started_at": datetime(2024, 2, 1, tzinfo=UTC)}], lake)
    rows = _rows(lake, "provenance")
    assert len(rows) == 1 and rows[0]["started_at"].month == 2


def test_many_keys_moving_at_once_among_many_files(lake) -> None:
    """60 products over 3 years and 2 types; 25 of them move year in one batch with 10 new ones."""
    from lake.write import upsert

    rows = [{**_product(f"P{i:03d}", datetime(2020 + i % 3, 1 + i % 12, 1, tzinfo=UTC)),
             "product_type": "L2_IFG" if i % 2 else "L3_TS"} for i in range(60)]
    for chunk in range(0, 60, 20):
        upsert("products", rows[chunk:chunk + 20], lake)
    moved = [{**r, "start_time": r["start_time"].replace(year=2023)} for r in rows[::2][:25]]
    new = [{**_product(f"N{i}", datetime(2021, 1, 1, tzinfo=UTC))} for i in range(10)]
    result = upsert("products", moved + new, lake)
    assert (result.inserted, result.updated) == (10, 25)
    stored = _rows(lake, "products")
    counts = Counter(r["product_id"] for r in stored)
    assert len(counts) == 70 and set(counts.values()) == {1}
    by_id = {r["product_id"]: r for r in stored}
    assert all(by_id[m["product_id"]]["start_time"].year == 2023 for m in moved)
