"""Compaction rewrites many small files of a partition as one, without changing a row."""

from __future__ import annotations

from datetime import UTC, datetime


def test_compact_merges_small_files_and_keeps_rows(settings) -> None:
    import pyarrow as pa

    from lake.arrow_rows import to_arrow
    from lake.catalog import init_lake, load_table
    from lake.compaction import compact
    from lake.tables import TABLES

    init_lake(settings)
    table = load_table("events", settings)
    expected = []
    for batch in range(6):  # six small appends (as a writer outside lake.write would make)
        rows = [{"event_id": f"ev{batch}-{i}", "magnitude": 5.0 + i / 10, "time": datetime(2024, 1, 1 + i, tzinfo=UTC)}
                for i in range(5)]
        expected += rows
        table.append(to_arrow(TABLES["events"], rows, table))
        table = table.refresh()
    assert len(list(table.scan().plan_files())) == 6
    (result,) = compact(["events"], min_files=4, settings=settings)
    assert (result.partitions, result.files_removed, result.files_added) == (1, 6, 1)
    table = load_table("events", settings)
    assert len(list(table.scan().plan_files())) == 1
    got = table.scan().to_arrow()
    assert sorted((r["event_id"], r["magnitude"]) for r in got.to_pylist()) == sorted(
        (r["event_id"], r["magnitude"]) for r in expected)
    assert got.column("time").to_pylist() == sorted(got.column("time").to_pylist())  # sorted by the sort order
    assert compact(["events"], settings=settings)[0].files_removed == 0  # nothing small left to merge
    assert isinstance(got, pa.Table)
