"""The urgent_response DAG end to end through Airflow (`airflow dags test`), on the demo scene.

A feed holds one hypothetical earthquake under Vesuvius (inside the SRTM3 tile that ships with the PGEs),
M6.2 with PAGER orange at 8 km: the default rules trigger it. The DAG must record it, stage the last
acquisition before and the first after the origin time, form the coseismic interferogram and catalogue it;
the product's LOS displacement must match the simulator's saved truth (which holds the event's Okada
deformation), and a revision of the event in a later feed must not start the work again.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from airflow_harness import airflow_env
from airflow_harness import run as _run

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow

ORIGIN_MS = 1706788800000  # 2024-02-01T12:00:00Z, between the simulated track-44 passes of 01-27 and 02-08
EVENT = {
    "type": "Feature",
    "id": "sl2024vesu",
    "properties": {"mag": 6.2, "place": "hypothetical event under Vesuvius", "time": ORIGIN_MS,
                   "updated": ORIGIN_MS + 600_000, "alert": "orange", "status": "reviewed", "type": "earthquake",
                   "net": "sl", "magType": "mww"},
    "geometry": {"type": "Point", "coordinates": [14.43, 40.82, 8.0]},
}


def _feed(path: Path, *features) -> str:
    path.write_text(json.dumps({"type": "FeatureCollection", "metadata": {"count": len(features)},
                                "features": list(features)}))
    return str(path)


@pytest.fixture(scope="module")
def lake_env(tmp_path_factory):
    home = tmp_path_factory.mktemp("urgent-e2e")
    env = airflow_env(home)
    _run([BIN / "sarlake", "init"], env)
    _run([BIN / "airflow", "db", "migrate"], env)
    env["_FEEDS"] = str(home)
    return env


def _sql(env, query):
    return json.loads(_run([BIN / "sarlake", "sql", query, "--format", "json"], env).stdout)


def _dag_test(env, conf):
    proc = _run([BIN / "airflow", "dags", "test", "urgent_response", "-c", json.dumps(conf)], env, check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-6000:]
    assert "state=failed" not in text.replace(" ", ""), text[-6000:]
    return text


def test_an_event_in_the_feed_becomes_a_catalogued_coseismic_interferogram(lake_env):
    from pges.raster import read_raster

    feed = _feed(Path(lake_env["_FEEDS"]) / "feed1.geojson", EVENT)
    _dag_test(lake_env, {"feed_url": feed})
    events = _sql(lake_env, "SELECT event_id, decision, reason, processing, aoi, radius_km FROM events")
    assert len(events) == 1
    event = events[0]
    assert (event["decision"], event["processing"], event["aoi"]) == ("trigger", "done", "eq-sl2024vesu")
    assert "M6.2 >= 6 with PAGER orange" in event["reason"] and event["radius_km"] == pytest.approx(90.0)
    products = _sql(lake_env, "SELECT * FROM products")
    assert len(products) == 1
    product = products[0]
    assert product["aoi"] == "eq-sl2024vesu" and product["product_type"] == "L2_IFG"
    assert str(product["secondary_date"]) == "2024-01-27" and str(product["reference_date"]) == "2024-02-08"
    prov = _sql(lake_env, "SELECT dag_id FROM provenance")
    assert [p["dag_id"] for p in prov] == ["urgent_response"]

    # the product against the simulator's truth: post minus pre LOS deformation, geocoded like the product
    import rasterio

    from pges.interferogram.config import InterferogramParameters
    from pges.interferogram.geocode import geocode, geogrid_for, multilook_mean, radar_coords

    met_path = Path(product["met_uri"].removeprefix("file://"))
    with rasterio.open(met_path.parent / "los_displacement.tif") as src:
        los = src.read(1).astype(np.float64)
    acqs = _sql(lake_env, "SELECT uri FROM acquisitions ORDER BY start_time")
    pre, post = (Path(a["uri"]).parent for a in acqs)
    d0 = read_raster(pre / "truth/deformation_los_mm.tif").astype(np.float64)
    d1 = read_raster(post / "truth/deformation_los_mm.tif").astype(np.float64)
    lat, lon = read_raster(pre / "lat.tif"), read_raster(pre / "lon.tif")
    p = InterferogramParameters(looks_range=4, looks_azimuth=4)
    lat_ml, lon_ml = multilook_mean(lat, 4, 4), multilook_mean(lon, 4, 4)
    truth = geocode(multilook_mean(d1 - d0, 4, 4), radar_coords(lat_ml, lon_ml, geogrid_for(lat_ml, lon_ml,
                                                                                            p.posting_deg)))
    ok = np.isfinite(los) & np.isfinite(truth)
    assert ok.mean() > 0.5
    assert np.ptp(truth[ok]) > 100, "the post-event scene carries the event's Okada deformation (> 10 cm LOS)"
    diff = los[ok] - truth[ok]
    diff -= np.median(diff)
    assert np.median(np.abs(diff)) < 5.0  # mm; most of the scene unwraps to the truth


def test_a_revision_does_not_start_the_work_again(lake_env):
    revised = json.loads(json.dumps(EVENT))
    revised["properties"]["mag"] = 6.3
    revised["properties"]["updated"] += 3_600_000
    feed = _feed(Path(lake_env["_FEEDS"]) / "feed2.geojson", revised)
    text = _dag_test(lake_env, {"feed_url": feed})
    event = _sql(lake_env, "SELECT magnitude, processing, reason FROM events")[0]
    assert event["magnitude"] == 6.3 and event["processing"] == "done"
    assert "nothing new started" in event["reason"]
    assert len(_sql(lake_env, "SELECT product_id FROM products")) == 1
    assert len(_sql(lake_env, "SELECT run_id FROM provenance")) == 1, "no second interferogram run"
    assert "Running PGE" not in text, "a revision ran a PGE"
