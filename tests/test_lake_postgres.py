"""The lake on a real PostgreSQL catalogue (and on SQLite: conftest runs every lake test on both).

Eight writer processes upsert into the same tables at once: no row is lost or duplicated, and a stale
commit is refused by the catalogue (the conflict ``lake.write.upsert`` retries on).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest

WORKER = """
import json, sys
from datetime import datetime, timezone
from lake.write import upsert
w = int(sys.argv[1])
attempts = 0
for b in range(1):
    start = w * 100 + b * 10
    rows = [{"product_id": f"P{i:05d}", "product_type": "L2_IFG", "track": 44 + w,
             "start_time": datetime(2024, 1 + w % 12, 1 + i % 27, tzinfo=timezone.utc)}
            for i in range(start, start + 10)]
    attempts += upsert("products", rows).attempts
    attempts += upsert("events", [{"event_id": f"ev{w}-{b}", "magnitude": 6.0},
                                  {"event_id": "shared", "magnitude": float(w)}]).attempts
print(json.dumps({"attempts": attempts}))
"""


@pytest.fixture
def lake(settings):
    from lake.catalog import init_lake

    init_lake(settings)
    return settings


def test_catalogue_backend_is_the_one_asked_for(lake, catalog_backend: str) -> None:
    from lake.catalog import get_catalog

    dialect = get_catalog(lake).engine.dialect.name
    assert dialect == {"sqlite": "sqlite", "postgres": "postgresql", "s3": "sqlite"}[catalog_backend]
    assert lake.warehouse.startswith("s3://") == (catalog_backend == "s3")


@pytest.mark.slow
@pytest.mark.parametrize("catalog_backend", ["postgres"], indirect=True)  # SQLite: test_lake_write's writers
def test_eight_concurrent_writers_lose_nothing(lake) -> None:
    from lake.catalog import load_table

    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(w)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for w in range(8)]
    attempts = 0
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-2000:]
        attempts += json.loads(out.strip().splitlines()[-1])["attempts"]
    ids = load_table("products", lake).scan(selected_fields=("product_id",)).to_arrow().column("product_id")
    assert sorted(ids.to_pylist()) == sorted(f"P{i:05d}" for w in range(8) for i in range(w * 100, w * 100 + 10))
    events = load_table("events", lake).scan().to_arrow().to_pylist()
    assert sorted(e["event_id"] for e in events) == sorted([f"ev{w}-{b}" for w in range(8) for b in range(1)]
                                                           + ["shared"])
    shared = [e for e in events if e["event_id"] == "shared"][0]
    assert shared["magnitude"] in {float(w) for w in range(8)}
    assert attempts >= 8 * 2  # every upsert committed at least once (more when it conflicted and retried)


def test_a_stale_commit_is_refused_and_upsert_retries(lake) -> None:
    from pyiceberg.exceptions import CommitFailedException

    from lake.arrow_rows import to_arrow
    from lake.catalog import load_table
    from lake.tables import TABLES
    from lake.write import upsert

    row = {"product_id": "P1", "product_type": "L2_IFG", "start_time": datetime(2024, 1, 1, tzinfo=UTC)}
    stale = load_table("products", lake)
    upsert("products", [row], lake)  # another writer commits first
    with pytest.raises(CommitFailedException):  # the catalogue refuses a commit based on old metadata
        stale.append(to_arrow(TABLES["products"], [{**row, "product_id": "P2"}], stale))
    assert upsert("products", [{**row, "product_id": "P2"}], lake).inserted == 1
    ids = load_table("products", lake).scan().to_arrow().column("product_id").to_pylist()
    assert sorted(ids) == ["P1", "P2"]
