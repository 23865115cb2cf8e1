"""Benchmark of the lake: upsert throughput and DuckDB faceted counts over large products tables.

Run as ``python bench/bench_lake.py [--sizes 1000000 10000000]``; a driver can call :func:`run`, which
appends rows ``{name, value, unit, target, reference}`` to a list (for ``docs/benchmarks.md``).

Everything happens in a temporary ``SARLAKE_HOME``; the big tables are built with one large append per
year of data (the layout a compacted production table has).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

YEARS = list(range(2016, 2026))
FACET_SQL = """
SELECT track, product_type, count(*) AS n
FROM products
WHERE start_time >= TIMESTAMPTZ '2020-01-01 00:00:00+00' AND start_time < TIMESTAMPTZ '2022-01-01 00:00:00+00'
  AND p_error < 0.5
GROUP BY track, product_type
ORDER BY track, product_type
"""


def _products(n: int, year: int, seed: int, id_offset: int) -> Any:
    """``n`` synthetic products with start times in ``year`` (sorted by track, start_time)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng(seed)
    t0 = datetime(year, 1, 1, tzinfo=UTC).timestamp()
    t1 = datetime(year + 1, 1, 1, tzinfo=UTC).timestamp()
    start_us = (rng.uniform(t0, t1 - 86400 * 13, n) * 1e6).astype("int64")
    track = rng.integers(1, 176, n).astype("int32")
    order = np.lexsort((start_us, track))
    start_us, track = start_us[order], track[order]
    ids = np.arange(id_offset, id_offset + n)
    ptype = np.where(rng.random(n) < 0.9, "L2_IFG", "L3_TS")
    ts = pa.timestamp("us", tz="UTC")
    direction = np.where(track % 2 == 0, "A", "D")
    pid = pc.binary_join_element_wise(
        pa.array(np.char.add("S1-GUNW-", direction)), pc.cast(pa.array(track), pa.string()),
        pc.cast(pa.array(ids), pa.string()), "-"
    )
    west = rng.uniform(-180, 170, n)
    south = rng.uniform(-80, 70, n)
    return pa.table({
        "product_id": pid,
        "product_type": pa.array(ptype),
        "track": pa.array(track),
        "direction": pa.array(direction),
        "aoi": pa.array(np.char.add("aoi", (track % 7).astype(str))),
        "start_time": pa.array(start_us, ts),
        "end_time": pa.array(start_us + 12 * 86400 * 1_000_000, ts),
        "west": west, "south": south, "east": west + 2.5, "north": south + 2.0,
        "coherence_mean": rng.uniform(0.2, 0.95, n),
        "unwrapped_fraction": rng.uniform(0.6, 1.0, n),
        "temporal_baseline_days": pa.array(np.full(n, 12, "int32")),
        "perpendicular_baseline_m": rng.normal(0, 60, n),
        "p_error": rng.random(n),
        "status": pa.array(np.full(n, "published")),
        "pge_name": pa.array(np.full(n, "interferogram")),
        "pge_version": pa.array(np.full(n, "0.1.0")),
        "version": pa.array(np.full(n, "0.1.0")),
    })


def _build(settings: Any, n: int) -> tuple[float, float]:
    """Fill the products table with ``n`` rows, one append per year.

    Returns:
        (rows/s of the Iceberg appends, rows/s of ``pyarrow.parquet.write_table`` of the same Arrow tables
        with the same codec: the floor an append cannot beat, measured on the same rows in the same run).
    """
    import tempfile

    import pyarrow.parquet as pq

    from lake.catalog import load_table
    from lake.tables import TABLES
    from lake.write import to_arrow

    table = load_table("products", settings)
    codec = table.properties.get("write.parquet.compression-codec", "zstd")
    per_year = n // len(YEARS)
    seconds = parquet_seconds = 0.0
    with tempfile.TemporaryDirectory(prefix="sarlake-bench-pq-") as tmp:
        for i, year in enumerate(YEARS):
            data = to_arrow(TABLES["products"], _products(per_year, year, seed=i, id_offset=i * per_year), table)
            t = time.perf_counter()
            table.append(data)
            seconds += time.perf_counter() - t
            t = time.perf_counter()
            pq.write_table(data, f"{tmp}/{year}.parquet", compression=codec)
            parquet_seconds += time.perf_counter() - t
    return n / seconds, n / parquet_seconds


def _facet_ms(settings: Any, repeats: int = 7) -> dict[str, float]:
    """Time the faceted count through the lake views, and the same query over all data files without Iceberg.

    Returns:
        ``ms`` (median warm query via the lake view), ``connect_ms``, ``parquet_ms`` (the same SQL over
        ``read_parquet`` of every data file of the snapshot: no partition pruning), ``files_read`` and
        ``bytes_read`` (DuckDB's profile of the query on a new connection), ``files_planned`` and
        ``bytes_planned`` (the data files pyiceberg plans for the query's time filter), ``files_total`` and
        ``bytes_total`` (the whole snapshot).
    """
    import duckdb
    from pyiceberg.expressions import And, GreaterThanOrEqual, LessThan

    from lake.catalog import load_table
    from lake.query import connect, load_extension

    def median_ms(con: Any, sql: str) -> float:
        con.sql(sql).fetchall()  # warm-up (file metadata cache)
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            con.sql(sql).fetchall()
            times.append((time.perf_counter() - t) * 1000)
        return statistics.median(times)

    out: dict[str, float] = {}
    t = time.perf_counter()
    con = connect(settings)
    out["connect_ms"] = (time.perf_counter() - t) * 1000
    out["ms"] = median_ms(con, FACET_SQL)
    con.close()

    table = load_table("products", settings)
    planned = list(table.scan(row_filter=And(GreaterThanOrEqual("start_time", "2020-01-01T00:00:00+00:00"),
                                             LessThan("start_time", "2022-01-01T00:00:00+00:00"))).plan_files())
    every = list(table.scan().plan_files())
    out["files_planned"], out["bytes_planned"] = len(planned), sum(f.file.file_size_in_bytes for f in planned)
    out["files_total"], out["bytes_total"] = len(every), sum(f.file.file_size_in_bytes for f in every)

    # DuckDB's own account: files and bytes the iceberg scan read
    with tempfile.TemporaryDirectory(prefix="sarlake-bench-prof-") as tmp:
        raw = duckdb.connect(":memory:")
        load_extension(raw, "avro")
        load_extension(raw, "iceberg")
        location = table.metadata_location.removeprefix("file://").replace("'", "''")
        raw.execute(f"CREATE VIEW products AS SELECT * FROM iceberg_scan('{location}')")
        raw.execute("PRAGMA enable_profiling='json'")
        raw.execute(f"PRAGMA profiling_output='{tmp}/profile.json'")
        raw.sql(FACET_SQL).fetchall()  # first query of a new connection: nothing in DuckDB's caches
        raw.execute("PRAGMA disable_profiling")
        profile = json.loads(Path(tmp, "profile.json").read_text())
        files = [int(n["extra_info"]["Total Files Read"]) for n in _walk(profile)
                 if "Total Files Read" in (n.get("extra_info") or {})]
        out["files_read"], out["bytes_read"] = float(sum(files)), float(profile.get("total_bytes_read", 0))
        # the same query over every data file, without the Iceberg metadata (no pruning by partition)
        paths = ", ".join("'" + f.file.file_path.removeprefix("file://").replace("'", "''") + "'" for f in every)
        raw.execute(f"CREATE OR REPLACE VIEW products AS SELECT * FROM read_parquet([{paths}])")
        out["parquet_ms"] = median_ms(raw, FACET_SQL)
        raw.close()
    return out


def _walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node, *(n for child in node.get("children", []) for n in _walk(child))]


def _upsert_batch(settings: Any, n_changed: int, n_new: int, seed: int) -> Any:
    """``n_changed`` existing products of the last year with a new p_error, plus ``n_new`` new ones."""
    import numpy as np
    import pyarrow as pa
    from pyiceberg.expressions import And, EqualTo, GreaterThanOrEqual

    from lake.catalog import load_table
    from lake.tables import TABLES
    from lake.write import to_arrow

    table = load_table("products", settings)
    last = table.scan(
        row_filter=And(
            EqualTo("product_type", "L2_IFG"), GreaterThanOrEqual("start_time", f"{YEARS[-1]}-01-01T00:00:00+00:00")
        ),
        limit=n_changed,
    ).to_arrow()
    last = last.slice(0, n_changed)
    rng = np.random.default_rng(seed)
    last = last.set_column(last.schema.get_field_index("p_error"), "p_error", pa.array(rng.random(last.num_rows)))
    new = to_arrow(TABLES["products"], _products(n_new, YEARS[-1], seed=seed, id_offset=10**9 + seed * n_new), table)
    return pa.concat_tables([to_arrow(TABLES["products"], last, table), new])


def run(
    report: list[dict[str, Any]] | None = None, sizes: tuple[int, ...] = (1_000_000, 10_000_000)
) -> list[dict[str, Any]]:
    """Measure the lake and append result rows to ``report``.

    Args:
        report: list receiving ``{name, value, unit, target, reference}`` rows.
        sizes: products table sizes for the faceted count (the first also hosts the upsert benchmark).

    Returns:
        ``report``.
    """
    from lake.catalog import init_lake, load_table
    from lake.settings import get_settings

    report = [] if report is None else report
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="sarlake-bench-") as home:
            settings = get_settings(home=Path(home))
            init_lake(settings)
            append_rate, parquet_rate = _build(settings, size)
            label = f"{size // 1_000_000}M" if size >= 1_000_000 else str(size)
            report.append({"name": f"plain append, products ({label} rows, one append per year)",
                           "value": round(append_rate), "unit": "rows/s", "target": None,
                           "reference": f"pyarrow.parquet.write_table of the same rows: "
                           f"{round(parquet_rate):,} rows/s"})
            f = _facet_ms(settings)
            report.append({"name": f"DuckDB faceted count over {label} products (lake view, warm)",
                           "value": round(f["ms"], 1), "unit": "ms",
                           "target": "< 100 ms" if size <= 1_000_000 else "< 500 ms",
                           "reference": f"same SQL on read_parquet of all {int(f['files_total'])} data files "
                           f"(no Iceberg pruning): {f['parquet_ms']:.1f} ms"})
            report.append({"name": f"  data files the faceted count read over {label} (DuckDB profile)",
                           "value": int(f["files_read"]), "unit": "files", "target": None,
                           "reference": f"of {int(f['files_total'])} in the snapshot; pyiceberg plans "
                           f"{int(f['files_planned'])} for the same time filter"})
            report.append({"name": f"  bytes in the files the faceted count reads over {label} (pyiceberg plan)",
                           "value": round(f["bytes_planned"] / 1e6, 1), "unit": "MB", "target": None,
                           "reference": f"of {f['bytes_total'] / 1e6:,.1f} MB in the snapshot; DuckDB profile "
                           f"total_bytes_read on a new connection {f['bytes_read'] / 1e6:,.2f} MB "
                           "(4 columns, pruned row groups)"})
            report.append({"name": f"lake.query.connect() with {label} products (views over all tables)",
                           "value": round(f["connect_ms"], 1), "unit": "ms", "target": None, "reference": None})
            if size != sizes[0]:
                continue
            _upserts(settings, label, report)
            files = len(list(load_table("products", settings).scan().plan_files()))
            report.append({"name": f"data files in the {label} products table after the upserts",
                           "value": files, "unit": "files", "target": None, "reference": None})
    return report


def _upserts(settings: Any, label: str, report: list[dict[str, Any]]) -> None:
    """lake.write.upsert of three 10k batches, beside pyiceberg's Table.upsert of the first on the same snapshot.

    On the first batch pyiceberg's upsert runs first; the table is then set back to the snapshot before it
    and ``lake.write.upsert`` applies the same batch, so both see identical input and table state.
    """
    from lake.catalog import load_table
    from lake.write import upsert

    ours = []
    for seed in (1, 3, 4):
        batch = _upsert_batch(settings, 5_000, 5_000, seed=seed)
        if seed == 1:  # pyiceberg first, then back to the snapshot before it (it is slow: one batch only)
            table = load_table("products", settings)
            before = table.current_snapshot().snapshot_id
            t = time.perf_counter()
            res = table.upsert(batch, join_cols=["product_id"])
            theirs = batch.num_rows / (time.perf_counter() - t)
            assert (res.rows_inserted, res.rows_updated) == (5_000, 5_000), res
            table.manage_snapshots().set_current_snapshot(before).commit()
        t = time.perf_counter()
        result = upsert("products", batch, settings)
        ours.append(batch.num_rows / (time.perf_counter() - t))
        assert (result.inserted, result.updated) == (5_000, 5_000), result
    report.append({"name": f"lake.write.upsert 10k products (5k new, 5k changed) into {label} (median of 3)",
                   "value": round(statistics.median(ours)), "unit": "rows/s", "target": ">= 20,000 rows/s",
                   "reference": f"pyiceberg Table.upsert of batch 1 on the same snapshot: {round(theirs):,} rows/s "
                   f"(lake.write.upsert on batch 1: {round(ours[0]):,} rows/s)"})
    t = time.perf_counter()
    again = upsert("products", batch, settings)
    report.append({"name": "lake.write.upsert, same 10k again (no-op)",
                   "value": round(batch.num_rows / (time.perf_counter() - t)), "unit": "rows/s",
                   "target": None, "reference": f"unchanged={again.unchanged}"})


def main() -> None:
    """Command-line entry: print the report as a table and JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    args = parser.parse_args()
    os.environ.pop("SARLAKE_CONFIG", None)
    report: list[dict[str, Any]] = []
    run(report, tuple(args.sizes))
    for row in report:
        print(f"{row['name']:<75} {row['value']:>12} {row['unit']:<6} target {row['target']}  ref {row['reference']}")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
