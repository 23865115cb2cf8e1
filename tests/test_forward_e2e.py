"""The forward DAG end to end, through Airflow (`airflow dags test`), on a tiny AOI over the real DEM.

Asserts what an operator and an analyst would check: the run succeeds, products and provenance rows are in
the lake, every product's COGs are valid on disk and match their checksums, and running the same run again
(with reprocessing forced) leaves exactly the same rows.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow

#: A small AOI on the flank of Vesuvius, inside the SRTM3 tile shipped with the PGEs.
AOI_BBOX = ["14.40", "40.79", "14.46", "40.84"]
LOGICAL_DATE = "2024-02-10"


def _run(cmd, env, check=True):
    proc = subprocess.run([str(c) for c in cmd], env=env, capture_output=True, text=True, cwd=ROOT)
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} exited {proc.returncode}:\n{proc.stdout[-5000:]}\n{proc.stderr[-5000:]}")
    return proc


@pytest.fixture(scope="module")
def lake_env(tmp_path_factory):
    home = tmp_path_factory.mktemp("forward-e2e")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SARLAKE_", "AIRFLOW"))}
    env.update({
        "SARLAKE_HOME": str(home / "lake"),
        "AIRFLOW_HOME": str(home / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
    })
    _run([BIN / "sarlake", "init"], env)
    _run([BIN / "sarlake", "aoi", "add", "flank", "--bbox", *AOI_BBOX], env)
    _run([BIN / "airflow", "db", "migrate"], env)
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


def test_rerunning_the_same_run_leaves_the_same_rows(lake_env):
    before = _sql(lake_env, "SELECT product_id, met_uri FROM products ORDER BY 1")
    acq_before = _sql(lake_env, "SELECT acquisition_id FROM acquisitions ORDER BY 1")
    assert before, "the first test makes the products"
    _dag_test(lake_env, {"lookback_days": 24, "pairing_neighbours": 1, "reprocess": True})
    assert _sql(lake_env, "SELECT product_id, met_uri FROM products ORDER BY 1") == before
    assert _sql(lake_env, "SELECT acquisition_id FROM acquisitions ORDER BY 1") == acq_before
    # Each `airflow dags test` is a new run: the product is the same row, and its provenance now records
    # both runs that made it (keyed by product and run, so retries of one run never add a row).
    provenance = _sql(lake_env, "SELECT product_id, run_id FROM provenance ORDER BY started_at")
    assert len(provenance) == 2 * len(before)
    assert len({p["run_id"] for p in provenance}) == 2


def test_unknown_aoi_fails_the_run_without_retries(lake_env):
    proc = _run([BIN / "airflow", "dags", "test", "forward", LOGICAL_DATE, "-c", json.dumps({"aois": ["nowhere"]})],
                lake_env, check=False)
    text = proc.stdout + proc.stderr
    assert "unknown AOI 'nowhere'" in text
    assert "flank" in text
