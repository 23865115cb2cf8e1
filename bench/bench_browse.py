"""Browse UI: facet refresh (every facet's counts + the first page of results) over 100,000 products.

A temporary lake gets 100,000 L2_IFG products over 20 AOIs and 5 years, a QA prediction for each and consensus
tags on 10% of them (synthetic rows, seeded). Timed: what one facet click costs the server in the app, best of
``RUNS``: the snapshot check and cursor of the app's long-lived connection
(:func:`sarlake_plugins.browse.connection.cursor`) plus :func:`sarlake_plugins.browse.search.search` with the
filter ``predicted_uwe=UWE_3``, with the CPU time it took (all DuckDB threads; less sensitive to the other load
of a shared machine than wall time). Reported with it, from the query plans: the Iceberg data files a refresh
reads (none: it reads the ``browse`` table materialized per snapshot) and those the materialization read.
References (same run, same lake): the once-per-snapshot cost (opening the connection and materializing; after a
new tag, re-attaching the tag table and rebuilding the tags column), and the same SQL over the Iceberg views
without the materialized table (what each click cost before).
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

N = 100_000
#: timed refreshes; the best is reported (on a shared machine the best is the least disturbed)
RUNS = 10


def _fill(settings) -> None:  # type: ignore[no-untyped-def]
    import numpy as np
    import pyarrow as pa

    from lake.catalog import init_lake
    from lake.write import upsert

    rng = np.random.default_rng(0)
    init_lake(settings)
    ids = [f"IFG_{i:06d}" for i in range(N)]
    ref = [date(2019, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 5 * 365, N)]
    bt = rng.choice([6, 12, 24, 36, 48], N)
    aoi = rng.integers(0, 20, N)
    w = -120 + aoi * 2.0
    products = pa.table({
        "product_id": ids, "product_type": ["L2_IFG"] * N, "track": (aoi * 7 % 175).tolist(),
        "direction": ["A" if a % 2 else "D" for a in aoi], "aoi": [f"aoi{a:02d}" for a in aoi],
        "reference_date": ref, "secondary_date": [r - timedelta(days=int(b)) for r, b in zip(ref, bt, strict=True)],
        "start_time": [datetime(r.year, r.month, r.day, tzinfo=UTC) for r in ref],
        "west": w, "south": np.full(N, 30.0), "east": w + 1.5, "north": np.full(N, 31.5),
        "coherence_mean": rng.uniform(0.1, 0.95, N), "temporal_baseline_days": bt.astype("int32"),
        "p_error": rng.uniform(0, 1, N), "status": rng.choice(["published", "quarantined"], N, p=[0.95, 0.05]),
        "pge_version": rng.choice(["1.1.0", "1.2.0"], N),
    })
    upsert("products", products.to_pylist(), settings)
    now = datetime(2024, 6, 1, tzinfo=UTC)
    upsert("qa_predictions", [{"product_id": i, "model_name": "sarlake-qa-uwe", "model_version": "3",
                               "p_error": float(p), "uwe_class": int(min(3, p * 4)), "predicted_at": now}
                              for i, p in zip(ids, products.column("p_error").to_pylist(), strict=True)], settings)
    tagged = rng.choice(N, N // 10, replace=False)
    upsert("tag_consensus", [{"product_id": ids[k], "tag_type": "UWE", "intensity": int(rng.integers(0, 4)),
                              "raters": 3, "agreement": 1.0} for k in tagged], settings)


def run() -> list[dict]:
    from lake.query import connect
    from lake.settings import get_settings
    from sarlake_plugins.browse import connection
    from sarlake_plugins.browse.filters import parse_query
    from sarlake_plugins.browse.search import _conditions, _facet_sql, plan_files, search

    with tempfile.TemporaryDirectory(prefix="bench-browse-") as home:
        old = os.environ.get("SARLAKE_HOME")
        os.environ["SARLAKE_HOME"] = home
        try:
            _fill(get_settings())
            q = parse_query([("predicted_uwe", "UWE_3")])
            c0 = time.perf_counter()
            connection.cursor()  # first request after a commit: open + materialize
            first_ms = (time.perf_counter() - c0) * 1000
            mat = connection.state()["materialize"]
            best, cpu = float("inf"), float("inf")
            for _ in range(RUNS):
                t0, c0 = time.perf_counter(), time.process_time()
                r = search(q, connection.cursor())
                best = min(best, time.perf_counter() - t0)
                cpu = min(cpu, time.process_time() - c0)
            fsql, fparams = _facet_sql(_conditions(q))
            plan = connection.cursor().execute("EXPLAIN (ANALYZE, FORMAT json) " + fsql, fparams).fetchall()
            refresh_files = plan_files(plan[-1][-1]) or 0
            # after a tag (a new consensus snapshot): re-attach tag_consensus, rebuild the tags column only
            from lake.write import upsert

            upsert("tag_consensus", [{"product_id": "IFG_000000", "tag_type": "TNT", "intensity": 2, "raters": 3,
                                      "agreement": 1.0}], get_settings())
            t0 = time.perf_counter()
            connection.cursor()
            tag_ms = (time.perf_counter() - t0) * 1000
            tag_how = connection.state()["materialize"]["how"]
            # before: the same facets and page over the Iceberg views (the relation as a CTE, no table)
            con = connect()
            t0 = time.perf_counter()
            con.execute(r["sql"]["facets"]).fetchall()
            con.execute(r["sql"]["results"]).fetchall()
            views_ms = (time.perf_counter() - t0) * 1000
        finally:
            if old is None:
                os.environ.pop("SARLAKE_HOME", None)
            else:
                os.environ["SARLAKE_HOME"] = old
    return [{"name": f"browse facet refresh, {N:,} products (14 facets + first page, filter UWE_3)",
             "value": best * 1000, "unit": "ms server time", "target": "< 300",
             "reference": f"CPU time {cpu * 1000:.0f} ms; query plan: {refresh_files} Iceberg data files read per "
                          "refresh (materialized browse "
                          f"table); materializing it read {mat['files']} files in {mat['ms']:.0f} ms, once per "
                          f"snapshot (first request after a commit: {first_ms:.0f} ms with opening the "
                          f"connection); first request after a new tag: {tag_ms:.0f} ms ({tag_how} rebuilt); "
                          f"the same SQL over the Iceberg views: {views_ms:.0f} ms; "
                          f"{r['total']:,} matches (same run)"}]


if __name__ == "__main__":
    for row in run():
        print(row)
