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


def _build(settings: Any, n: int) -> float:
    """Fill the products table with ``n`` rows, one append per year; return rows/s of the appends."""
    from lake.catalog import load_table
    from lake.tables import TABLES
    from lake.write import to_arrow

    table = load_table("products", settings)
    per_year = n // len(YEARS)
    seconds = 0.0
    for i, year in enumerate(YEARS):
        data = to_arrow(TABLES["products"], _products(per_year, year, seed=i, id_offset=i * per_year), table)
        t = time.perf_counter()
        table.append(data)
        seconds += time.perf_counter() - t
    return n / seconds


def _facet_ms(settings: Any, repeats: int = 7) -> tuple[float, float]:
    """(median warm facet query ms, connect ms) via the lake views."""
    from lake.query import connect

    t = time.perf_counter()
    con = connect(settings)
    connect_ms = (time.perf_counter() - t) * 1000
    con.sql(FACET_SQL).fetchall()  # warm-up (file metadata cache)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        con.sql(FACET_SQL).fetchall()
        times.append((time.perf_counter() - t) * 1000)
    con.close()
    return statistics.median(times), connect_ms


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
    from lake.write import upsert

    report = [] if report is None else report
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="sarlake-bench-") as home:
            settings = get_settings(home=Path(home))
            init_lake(settings)
            append_rate = _build(settings, size)
            label = f"{size // 1_000_000}M" if size >= 1_000_000 else str(size)
            report.append({"name": f"plain append, products ({label} rows, one append per year)",
                           "value": round(append_rate), "unit": "rows/s", "target": None, "reference": "~2M rows/s"})
            facet, connect_ms = _facet_ms(settings)
            report.append({"name": f"DuckDB faceted count over {label} products (lake view, warm)",
                           "value": round(facet, 1), "unit": "ms",
                           "target": "< 100 ms" if size <= 1_000_000 else "< 500 ms",
                           "reference": "iceberg_scan, one well-written table: ~55 ms (1M) / ~330 ms (10M)"})
            report.append({"name": f"lake.query.connect() with {label} products (views over all tables)",
                           "value": round(connect_ms, 1), "unit": "ms", "target": None, "reference": None})
            if size != sizes[0]:
                continue
            # our upsert: 10,000 rows, half new, half changed; three different batches, median reported
            rates = []
            for seed in (1, 3, 4):
                batch = _upsert_batch(settings, 5_000, 5_000, seed=seed)
                t = time.perf_counter()
                result = upsert("products", batch, settings)
                rates.append(batch.num_rows / (time.perf_counter() - t))
                assert (result.inserted, result.updated) == (5_000, 5_000), result
            report.append({"name": f"lake.write.upsert 10k products (5k new, 5k changed) into {label} (median of 3)",
                           "value": round(statistics.median(rates)), "unit": "rows/s", "target": ">= 20,000 rows/s",
                           "reference": "pyiceberg Table.upsert ~1,400 rows/s; first-in-process: "
                           f"{round(rates[0])} rows/s"})
            t = time.perf_counter()
            again = upsert("products", batch, settings)
            report.append({"name": "lake.write.upsert, same 10k again (no-op)",
                           "value": round(batch.num_rows / (time.perf_counter() - t)), "unit": "rows/s",
                           "target": None, "reference": f"unchanged={again.unchanged}"})
            # pyiceberg's own upsert on a smaller sample, extrapolated to rows/s
            sample = _upsert_batch(settings, 500, 500, seed=2)
            table = load_table("products", settings)
            t = time.perf_counter()
            table.upsert(sample, join_cols=["product_id"])
            report.append({"name": f"pyiceberg Table.upsert 1k products (500 new, 500 changed) into {label}",
                           "value": round(sample.num_rows / (time.perf_counter() - t)), "unit": "rows/s",
                           "target": None, "reference": "~1,400 rows/s"})
            files = len(list(load_table("products", settings).scan().plan_files()))
            report.append({"name": f"data files in the {label} products table after the upserts",
                           "value": files, "unit": "files", "target": None, "reference": None})
    return report


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
