"""The analysts' catalogue at scale: `dbt build` of every model and test over a lake of 1M products, and a
mart query against the same question asked of the raw Iceberg tables, in the same run on the same lake."""

from __future__ import annotations

import importlib.util
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MART_SQL = ("SELECT aoi, count(*) AS usable FROM catalogue.marts.mart_product_quality "
            "WHERE usable_for_timeseries GROUP BY aoi ORDER BY aoi")
RAW_SQL = ("SELECT aoi, count(*) AS usable FROM products "
           "WHERE coalesce(p_error, 0) < 0.5 AND coalesce(status, '') <> 'quarantined' GROUP BY aoi ORDER BY aoi")


def _bench_lake() -> Any:
    spec = importlib.util.spec_from_file_location("bench_lake", HERE / "bench_lake.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fill(settings: Any, n: int) -> None:
    """``n`` synthetic interferograms (bench_lake's generator) with 12-day pairs, one append per year."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from lake.arrow_rows import to_arrow
    from lake.catalog import load_table
    from lake.tables import TABLES

    gen = _bench_lake()
    table = load_table("products", settings)
    per_year = n // len(gen.YEARS)
    for i, year in enumerate(gen.YEARS):
        rows = gen._products(per_year, year, seed=i, id_offset=i * per_year)
        secondary = pc.cast(rows["start_time"], pa.date32())
        reference = pc.cast(rows["end_time"], pa.date32())
        rows = rows.append_column("secondary_date", secondary).append_column("reference_date", reference)
        table.append(to_arrow(TABLES["products"], rows, table))


def _median_ms(con: Any, sql: str, repeats: int = 7) -> tuple[float, list[Any]]:
    result = con.sql(sql).fetchall()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        con.sql(sql).fetchall()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), result


def run(n: int = 1_000_000) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="bench-dbt-") as tmp:
        saved = os.environ.get("SARLAKE_HOME")
        os.environ["SARLAKE_HOME"] = str(Path(tmp) / "home")
        try:
            from lake.catalog import init_lake
            from lake.query import connect
            from lake.settings import get_settings
            from sarlake.workflows.dbt import build

            settings = get_settings()
            init_lake(settings)
            _fill(settings, n)
            t = time.perf_counter()
            result = build()
            build_s = time.perf_counter() - t
            if not result.success:
                raise RuntimeError(f"dbt build failed: {result.failures[:3]}")
            con = connect(settings)
            mart_ms, mart_rows = _median_ms(con, MART_SQL)
            raw_ms, raw_rows = _median_ms(con, RAW_SQL)
            if mart_rows != raw_rows:
                raise RuntimeError("the mart and the raw query disagree")
        finally:
            if saved is None:
                os.environ.pop("SARLAKE_HOME", None)
            else:
                os.environ["SARLAKE_HOME"] = saved
    label = f"{n // 1_000_000}M" if n >= 1_000_000 else str(n)
    return [
        {"name": f"dbt build, every model and test, {label} products ({result.nodes} nodes)", "value": build_s,
         "unit": "s", "target": "", "reference": ""},
        {"name": f"usable products per AOI from mart_product_quality, {label} products", "value": mart_ms,
         "unit": "ms", "target": "",
         "reference": f"{raw_ms:.1f} ms for the same answer from the raw Iceberg products table (same run)"},
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
