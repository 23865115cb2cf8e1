"""Benchmark of the lake at scale: a faceted count, a product-quality join and an upsert over 1M and 10M products.

Run as ``python bench/bench_lake.py [--sizes 1000000 10000000]`` (``make bench-large`` adds 100M); a driver
can call :func:`run`, which appends rows ``{name, value, unit, target, reference}`` to a list (for
``docs/benchmarks.md``) and plots latency against table size in ``docs/img/lake-scale.png``. Each size also
gets one QA prediction per product (``qa_predictions``), so the ``product_quality`` view joins like-sized
tables, as it will in production.

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

HERE = Path(__file__).resolve().parent
YEARS = list(range(2016, 2026))
FACET_SQL = """
SELECT track, product_type, count(*) AS n
FROM products
WHERE start_time >= TIMESTAMPTZ '2020-01-01 00:00:00+00' AND start_time < TIMESTAMPTZ '2022-01-01 00:00:00+00'
  AND p_error < 0.5
GROUP BY track, product_type
ORDER BY track, product_type
"""
#: the product-quality join: products of one track and month with their latest QA prediction and tag consensus
JOIN_SQL = """
SELECT predicted_uwe, count(*) AS n, avg(p_error) AS mean_p_error, count(model_name) AS scored
FROM product_quality
WHERE product_type = 'L2_IFG' AND track = 44
  AND secondary_date >= DATE '2021-03-01' AND secondary_date < DATE '2021-04-01'
GROUP BY predicted_uwe
ORDER BY predicted_uwe
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
        "secondary_date": pc.cast(pa.array(start_us, ts), pa.date32()),
        "reference_date": pc.cast(pa.array(start_us + 12 * 86400 * 1_000_000, ts), pa.date32()),
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

    from lake.arrow_rows import to_arrow
    from lake.catalog import load_table
    from lake.tables import TABLES

    table = load_table("products", settings)
    predictions = load_table("qa_predictions", settings)
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
            predictions.append(to_arrow(TABLES["qa_predictions"], _predictions(data, seed=i), predictions))
    return n / seconds, n / parquet_seconds


def _predictions(products: Any, seed: int) -> Any:
    """One QA prediction per product (model v1), sorted by product id."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed + 1000)
    n = products.num_rows
    p_error = rng.random(n)
    ts = pa.timestamp("us", tz="UTC")
    return pa.table({
        "product_id": products["product_id"],
        "model_name": pa.array(np.full(n, "sarlake-qa")),
        "model_version": pa.array(np.full(n, "1")),
        "p_error": p_error,
        "uwe_class": pa.array(np.minimum((p_error * 4).astype("int32"), 3)),
        "degraded": pa.array(np.zeros(n, bool)),
        "feature_set": pa.array(np.full(n, "v1")),
        "predicted_at": pa.array(np.full(n, int(datetime(2025, 6, 1, tzinfo=UTC).timestamp() * 1e6)), ts),
    })


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

    out: dict[str, float] = {}
    t = time.perf_counter()
    con = connect(settings)
    out["connect_ms"] = (time.perf_counter() - t) * 1000
    out["ms"] = _median_ms(con, FACET_SQL, repeats)
    con.close()

    table = load_table("products", settings)
    planned = list(table.scan(row_filter=And(GreaterThanOrEqual("start_time", "2020-01-01T00:00:00+00:00"),
                                             LessThan("start_time", "2022-01-01T00:00:00+00:00"))).plan_files())
    every = list(table.scan().plan_files())
    out["files_planned"], out["bytes_planned"] = len(planned), sum(f.file.file_size_in_bytes for f in planned)
    out["files_total"], out["bytes_total"] = len(every), sum(f.file.file_size_in_bytes for f in every)

    # DuckDB's own account: files and bytes the iceberg scan read
    raw = duckdb.connect(":memory:")
    load_extension(raw, "avro")
    load_extension(raw, "iceberg")
    location = table.metadata_location.removeprefix("file://").replace("'", "''")
    raw.execute(f"CREATE VIEW products AS SELECT * FROM iceberg_scan('{location}')")
    # first query of a new connection: nothing in DuckDB's caches
    out["files_read"], out["bytes_read"] = _profile(raw, FACET_SQL)
    # the same query over every data file, without the Iceberg metadata (no pruning by partition)
    paths = ", ".join("'" + f.file.file_path.removeprefix("file://").replace("'", "''") + "'" for f in every)
    raw.execute(f"CREATE OR REPLACE VIEW products AS SELECT * FROM read_parquet([{paths}])")
    out["parquet_ms"] = _median_ms(raw, FACET_SQL, repeats)
    raw.close()
    return out


def _walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node, *(n for child in node.get("children", []) for n in _walk(child))]


def _upsert_batch(settings: Any, n_changed: int, n_new: int, seed: int) -> Any:
    """``n_changed`` existing products of the last year with a new p_error, plus ``n_new`` new ones."""
    import numpy as np
    import pyarrow as pa
    from pyiceberg.expressions import And, EqualTo, GreaterThanOrEqual

    from lake.arrow_rows import to_arrow
    from lake.catalog import load_table
    from lake.tables import TABLES

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


def _join(settings: Any, repeats: int = 5) -> dict[str, float]:
    """Time the product-quality join (``product_quality`` view) and count the data files it reads.

    Returns:
        ``ms`` (median warm query on a sealed analyst connection), ``n`` (products in the answer), ``scored``
        (of them with a QA prediction: all, by construction), ``files_read`` and ``bytes_read`` (DuckDB's
        profile of the query on a new connection).
    """
    from lake.query import connect

    con = connect(settings)
    ms = _median_ms(con, JOIN_SQL, repeats)
    rows = con.sql(JOIN_SQL).fetchall()
    con.close()
    con = connect(settings, read_only=False)  # profiling needs an unlocked configuration
    files, read = _profile(con, JOIN_SQL)
    con.close()
    return {"ms": ms, "n": float(sum(r[1] for r in rows)), "scored": float(sum(r[3] for r in rows)),
            "files_read": files, "bytes_read": read}


def _median_ms(con: Any, sql: str, repeats: int) -> float:
    con.sql(sql).fetchall()  # warm-up (file metadata cache)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        con.sql(sql).fetchall()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def _profile(con: Any, sql: str) -> tuple[float, float]:
    """Data files and bytes DuckDB read for ``sql`` (its JSON query profile)."""
    with tempfile.TemporaryDirectory(prefix="sarlake-bench-prof-") as tmp:
        con.execute("PRAGMA enable_profiling='json'")
        con.execute(f"PRAGMA profiling_output='{tmp}/profile.json'")
        con.sql(sql).fetchall()
        con.execute("PRAGMA disable_profiling")
        profile = json.loads(Path(tmp, "profile.json").read_text())
    files = [int(n["extra_info"]["Total Files Read"]) for n in _walk(profile)
             if "Total Files Read" in (n.get("extra_info") or {})]
    return float(sum(files)), float(profile.get("total_bytes_read", 0))


#: sizes of `make bench`, and of `make bench-large` (SARLAKE_BENCH_LARGE=1), which adds 100M
SIZES = (1_000_000, 10_000_000)
LARGE_SIZES = (1_000_000, 10_000_000, 100_000_000)


def run(
    report: list[dict[str, Any]] | None = None, sizes: tuple[int, ...] | None = None, plot: str | None = None,
) -> list[dict[str, Any]]:
    """Measure the lake at each size, append result rows to ``report`` and plot the curves.

    Args:
        report: list receiving ``{name, value, unit, target, reference}`` rows.
        sizes: products table sizes (each also gets as many QA predictions); default :data:`SIZES`, or
            :data:`LARGE_SIZES` when ``SARLAKE_BENCH_LARGE=1``.
        plot: file name under docs/img/ for the latency curves (default ``lake-scale.png``, or
            ``lake-scale-large.png`` for the large sizes).

    Returns:
        ``report``.
    """
    from lake.catalog import init_lake, load_table
    from lake.settings import get_settings

    large = os.environ.get("SARLAKE_BENCH_LARGE") == "1"
    sizes = sizes or (LARGE_SIZES if large else SIZES)
    plot = plot or ("lake-scale-large.png" if large else "lake-scale.png")

    report = [] if report is None else report
    curve: list[dict[str, float]] = []
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="sarlake-bench-") as home:
            settings = get_settings(home=Path(home))
            init_lake(settings)
            append_rate, parquet_rate = _build(settings, size)
            label = f"{size // 1_000_000}M" if size >= 1_000_000 else str(size)
            load = os.getloadavg()[0]
            report.append({"name": f"plain append, products ({label} rows, one append per year; load {load:.1f})",
                           "value": round(append_rate), "unit": "rows/s", "target": None,
                           "reference": f"pyarrow.parquet.write_table of the same rows: "
                           f"{round(parquet_rate):,} rows/s"})
            f = _facet_ms(settings)
            load = os.getloadavg()[0]
            report.append({"name": f"DuckDB faceted count over {label} products (lake view, warm; load {load:.1f})",
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
            j = _join(settings)
            if j["n"] != j["scored"]:
                raise RuntimeError(f"product_quality lost predictions: {j['scored']} of {j['n']} scored")
            load = os.getloadavg()[0]
            report.append({"name": f"product-quality join (product_quality view) over {label} products and "
                                   f"{label} QA predictions, one track-month (warm; load {load:.1f})",
                           "value": round(j["ms"], 1), "unit": "ms", "target": None,
                           "reference": f"{int(j['n']):,} products in the answer, all with their prediction; "
                           f"DuckDB profile: {int(j['files_read'])} data files, "
                           f"{j['bytes_read'] / 1e6:,.1f} MB read on a new connection"})
            u = _upserts(settings, label, report, reference=size == sizes[0])
            files = len(list(load_table("products", settings).scan().plan_files()))
            report.append({"name": f"data files in the {label} products table after the upserts",
                           "value": files, "unit": "files", "target": None, "reference": None})
            curve.append({"size": size, "facet_ms": f["ms"], "facet_files": f["files_read"], "join_ms": j["ms"],
                          "join_files": j["files_read"], "upsert_s": u["seconds"], "upsert_files": u["files"]})
    for a, b in zip(curve, curve[1:], strict=False):
        growth = b["size"] / a["size"]
        for what, key in (("faceted count", "facet_ms"), ("product-quality join", "join_ms"),
                          ("upsert of 10k", "upsert_s")):
            report.append({"name": f"growth of the {what} latency, {a['size']:,} -> {b['size']:,} products",
                           "value": round(b[key] / a[key], 2), "unit": "x", "target": f"< {growth:.0f} x (sub-linear)",
                           "reference": f"table grew {growth:.0f} x"})
    if curve:
        _plot(curve, HERE.parent / "docs" / "img" / plot)
    return report


def _plot(curve: list[dict[str, float]], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [c["size"] for c in curve]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for key, label, scale in (("facet_ms", "faceted count (ms)", 1), ("join_ms", "product-quality join (ms)", 1),
                              ("upsert_s", "upsert 10k (ms)", 1000)):
        values = [c[key] * scale for c in curve]
        axes[0].plot(sizes, values, "o-", label=label)
        axes[0].plot(sizes, [values[0] * s / sizes[0] for s in sizes], ":", color="grey", linewidth=0.8)
    axes[0].set(xscale="log", yscale="log", xlabel="products in the lake", ylabel="latency",
                title="latency (dotted: linear growth)")
    axes[0].legend(fontsize=7)
    for key, label in (("facet_files", "faceted count"), ("join_files", "product-quality join"),
                       ("upsert_files", "upsert 10k")):
        axes[1].plot(sizes, [c[key] for c in curve], "o-", label=label)
    axes[1].set(xscale="log", xlabel="products in the lake", ylabel="data files read", title="files read")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def _upserts(settings: Any, label: str, report: list[dict[str, Any]], reference: bool) -> dict[str, float]:
    """lake.write.upsert of three 10k batches (median), beside pyiceberg's Table.upsert of the first (``reference``).

    On the first batch pyiceberg's upsert runs first; the table is then set back to the snapshot before it
    and ``lake.write.upsert`` applies the same batch, so both see identical input and table state. Data files
    the upsert reads are counted where lake.write reads them (``_read``).

    Returns:
        ``seconds`` (median per batch) and ``files`` (median data files read per batch).
    """
    import lake.write as write
    from lake.catalog import load_table
    from lake.write import upsert

    ours, seconds, files = [], [], []
    theirs = None
    counted = [0]
    real_read = write.read_task

    def counting_read(*args: Any) -> Any:
        counted[0] += 1
        return real_read(*args)

    for seed in (1, 3, 4):
        batch = _upsert_batch(settings, 5_000, 5_000, seed=seed)
        if seed == 1 and reference:  # pyiceberg first, then back to the snapshot before it (slow: one batch)
            table = load_table("products", settings)
            before = table.current_snapshot().snapshot_id
            t = time.perf_counter()
            res = table.upsert(batch, join_cols=["product_id"])
            theirs = batch.num_rows / (time.perf_counter() - t)
            assert (res.rows_inserted, res.rows_updated) == (5_000, 5_000), res
            table.manage_snapshots().set_current_snapshot(before).commit()
        counted[0] = 0
        write.read_task = counting_read  # type: ignore[assignment]
        try:
            t = time.perf_counter()
            result = upsert("products", batch, settings)
            seconds.append(time.perf_counter() - t)
        finally:
            write.read_task = real_read  # type: ignore[assignment]
        ours.append(batch.num_rows / seconds[-1])
        files.append(counted[0])
        assert (result.inserted, result.updated) == (5_000, 5_000), result
    load = os.getloadavg()[0]
    report.append({"name": f"lake.write.upsert 10k products (5k new, 5k changed) into {label} "
                           f"(median of 3; load {load:.1f})",
                   "value": round(statistics.median(ours)), "unit": "rows/s", "target": ">= 20,000 rows/s",
                   "reference": (f"pyiceberg Table.upsert of batch 1 on the same snapshot: {round(theirs):,} rows/s "
                                 f"(lake.write.upsert on batch 1: {round(ours[0]):,} rows/s)") if theirs else
                   f"{statistics.median(seconds):.1f} s per batch"})
    report.append({"name": f"  data files each upsert read in {label} (median of 3)",
                   "value": int(statistics.median(files)), "unit": "files", "target": None,
                   "reference": f"of {len(list(load_table('products', settings).scan().plan_files()))} "
                   "in the snapshot"})
    if reference:
        t = time.perf_counter()
        again = upsert("products", batch, settings)
        report.append({"name": "lake.write.upsert, same 10k again (no-op)",
                       "value": round(batch.num_rows / (time.perf_counter() - t)), "unit": "rows/s",
                       "target": None, "reference": f"unchanged={again.unchanged}"})
    return {"seconds": statistics.median(seconds), "files": statistics.median(files)}


def main() -> None:
    """Command-line entry: print the report as a table and JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=None)
    parser.add_argument("--plot", default=None, help="file name under docs/img/ for the curves")
    args = parser.parse_args()
    os.environ.pop("SARLAKE_CONFIG", None)
    report: list[dict[str, Any]] = []
    run(report, tuple(args.sizes) if args.sizes else None, plot=args.plot)
    for row in report:
        print(f"{row['name']:<75} {row['value']:>12} {row['unit']:<6} target {row['target']}  ref {row['reference']}")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
