"""Benchmark of reading one product's deliveries from a long ``archive_transfers`` history.

Every ingest that catalogues something asks which versions of its products the DAAC already holds
(``lake.archive_transfers.delivered_versions``), and a restore or retrieve asks for a few products' deliveries.
The history is written as the roll writes it: one commit per step and batch of products, seven steps each. The
lookup reads the transfers of the products asked for, the product ids pushed down to the scans; the reference,
measured in the same run on the same table, is the whole-history read the lookup did before (every transfer's
latest step, then a filter in Python), reading the same columns.
Run as ``python bench/bench_archive_history.py [--products 200000]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from typing import Any
from unittest import mock

REPEATS = 5


def _history(settings: Any, products: int, batch: int) -> None:
    from lake.archive_transfers import STEPS, Transfer, record

    files = [{"name": "unw.tif", "uri": "/archive/unw.tif", "sha256": "0" * 64, "size": 10}]
    for start in range(0, products, batch):
        ts = [Transfer(f"S1-GUNW-bench{i:08d}.v1.a1", f"S1-GUNW-bench{i:08d}", "1", 1, "selected", "/hot", "/archive",
                       files) for i in range(start, min(products, start + batch))]
        for step in STEPS[:-1]:  # selected ... hot_deleted, one commit each, as the roll records them
            record([t.row(step) for t in ts], settings)


def _median_s(call: Any) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        out = call()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def run(products: int = 200_000, batch: int = 20_000) -> list[dict[str, Any]]:
    """Time one product's delivered versions in a history of ``products`` delivered products."""
    with tempfile.TemporaryDirectory(prefix="sarlake-bench-history-") as tmp, mock.patch.dict(
            os.environ, {"SARLAKE_HOME": tmp}):
        from lake.archive_transfers import FINISHED_COLUMNS, delivered_versions, latest_transfers
        from lake.catalog import init_lake
        from lake.settings import get_settings

        settings = get_settings()
        init_lake(settings)
        t0 = time.perf_counter()
        _history(settings, products, batch)
        made = time.perf_counter() - t0
        wanted = {f"S1-GUNW-bench{products // 3:08d}"}
        pushed, found = _median_s(lambda: delivered_versions(wanted, settings))
        whole, before = _median_s(lambda: {
            (t.product_id, t.version): t.transfer_id
            for t in latest_transfers(settings, columns=FINISHED_COLUMNS).values()
            if t.product_id in wanted and t.step in ("catalogued", "hot_deleted")})
        if found != before or len(found) != 1:
            raise RuntimeError(f"the two reads disagree: {found} against {before}")
    rows_in_table = products * 7
    return [
        {"name": f"one product's delivered versions among {products:,} delivered products ({rows_in_table:,} "
                 f"history rows, {products // batch * 7} commits)",
         "value": pushed * 1000, "unit": "ms", "target": "",
         "reference": f"whole-history read then filter, same table, same run: {whole * 1000:,.0f} ms "
                      f"({whole / pushed:.1f}x); medians of {REPEATS}; the history took {made:.0f} s to write"},
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=200_000)
    args = parser.parse_args()
    for row in run(args.products):
        print(row)
