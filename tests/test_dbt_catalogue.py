"""The analysts' catalogue: dbt builds over a real lake, and its marts agree with the Iceberg tables.

The lake holds the real Envisat Sydney stack (17 ingested interferograms with provenance) and simulated
acquisitions with two acquisitions left out on purpose. Every mart figure checked here is recomputed in the
test straight from the Iceberg tables (pyiceberg scans, scipy's connected components), or is known by
construction (the two acquisitions removed), never read back from dbt's own output alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "envisat_sydney_roipac"


def test_staging_layer_is_generated_from_the_table_definitions() -> None:
    out = subprocess.run([sys.executable, "scripts/dbt_sources.py", "--check"], cwd=ROOT, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr


@pytest.fixture(scope="module")
def built_lake(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("dbt") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SARLAKE_HOME", str(home))
        from lake.aoi import add_aoi, get_aoi
        from lake.catalog import init_lake
        from lake.catalogue import record_acquisitions
        from lake.settings import get_settings
        from lake.sources import SimulatedArchive
        from sarlake.workflows.dbt import build
        from sarlake.workflows.ingest import ingest_and_catalogue

        settings = get_settings()
        init_lake(settings)
        add_aoi("sydney", bbox=(150.8, -34.3, 151.0, -34.1), tracks=[44])
        add_aoi("etna", bbox=(14.8, 37.6, 15.2, 37.9), tracks=[44, 124])
        ingest_and_catalogue([str(p) for p in sorted((DATA / "roipac_unw").glob("*.unw"))], aoi="sydney",
                             coherence_dirs=[str(DATA / "gamma_coherence")], mission="envisat")
        records = SimulatedArchive(settings).search(get_aoi("etna"), datetime(2024, 1, 1, tzinfo=UTC),
                                                    datetime(2024, 5, 1, tzinfo=UTC))
        track44 = [r for r in records if r.track == 44]
        dropped = {track44[3].acquisition_id, track44[4].acquisition_id}  # a 36-day gap: two missed
        kept = [r for r in records if r.acquisition_id not in dropped]
        record_acquisitions(kept, settings)
        from lake.write import upsert

        upsert("events", [{"event_id": "us7000test", "source": "usgs", "time": datetime(2007, 9, 1, tzinfo=UTC),
                           "magnitude": 7.1, "decision": "trigger", "reason": "M >= 7", "aoi": "sydney"},
                          {"event_id": "us6000skip", "source": "usgs", "time": datetime(2007, 9, 2, tzinfo=UTC),
                           "magnitude": 5.1, "decision": "ignore", "reason": "M < 6"}], settings)
        result = build()
        yield settings, result, kept


@pytest.mark.slow
def test_dbt_build_passes_on_a_real_lake(built_lake) -> None:
    _, result, _ = built_lake
    assert result.success, result.failures
    assert result.failures == []
    assert result.nodes >= 30  # staging views, marts, data tests and unit tests all ran


def _mart(settings, sql: str) -> list[dict]:
    import duckdb

    con = duckdb.connect(settings.catalogue_db, read_only=True)
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.mark.slow
def test_marts_agree_with_the_iceberg_tables(built_lake) -> None:
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from lake.catalog import load_table

    settings, _, kept = built_lake
    products = load_table("products", settings).scan().to_arrow().to_pylist()
    provenance = load_table("provenance", settings).scan().to_arrow().to_pylist()

    quality = _mart(settings, "select * from marts.mart_product_quality")
    assert sorted(r["product_id"] for r in quality) == sorted(p["product_id"] for p in products)

    coverage = _mart(settings, "select * from marts.mart_aoi_coverage where aoi = 'etna'")
    assert sum(r["acquisitions"] for r in coverage) == len(kept)
    assert sum(r["missed_acquisitions"] for r in coverage if r["track"] == 44) == 2  # the two dropped
    assert sum(r["missed_acquisitions"] for r in coverage if r["track"] == 124) == 0

    archive = _mart(settings, "select sum(hot) as hot, sum(archived) as archived, sum(products) as n "
                             "from marts.mart_archive_status")[0]
    assert (archive["hot"], archive["archived"], archive["n"]) == (len(products), 0, len(products))

    events = {r["event_id"]: r for r in _mart(settings, "select * from marts.mart_event_response")}
    assert events["us7000test"]["products"] == sum(p["aoi"] == "sydney" for p in products) == 17
    assert events["us6000skip"]["products"] == 0 and events["us6000skip"]["decision"] == "ignore"
    first = min(p["created_at"] for p in products if p["aoi"] == "sydney")
    assert events["us7000test"]["first_product_at"] == first

    runs = _mart(settings, "select sum(runs) as runs, sum(products) as products from marts.mart_pge_runs")[0]
    assert runs["runs"] == len({p["run_id"] for p in provenance})
    assert runs["products"] == len({p["product_id"] for p in provenance})

    # The network's components, from the products table with scipy: dates are nodes, pairs are edges.
    dates = sorted({d for p in products for d in (p["secondary_date"], p["reference_date"])})
    index = {d: i for i, d in enumerate(dates)}
    rows = [index[p["secondary_date"]] for p in products]
    cols = [index[p["reference_date"]] for p in products]
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(dates), len(dates)))
    n_components, _ = connected_components(graph, directed=False)
    ready = _mart(settings, "select * from marts.mart_timeseries_readiness where aoi = 'sydney'")
    assert len(ready) == 1
    assert ready[0]["good_interferograms"] == len(products) == 17
    assert ready[0]["dates"] == len(dates)
    assert ready[0]["network_components"] == n_components
    assert ready[0]["network_connected"] == (n_components == 1)


@pytest.mark.slow
def test_sarlake_sql_reads_the_marts(built_lake) -> None:
    from click.testing import CliRunner

    from sarlake.cli import cli

    settings, _, _ = built_lake
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SARLAKE_HOME", str(settings.home))
        out = CliRunner().invoke(cli, ["sql", "select count(*) as n from catalogue.marts.mart_product_quality",
                                       "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == [{"n": 17}]


def test_catalog_dag_renders_a_task_per_model_from_the_manifest() -> None:
    from sarlake_plugins.catalog import MANIFEST

    if not MANIFEST.is_file():
        pytest.fail(f"{MANIFEST} missing: make setup writes it (sarlake dbt manifest)")
    manifest = json.loads(MANIFEST.read_text())
    models = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    assert {"mart_product_quality", "mart_aoi_coverage", "mart_pge_runs", "mart_timeseries_readiness",
            "mart_event_response", "mart_archive_status", "mart_failed_runs", "mart_daac_granules"} <= models
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags" / "catalog.py"), safe_mode=False)
    assert bag.import_errors == {}
    dag = bag.dags["catalog"]
    # A model with tests is a task group "<model>.run" + "<model>.test"; one without is a task "<model>_run".
    run_tasks = {t.task_id.split(".")[0].removesuffix("_run") for t in dag.tasks if t.task_id.endswith("run")}
    assert models <= run_tasks, sorted(models - run_tasks)
    assert dag.timetable.__class__.__name__ == "AssetTriggeredTimetable"  # data-aware, not a clock


def test_readiness_counts_network_components() -> None:
    """Two disjoint chains of dates on one track are two components; a group with one pair is not ready."""
    from datetime import date

    import pyarrow as pa

    from sarlake.network import readiness

    d = date.fromisoformat
    pairs = pa.table({
        "aoi": ["x", "x", "x", "y"], "track": [1, 1, 1, 2], "direction": ["A", "A", "A", "D"],
        "secondary_date": [d("2024-01-01"), d("2024-01-13"), d("2024-03-01"), d("2024-01-01")],
        "reference_date": [d("2024-01-13"), d("2024-01-25"), d("2024-03-13"), d("2024-01-13")],
    })
    got = readiness(pairs).to_pylist()
    assert [(r["aoi"], r["good_interferograms"], r["dates"], r["network_components"], r["ready"]) for r in got] == [
        ("x", 3, 5, 2, False), ("y", 1, 2, 1, False)]
    assert readiness(pairs.slice(0, 2)).to_pylist()[0]["ready"] is True
    assert readiness(pairs.slice(0, 0)).num_rows == 0
