"""The forward DAG end to end, through Airflow (`airflow dags test`), on a tiny AOI over the real DEM.

Asserts what an operator and an analyst would check: the run succeeds, products and provenance rows are in
the lake, every product's COGs are valid on disk and match their checksums, the product's LOS displacement
matches the simulator's truth, running the same run again (with reprocessing forced) leaves exactly the same
rows, and bad input fails a task once without retries.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from airflow_harness import airflow_env, migrate_airflow
from airflow_harness import run as _run

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow

#: A small AOI on the flank of Vesuvius, inside the SRTM3 tile shipped with the PGEs.
AOI_BBOX = ["14.40", "40.79", "14.46", "40.84"]
LOGICAL_DATE = "2024-02-10"
#: RMSE bound of the product against the simulated truth (see test_forward_products_match_the_mogi_truth).
BOUND_RMSE_MM = 2.0


@pytest.fixture(scope="module")
def lake_env(tmp_path_factory):
    home = tmp_path_factory.mktemp("forward-e2e")
    env = airflow_env(home)
    _run([BIN / "sarlake", "init"], env)
    _run([BIN / "sarlake", "aoi", "add", "flank", "--bbox", *AOI_BBOX], env)
    migrate_airflow(env)
    return env


def _sql(env, query):
    out = _run([BIN / "sarlake", "sql", query, "--format", "json"], env).stdout
    return json.loads(out)


def _dag_test(env, conf):
    conf = {**conf}
    proc = _run([BIN / "airflow", "dags", "test", "forward", LOGICAL_DATE, "-c", json.dumps(conf)], env, check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-6000:]
    assert "failed" not in [line.split("state=")[-1].split()[0].strip(",") for line in text.splitlines()
                            if "DagRun Finished" in line and "state=" in line], text[-6000:]
    return text


def test_forward_dag_makes_catalogued_products_with_valid_cogs(lake_env):
    import rasterio

    _dag_test(lake_env, {"lookback_days": 24, "pairing_neighbours": 1})
    acquisitions = _sql(lake_env, "SELECT acquisition_id, start_time FROM acquisitions ORDER BY start_time")
    assert len(acquisitions) == 2  # 12-day repeat: 2024-01-27 and 2024-02-08 within 24 days of 2024-02-10
    products = _sql(lake_env, "SELECT * FROM products")
    assert len(products) == 1
    product = products[0]
    assert product["product_type"] == "L2_IFG"
    assert product["aoi"] == "flank"
    assert product["product_id"].startswith("S1-GUNW-A-R-")
    assert product["temporal_baseline_days"] == 12
    assert 0.2 < product["coherence_mean"] <= 1.0
    provenance = _sql(lake_env, "SELECT * FROM provenance")
    assert [p["product_id"] for p in provenance] == [product["product_id"]]
    assert provenance[0]["pge_name"] == "interferogram"

    met_path = Path(product["met_uri"].removeprefix("file://"))
    met = json.loads(met_path.read_text())
    tifs = [a for a in met["assets"].values() if a["href"].endswith(".tif")]
    assert len(tifs) >= 5
    for asset in met["assets"].values():
        path = met_path.parent / asset["href"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == asset["file:checksum"][4:]
        if asset["href"].endswith(".tif"):
            with rasterio.open(path) as ds:
                assert ds.crs.to_epsg() == 4326
                assert ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
                west, south, east, north = ds.bounds
                assert west < float(AOI_BBOX[2]) and east > float(AOI_BBOX[0])
                assert south < float(AOI_BBOX[3]) and north > float(AOI_BBOX[1])


def _pair_of(met: dict) -> tuple[str, str]:
    """(reference, secondary) = (later, earlier) acquisition ids of an interferogram product."""
    props = met["properties"]
    return props["sarlake:reference_id"], props["sarlake:secondary_id"]


def test_forward_products_match_the_mogi_truth(lake_env):
    """The product's LOS displacement against the truth the simulated archive saved beside each SLC.

    The archive puts a Mogi source under every AOI and adds turbulence (3 mm per date), so the product is
    deformation + delays + noise; the truth is geocoded by GDAL from the radar lookups (tests/sim_truth.py),
    never by the PGE. Checked: the RMSE against Mogi + the saved delays (measured 1.72 mm); the least-squares
    factor on the Mogi truth once the delays are removed (1.007); and that no shift of the product by up to
    3 pixels fits the truth better (geocoding). Deliberately broken products measured on the same run:
    sign flipped 7.10 mm / factor -1.74; x2 2.99 mm / 2.38; x0.5 2.72 mm / 0.32; one row off 2.02 mm and
    best shift (0, 0) no longer.
    """
    from sim_truth import los_truth_mm, rmse_mm

    (product,) = _sql(lake_env, "SELECT met_uri FROM products")
    met_path = Path(product["met_uri"].removeprefix("file://"))
    later, earlier = _pair_of(json.loads(met_path.read_text()))
    archive = next(Path(lake_env["SARLAKE_HOME"], "archive").rglob(f"{later}.met.json")).parent.parent
    tif = met_path.parent / "los_displacement.tif"
    import rasterio

    with rasterio.open(tif) as src:
        los = src.read(1).astype(np.float64)
    total = los_truth_mm(archive, later, earlier, tif, "phase_rad")  # Mogi + delays, as LOS mm
    mogi = los_truth_mm(archive, later, earlier, tif, "deformation_los_mm")
    rmse, valid = rmse_mm(los, total)
    ok = np.isfinite(los) & np.isfinite(total)
    delays = total - mogi
    factor = float(np.linalg.lstsq(np.c_[mogi[ok], np.ones(ok.sum())], (los - delays)[ok], rcond=None)[0][0])
    shifts = {(dr, dc): rmse_mm(np.roll(los, (dr, dc), (0, 1)), total)[0] for dr in range(-3, 4) for dc in range(-3, 4)}
    best = min(shifts, key=shifts.__getitem__)
    print(f"forward product vs truth: RMSE {rmse:.2f} mm, Mogi factor {factor:.3f}, best shift {best}, "
          f"Mogi range {np.ptp(mogi[ok]):.1f} mm, valid {valid:.2f}")
    assert valid > 0.5
    assert np.ptp(mogi[ok]) > 3.0  # the Mogi signal is there to be checked
    assert rmse < BOUND_RMSE_MM
    assert abs(factor - 1.0) < 0.15
    assert best == (0, 0), shifts


def test_rerunning_the_same_run_leaves_the_same_rows(lake_env):
    before = _sql(lake_env, "SELECT product_id, met_uri FROM products ORDER BY 1")
    acq_before = _sql(lake_env, "SELECT acquisition_id FROM acquisitions ORDER BY 1")
    sums_before = _sql(lake_env, "SELECT product_id, assets FROM products ORDER BY 1")
    assert before, "the first test makes the products"
    _dag_test(lake_env, {"lookback_days": 24, "pairing_neighbours": 1, "reprocess": True})
    assert _sql(lake_env, "SELECT product_id, met_uri FROM products ORDER BY 1") == before
    # made again, every asset is the same bytes (the sha256 the met.json records): the PGE is deterministic, which
    # lake.placement relies on to tell a copy of an archived product from other content at the same version
    assert _sql(lake_env, "SELECT product_id, assets FROM products ORDER BY 1") == sums_before
    assert all("sarlake:sha256" in a for row in sums_before for a in json.loads(row["assets"]).values())
    assert _sql(lake_env, "SELECT acquisition_id FROM acquisitions ORDER BY 1") == acq_before
    # Each `airflow dags test` is a new run: the product is the same row, and its provenance now records
    # both runs that made it (keyed by product and run, so retries of one run never add a row).
    provenance = _sql(lake_env, "SELECT product_id, run_id FROM provenance ORDER BY started_at")
    assert len(provenance) == 2 * len(before)
    assert len({p["run_id"] for p in provenance}) == 2


def test_reprocessing_a_product_the_roll_archived_makes_the_new_copy_its_cached_one(lake_env, tmp_path, monkeypatch):
    """Reprocess over a product the roll had archived wrote a new hot copy that no row named: the catalogue kept
    pointing at the archive and `archive verify` reported a stale hot copy. Now the copy is the product's cached one.

    Truth: the DAAC's archive files and their sha256 from before (untouched), the folder the roll emptied.
    """
    import hashlib
    import os
    from datetime import UTC, datetime, timedelta

    for key in [k for k in os.environ if k.startswith("SARLAKE_")]:
        monkeypatch.delenv(key)
    for key, value in lake_env.items():
        if key.startswith("SARLAKE_"):
            monkeypatch.setenv(key, value)
    from lake.archive_roll import run_roll
    from lake.archive_verify import verify_archive
    from lake.settings import get_settings
    from sarlake.workflows.daac_simulator import SimulatedDaac

    settings = get_settings()
    (hot,) = _sql(lake_env, "SELECT product_id, uri FROM products")
    daac, later = SimulatedDaac(tmp_path / "daac-state", settings), datetime.now(UTC) + timedelta(days=40)
    for _ in range(3):
        run_roll(settings, now=later)
        daac.serve_folder()
    run_roll(settings, now=later)
    (row,) = _sql(lake_env, "SELECT tier, uri FROM products")
    assert row["tier"] == "archive" and not Path(hot["uri"]).exists()
    def sums(folder: str) -> dict[str, str]:  # every file but the met.json, which records when it was made
        return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in Path(folder).iterdir()
                if not f.name.endswith(".met.json")}

    archived = sums(row["uri"])
    assert len(archived) >= 8  # the product's rasters and browse image

    _dag_test(lake_env, {"lookback_days": 24, "pairing_neighbours": 1, "reprocess": True})
    (row,) = _sql(lake_env, "SELECT product_id, tier, uri, cache_expires_at FROM products")
    assert (row["product_id"], row["tier"], row["uri"]) == (hot["product_id"], "cached", hot["uri"])
    assert row["cache_expires_at"]
    assert verify_archive(settings) == []
    assert sums(hot["uri"]) == archived  # verify_archive re-hashed the archive's copies against the delivery


def _task_instances(env) -> list[dict]:
    """Task instances of the latest forward run, read from Airflow's metadata database."""
    import sqlite3

    db = Path(env["AIRFLOW_HOME"]) / "airflow.db"
    with sqlite3.connect(db) as con:
        con.row_factory = sqlite3.Row
        run = con.execute("SELECT run_id, state FROM dag_run WHERE dag_id = 'forward' ORDER BY id DESC LIMIT 1"
                          ).fetchone()
        tis = con.execute("SELECT task_id, map_index, state, try_number, max_tries FROM task_instance "
                          "WHERE dag_id = 'forward' AND run_id = ?", (run["run_id"],)).fetchall()
    return [{"run_state": run["state"], **dict(t)} for t in tis]


def test_unknown_aoi_fails_the_run_without_retries(lake_env):
    proc = _run([BIN / "airflow", "dags", "test", "forward", LOGICAL_DATE, "-c", json.dumps({"aois": ["nowhere"]})],
                lake_env, check=False)
    text = proc.stdout + proc.stderr
    assert "unknown AOI 'nowhere'" in text and "flank" in text  # the message names the AOIs there are
    tis = {t["task_id"]: t for t in _task_instances(lake_env)}
    select = tis["select_aois"]
    assert select["run_state"] == "failed"
    # failed on its first try and never retried, although the DAG allows 2 retries
    assert (select["state"], select["try_number"], select["max_tries"]) == ("failed", 1, 2), select
    assert tis["discover"]["state"] == "upstream_failed"


def test_pge_invalid_input_fails_the_task_once_without_retries(lake_env):
    """A PGE that exits 2 (INVALID_INPUT) fails its task on the first try; Airflow does not retry it."""
    (product,) = _sql(lake_env, "SELECT met_uri FROM products")
    later, _ = _pair_of(json.loads(Path(product["met_uri"].removeprefix("file://")).read_text()))
    slc = next(Path(lake_env["SARLAKE_HOME"], "archive").rglob(f"{later}/slc.tif"))
    slc.write_bytes(slc.read_bytes()[:5000])  # corrupt: the checksum in its met.json no longer matches
    proc = _run([BIN / "airflow", "dags", "test", "forward", LOGICAL_DATE, "-c",
                 json.dumps({"lookback_days": 24, "pairing_neighbours": 1, "reprocess": True})], lake_env, check=False)
    text = proc.stdout + proc.stderr
    tis = [t for t in _task_instances(lake_env) if t["task_id"] == "interferogram"]
    assert len(tis) == 1, tis
    (ti,) = tis
    assert ti["run_state"] == "failed"
    assert (ti["state"], ti["try_number"], ti["max_tries"]) == ("failed", 1, 2), ti
    assert "exit 2" in text and "INVALID_INPUT" in text and str(slc) in text, text[-4000:]


#: A second tiny AOI for the batched runs (its own frame, so the products above are not touched).
BATCH_BBOX = ["14.43", "40.80", "14.46", "40.83"]


def _ifg_task_instances(env) -> list[dict]:
    import sqlite3

    with sqlite3.connect(Path(env["AIRFLOW_HOME"]) / "airflow.db") as con:
        con.row_factory = sqlite3.Row
        run = con.execute("SELECT run_id FROM dag_run WHERE dag_id = 'forward' ORDER BY id DESC LIMIT 1").fetchone()
        rows = con.execute("SELECT map_index, rendered_map_index, state, try_number, max_tries FROM task_instance "
                           "WHERE dag_id = 'forward' AND run_id = ? AND task_id = 'interferogram'",
                           (run[0],)).fetchall()
    return [{"run_id": run[0], **dict(r)} for r in rows]


def test_batched_pairs_run_in_one_task_and_keep_their_own_products_and_routing(lake_env):
    """batch_size 2: the AOI's two pairs run in one mapped task (one process) and each keeps its product and
    provenance row; then, with one pair's SLC corrupted, the batch fails once without retries (invalid input),
    naming the file, while the other pair's product is still made."""
    _run([BIN / "sarlake", "aoi", "add", "batched", "--bbox", *BATCH_BBOX], lake_env)
    conf = {"aois": ["batched"], "lookback_days": 36, "pairing_neighbours": 1, "batch_size": 2}
    _dag_test(lake_env, conf)
    (ti,) = _ifg_task_instances(lake_env)  # two pairs, one task
    label = ti["rendered_map_index"] or ""
    assert ti["state"] == "success", ti
    assert "(2 runs)" in label, ti
    products = _sql(lake_env, "SELECT product_id, met_uri, reference_acquisition, secondary_acquisition "
                              "FROM products WHERE aoi = 'batched' ORDER BY reference_acquisition")
    assert len(products) == 2
    assert len({(p["reference_acquisition"], p["secondary_acquisition"]) for p in products}) == 2
    prov = _sql(lake_env, f"SELECT product_id, inputs FROM provenance WHERE run_id = '{ti['run_id']}' "
                          "ORDER BY product_id")
    assert [p["product_id"] for p in prov] == sorted(p["product_id"] for p in products)
    for row in prov:  # each product's provenance names its own pair's two SLCs
        met = json.loads(Path(next(p["met_uri"] for p in products if p["product_id"] == row["product_id"])
                              .removeprefix("file://")).read_text())
        later, earlier = _pair_of(met)
        assert len(row["inputs"]) == 2 and later in row["inputs"][0] + row["inputs"][1]
        assert earlier in row["inputs"][0] + row["inputs"][1]

    later, _ = _pair_of(json.loads(Path(products[-1]["met_uri"].removeprefix("file://")).read_text()))
    slc = next(Path(lake_env["SARLAKE_HOME"], "archive").rglob(f"{later}/slc.tif"))
    slc.write_bytes(slc.read_bytes()[:5000])
    mets_before = {p: p.stat().st_mtime for p in Path(lake_env["SARLAKE_HOME"], "products").rglob("*.met.json")}
    rerun = json.dumps({**conf, "reprocess": True})
    proc = _run([BIN / "airflow", "dags", "test", "forward", LOGICAL_DATE, "-c", rerun], lake_env, check=False)
    text = proc.stdout + proc.stderr
    (ti,) = _ifg_task_instances(lake_env)
    assert (ti["state"], ti["try_number"], ti["max_tries"]) == ("failed", 1, 2), ti
    assert "exit 2" in text and "1 of 2 runs failed" in text and str(slc) in text, text[-4000:]
    remade = [p for p in Path(lake_env["SARLAKE_HOME"], "products").rglob("*.met.json")
              if p.stat().st_mtime != mets_before.get(p)]
    assert len(remade) == 1, remade  # the valid pair's product was made again in the failed batch
    assert json.loads(remade[0].read_text())["provenance"]["run_id"] == ti["run_id"]
