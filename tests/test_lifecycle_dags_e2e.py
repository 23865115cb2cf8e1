"""The hot lake's life-cycle DAGs end to end through Airflow (`airflow dags test`) on three real interferograms.

``quality_gate`` quarantines a deliberately damaged interferogram (its phase mostly NaN) and publishes the
others; ``archive_roll`` delivers the published ones to the (simulated) DAAC and leaves the quarantined one
hot; ``maintenance``, with retention from ``SARLAKE_MAINTENANCE__*`` settings only, expires snapshots, deletes
orphans and compacts. Truth: the bytes of the input files, the DAAC's own ledger, the files on disk.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import urllib.parse
from pathlib import Path

import numpy as np
import pytest
from airflow_harness import BIN, airflow_env, migrate_airflow, run

SYD = Path(__file__).parent / "data" / "envisat_sydney_roipac" / "roipac_unw"
pytestmark = pytest.mark.slow


def _damaged_copy(src: Path, folder: Path) -> Path:
    """A copy of a ROI_PAC .unw (BIL: amplitude then phase per line) whose phase is NaN in 5 of 6 lines."""
    width = int(next(line.split()[1] for line in (src.parent / f"{src.name}.rsc").read_text().splitlines()
                     if line.startswith("WIDTH")))
    data = np.fromfile(src, dtype="<f4").reshape(-1, 2, width)
    data[: data.shape[0] * 5 // 6, 1, :] = np.nan
    folder.mkdir(parents=True)
    out = folder / src.name
    data.tofile(out)
    shutil.copy(src.parent / f"{src.name}.rsc", folder / f"{src.name}.rsc")
    return out


def _sql(env, query: str) -> list[dict]:
    return json.loads(run([BIN / "sarlake", "sql", query, "--format", "json"], env).stdout)


def test_quality_gate_archive_roll_and_maintenance_dags(tmp_path) -> None:
    env = airflow_env(tmp_path)
    home = Path(env["SARLAKE_HOME"])
    good = sorted(SYD.glob("*.unw"))[:2]
    bad = _damaged_copy(sorted(SYD.glob("*.unw"))[2], tmp_path / "damaged")
    run([BIN / "sarlake", "init"], env)
    run([BIN / "sarlake", "aoi", "add", "sydney", "--bbox", "150.8", "-34.3", "151.0", "-34.1"], env)
    run([BIN / "sarlake", "ingest", *good, bad, "--aoi", "sydney"], env)
    products = {r["product_id"]: r for r in _sql(env, "SELECT product_id, uri, status FROM products")}
    assert len(products) == 3
    bad_id = next(pid for pid in products if bad.stem.removeprefix("geo_") in pid)
    good_ids = sorted(set(products) - {bad_id})
    hot_bytes = {pid: {p.relative_to(r["uri"]).as_posix(): p.read_bytes()
                       for p in Path(r["uri"]).rglob("*") if p.is_file()} for pid, r in products.items()}
    migrate_airflow(env)

    run([BIN / "airflow", "dags", "test", "quality_gate", "2024-03-01"], env)
    gated = {r["product_id"]: r for r in _sql(env, "SELECT product_id, status, quality_failures FROM products")}
    assert gated[bad_id]["status"] == "quarantined" and "nan_share" in gated[bad_id]["quality_failures"]
    assert {gated[pid]["status"] for pid in good_ids} == {"published"}
    assert (home / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html").is_file()
    # its validations carry the DAG run's id as their Run Name in the Data Docs
    gate_run = _airflow_rows(env, "SELECT run_id FROM dag_run WHERE dag_id = 'quality_gate'")[0][0]
    assert (home / "gx" / "uncommitted" / "validations" / "products" / gate_run).is_dir()

    # an operator checks the quarantined ones again from the trigger form: the damaged one still fails
    run([BIN / "airflow", "dags", "test", "quality_gate", "2024-03-01T01:00:00", "-c",
         json.dumps({"quarantined": True})], env)
    again = {r["product_id"]: r["status"] for r in _sql(env, "SELECT product_id, status FROM products")}
    assert again == {bad_id: "quarantined", **{pid: "published" for pid in good_ids}}
    refused = run([BIN / "airflow", "dags", "test", "quality_gate", "2024-03-01T02:00:00", "-c",
                   json.dumps({"product_ids": ["NOPE"]})], env, check=False)
    assert "quality_gate: product 'NOPE' is not in the catalogue" in refused.stdout + refused.stderr
    tries = _airflow_rows(env, "SELECT state, try_number FROM task_instance WHERE dag_id = 'quality_gate' AND "
                               "task_id = 'gate' AND run_id = (SELECT run_id FROM dag_run WHERE "
                               "dag_id = 'quality_gate' ORDER BY id DESC LIMIT 1)")
    assert tries == [("failed", 1)]  # not retried

    run([BIN / "airflow", "dags", "test", "archive_roll", "2024-03-02", "-c",
         json.dumps({"simulate_daac": True, "hot_retention_days": 0})], env)
    rolled = {r["product_id"]: r for r in _sql(env, "SELECT product_id, tier, uri FROM products")}
    ledger = [json.loads(line) for line in
              (home / "daac" / "simulator" / "ledger.jsonl").read_text().splitlines()]
    assert sorted(e["product"] for e in ledger) == good_ids  # each delivered once; the quarantined one never
    for pid in good_ids:
        assert rolled[pid]["tier"] == "archive" and rolled[pid]["uri"].startswith(str(home / "daac" / "archive"))
        archived = Path(rolled[pid]["uri"])
        assert {n: (archived / n).read_bytes() for n in hot_bytes[pid]} == hot_bytes[pid]
        assert not Path(products[pid]["uri"]).exists()
    assert rolled[bad_id]["tier"] == "hot" and Path(products[bad_id]["uri"]).is_dir()
    steps = _catalog(home).load_table("sarlake.archive_transfers").scan().to_arrow().to_pylist()
    cnm_s = [json.loads(s["message"]) for s in steps if s["step"] == "notified"]
    assert sorted(m["product"]["name"] for m in cnm_s) == good_ids  # one CNM-S per delivery
    assert sorted({s["product_id"] for s in steps if s["step"] == "hot_deleted"}) == good_ids
    assert not [s for s in steps if s["step"] == "failed" or s["product_id"] == bad_id]

    counts = {t: _sql(env, f"SELECT count(*) AS n FROM {t}")[0]["n"] for t in ("products", "archive_transfers")}
    env_m = {**env, "SARLAKE_MAINTENANCE__SNAPSHOT_RETENTION_DAYS": "0", "SARLAKE_MAINTENANCE__RETAIN_LAST": "1",
             "SARLAKE_MAINTENANCE__ORPHAN_RETENTION_HOURS": "0", "SARLAKE_MAINTENANCE__COMPACT_MIN_FILES": "2",
             "SARLAKE_MAINTENANCE__SCORE_REPORT_RETENTION_DAYS": "1"}
    reports = home / "products" / "QA_SCORES"
    for name, age_days in (("qa-old-0000", 2), ("qa-new-0000", 0)):  # qa PGE reports, one past the retention
        (reports / name).mkdir(parents=True)
        (reports / name / "qa.jsonl").write_text("{}\n")
        then = time.time() - age_days * 86400
        os.utime(reports / name / "qa.jsonl", (then, then))
    before = _table_files(home, "archive_transfers")
    assert before["snapshots"] > 1 and len(before["live"]) >= 2
    # the first gate run's products validation made a year old (its result and its page), past the 90 days
    gx_home = home / "gx" / "uncommitted"
    for folder in (gx_home / "validations" / "products" / gate_run, gx_home / "data_docs" / "local_site" /
                   "validations" / "products" / gate_run):
        (run_time,) = list(folder.iterdir())
        run_time.rename(folder / "20230301T000000.000000Z")
    run([BIN / "airflow", "dags", "test", "maintenance", "2024-03-03"], env_m)
    for table in ("products", "archive_transfers", "provenance"):
        after = _table_files(home, table)
        assert after["snapshots"] == 1, table
        assert after["on_disk"] == after["live"], f"{table}: only the current snapshot's data files remain"
    assert len(_table_files(home, "archive_transfers")["live"]) < len(before["live"])  # compacted
    assert {t: _sql(env, f"SELECT count(*) AS n FROM {t}")[0]["n"] for t in counts} == counts
    assert sorted(p.name for p in reports.iterdir()) == ["qa-new-0000"]
    kept = {p.relative_to(gx_home / "validations").parts[:2] for p in (gx_home / "validations").rglob("*.json")}
    assert ("products", gate_run) not in kept
    assert {suite for suite, _ in kept} == {"products", "rasters"}  # the later gate runs' validations stay
    index = (gx_home / "data_docs" / "local_site" / "index.html").read_text()
    linked = {urllib.parse.unquote(run) for run in re.findall(r"validations/products/([^/]+)/", index)}
    assert linked == {run for suite, run in kept if suite == "products"}  # the index rebuilt without it
    assert not list((gx_home / "data_docs" / "local_site" / "validations" / "products" / gate_run).rglob("*.html"))


def _table_files(home: Path, table: str) -> dict:
    """Snapshots and data files of a lake table, read with pyiceberg from the SQLite catalogue under ``home``."""
    t = _catalog(home).load_table(f"sarlake.{table}")
    live = {task.file.file_path.removeprefix("file://") for task in t.scan().plan_files()}
    data_dir = Path(t.location().removeprefix("file://")) / "data"
    on_disk = {str(p) for p in data_dir.rglob("*.parquet")}
    return {"snapshots": len(t.snapshots()), "live": live, "on_disk": on_disk}


def _catalog(home: Path):
    """The lake's Iceberg catalogue under ``home`` (SQLite), opened with pyiceberg, independent of ``lake``."""
    from pyiceberg.catalog.sql import SqlCatalog

    return SqlCatalog("sarlake", uri=f"sqlite:///{home / 'catalog.db'}", warehouse=str(home / "warehouse"))


def _airflow_rows(env, query: str, args=()) -> list[tuple]:
    """Rows of Airflow's own metadata database (SQLite under the test's AIRFLOW_HOME)."""
    import sqlite3

    con = sqlite3.connect(Path(env["AIRFLOW_HOME"]) / "airflow.db")
    try:
        return con.execute(query, args).fetchall()
    finally:
        con.close()


def test_archive_roll_steps_with_nothing_to_do_are_skipped_and_announce_nothing(tmp_path) -> None:
    """Every roll step announced ``archive_transfers`` (catalogue and expire_cache also ``products``) on every
    daily run, whether it moved anything or not, so each idle roll started the catalogue, qa, the gate and the
    time series again. A step with nothing to do is now skipped, which sends no Asset event; the steps after a
    skipped one still run (run 2 selects nothing, yet completes the delivery run 1 started), and runs succeed.
    Truth: Airflow's own records of task states and Asset events, and the product's tier in the lake."""
    env = airflow_env(tmp_path)
    run([BIN / "sarlake", "init"], env)
    run([BIN / "sarlake", "aoi", "add", "sydney", "--bbox", "150.8", "-34.3", "151.0", "-34.1"], env)
    run([BIN / "sarlake", "ingest", sorted(SYD.glob("*.unw"))[0], "--aoi", "sydney"], env)
    (product,) = _sql(env, "SELECT product_id FROM products")
    migrate_airflow(env)

    # run 1: the product is selected, copied, verified and notified; the DAAC has not answered yet
    run([BIN / "airflow", "dags", "test", "archive_roll", "2024-03-02", "-c", json.dumps({"hot_retention_days": 0})],
        env)
    # run 2: nothing new is old enough (the default 30 days); the simulated DAAC answers run 1's CNM-S
    run([BIN / "airflow", "dags", "test", "archive_roll", "2024-03-03", "-c", json.dumps({"simulate_daac": True})],
        env)

    runs = _airflow_rows(env, "SELECT run_id, state FROM dag_run WHERE dag_id = 'archive_roll' ORDER BY id")
    assert [state for _, state in runs] == ["success", "success"]
    moved = {"select", "copy", "verify", "notify"}
    delivered = {"receive", "catalogue", "expire"}
    for (run_id, _), busy in zip(runs, (moved, delivered), strict=True):
        states = dict(_airflow_rows(env, "SELECT task_id, state FROM task_instance WHERE dag_id = 'archive_roll' "
                                         "AND run_id = ?", (run_id,)))
        idle = moved ^ delivered ^ busy | {"expire_cache"}
        assert {t: states[t] for t in busy | idle} == {**dict.fromkeys(busy, "success"),
                                                       **dict.fromkeys(idle, "skipped")}, run_id
        events = _airflow_rows(env, "SELECT e.source_task_id, a.name FROM asset_event e JOIN asset a "
                                    "ON a.id = e.asset_id WHERE e.source_run_id = ?", (run_id,))
        announced = {("catalogue", "sarlake.products")} if busy == delivered else set()
        assert sorted(events) == sorted({(t, "sarlake.archive_transfers") for t in busy} | announced), run_id
    assert _sql(env, "SELECT product_id, tier FROM products") == [{"product_id": product["product_id"],
                                                                    "tier": "archive"}]
