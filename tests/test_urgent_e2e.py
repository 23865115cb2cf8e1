"""The urgent_response DAG end to end through Airflow (`airflow dags test`), on the demo scene.

A feed holds one hypothetical earthquake under Vesuvius (inside the SRTM3 tile that ships with the PGEs),
M6.2 with PAGER orange at 8 km: the default rules trigger it. The DAG must record it, stage the last
acquisition before and the first after the origin time, form the coseismic interferogram and catalogue it;
the product's LOS displacement must match the simulator's saved truth (which holds the event's Okada
deformation), and a revision of the event in a later feed must not start the work again.

QA: the first run has no champion in the MLflow registry, so its ``catalogue_and_qa`` task catalogues the
product and succeeds without scoring (the run succeeds and the product is delivered), its log naming the
model, the alias and how to train one; with a champion registered, the next run scores the product left
unscored (``qa_predictions``, ``products.p_error``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from pathlib import Path

import numpy as np
import pytest
from airflow_harness import airflow_env, migrate_airflow
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
    migrate_airflow(env)
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


def _task_states(env, task_id):
    """States of ``task_id`` in the urgent_response runs, oldest run first (Airflow's own records)."""
    con = sqlite3.connect(Path(env["AIRFLOW_HOME"]) / "airflow.db")
    rows = con.execute("SELECT ti.state FROM task_instance ti JOIN dag_run r ON r.run_id = ti.run_id "
                       "AND r.dag_id = ti.dag_id WHERE ti.dag_id = 'urgent_response' AND ti.task_id = ? "
                       "ORDER BY r.id", [task_id]).fetchall()
    con.close()
    return [r[0] for r in rows]


def _asset_events(env, name):
    """How many events Airflow recorded for the Asset ``name`` (what wakes the DAGs scheduled on it)."""
    con = sqlite3.connect(Path(env["AIRFLOW_HOME"]) / "airflow.db")
    (n,) = con.execute("SELECT count(*) FROM asset_event e JOIN asset a ON a.id = e.asset_id WHERE a.name = ?",
                       [name]).fetchone()
    con.close()
    return n


def _logs(env, text):
    """The run's console output plus every task log file Airflow wrote."""
    files = sorted((Path(env["AIRFLOW_HOME"]) / "logs").rglob("*.log"))
    return text + "".join(f.read_text(errors="replace") for f in files)


def _los_and_truth(env, met_uri):
    """The product's LOS displacement (mm) and the simulator's post-minus-pre truth geocoded on its grid."""
    import rasterio

    from pges.interferogram.config import InterferogramParameters
    from pges.interferogram.geocode import geocode, geogrid_for, multilook_mean, radar_coords
    from pges.raster import read_raster

    met_path = Path(met_uri.removeprefix("file://"))
    with rasterio.open(met_path.parent / "los_displacement.tif") as src:
        los = src.read(1).astype(np.float64)
    acqs = _sql(env, "SELECT uri FROM acquisitions ORDER BY start_time")
    pre, post = (Path(a["uri"]).parent for a in acqs)
    d0 = read_raster(pre / "truth/deformation_los_mm.tif").astype(np.float64)
    d1 = read_raster(post / "truth/deformation_los_mm.tif").astype(np.float64)
    lat, lon = read_raster(pre / "lat.tif"), read_raster(pre / "lon.tif")
    p = InterferogramParameters(looks_range=4, looks_azimuth=4)
    lat_ml, lon_ml = multilook_mean(lat, 4, 4), multilook_mean(lon, 4, 4)
    grid = geogrid_for(lat_ml, lon_ml, p.posting_deg)
    return los, geocode(multilook_mean(d1 - d0, 4, 4), radar_coords(lat_ml, lon_ml, grid))


def test_an_event_in_the_feed_becomes_a_catalogued_coseismic_interferogram(lake_env):
    feed = _feed(Path(lake_env["_FEEDS"]) / "feed1.geojson", EVENT)
    text = _dag_test(lake_env, {"feed_url": feed})
    # no QA champion yet: the product is catalogued, the log says what is missing and how to train it; the run
    # succeeds
    assert _task_states(lake_env, "catalogue_and_qa") == ["success"]
    logs = _logs(lake_env, text)
    assert "no 'champion' version of the QA model 'sarlake-qa-uwe'" in logs and "qa_train DAG" in logs
    assert "delivered unscored" in logs
    assert _sql(lake_env, "SELECT count(*) AS n FROM qa_predictions")[0]["n"] == 0
    # nothing scored: the reprocess DAG (scheduled on qa_predictions) is not woken, products are announced
    assert _asset_events(lake_env, "sarlake.qa_predictions") == 0
    assert _asset_events(lake_env, "sarlake.products") >= 1
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
    los, truth = _los_and_truth(lake_env, product["met_uri"])
    ok = np.isfinite(los) & np.isfinite(truth)
    assert ok.mean() > 0.5
    assert np.ptp(truth[ok]) > 100, "the post-event scene carries the event's Okada deformation (> 10 cm LOS)"
    diff = los[ok] - truth[ok]
    diff -= np.median(diff)
    assert np.median(np.abs(diff)) < 5.0  # mm; most of the scene unwraps to the truth


def test_a_revision_does_not_start_the_work_again_and_qa_scores_the_unscored_product(lake_env, monkeypatch):
    from qa_champion import register_champion

    for key in [k for k in os.environ if k.startswith("SARLAKE_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("SARLAKE_HOME", lake_env["SARLAKE_HOME"])
    champion = register_champion()
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
    # the champion now exists: the product delivered unscored is scored by it
    assert _task_states(lake_env, "catalogue_and_qa") == ["success", "success"]
    scored = _sql(lake_env, "SELECT q.product_id, q.model_name, q.model_version, q.p_error, p.p_error AS on_product "
                            "FROM qa_predictions q JOIN products p USING (product_id)")
    assert len(scored) == 1 and scored[0]["product_id"] == _sql(lake_env, "SELECT product_id FROM products")[0][
        "product_id"]
    assert (scored[0]["model_name"], str(scored[0]["model_version"])) == ("sarlake-qa-uwe", champion)
    assert 0.0 <= scored[0]["p_error"] <= 1.0 and scored[0]["on_product"] == pytest.approx(scored[0]["p_error"])
    assert _asset_events(lake_env, "sarlake.qa_predictions") == 1, "the scores are announced once"


def test_an_operator_reprocesses_the_coseismic_product_through_the_pge_task(lake_env):
    """The reprocess DAG re-unwraps with the other unwrapper as a PGE run (a subprocess here, a pod on Kubernetes).

    Truth: the original's inputs and parameters (its provenance), the installed PGE version, the champion's
    scores of both versions (qa_predictions), and the simulator's deformation for the new product.
    """
    from pges import __version__

    original = _sql(lake_env, "SELECT product_id FROM products")[0]["product_id"]
    proc = _run([BIN / "airflow", "dags", "test", "reprocess", "-c", json.dumps({"product_ids": [original]})],
                lake_env, check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "state=failed" not in text.replace(" ", ""), text[-6000:]
    con = sqlite3.connect(Path(lake_env["AIRFLOW_HOME"]) / "airflow.db")
    states = dict(con.execute("SELECT task_id, state FROM task_instance WHERE dag_id = 'reprocess'").fetchall())
    con.close()
    assert states == {"check_conf": "success", "plan": "success", "interferogram_runs": "success",
                      "interferogram": "success", "unwrap_runs": "success", "unwrap": "skipped",  # nothing to unwrap
                      "catalogue": "success", "score": "success", "record": "success"}
    assert "Running PGE interferogram" in _logs(lake_env, text), "the re-unwrap ran as a PGE subprocess"
    assert "Running PGE qa" in _logs(lake_env, text), "the re-scoring ran as a PGE subprocess"

    prov = {r["product_id"]: r for r in _sql(
        lake_env, "SELECT product_id, pge_name, pge_version, inputs, parameters, dag_id, task_id FROM provenance")}
    new = next(p for p in prov if p != original)
    assert prov[new]["dag_id"] == "reprocess" and prov[new]["pge_name"] == "interferogram"
    assert prov[new]["pge_version"] == __version__  # the version that ran (the installed one: runner local)
    assert list(prov[new]["inputs"]) == list(prov[original]["inputs"])
    old_params, new_params = json.loads(prov[original]["parameters"]), json.loads(prov[new]["parameters"])
    assert old_params["unwrap"]["method"] == "snaphu" and new_params["unwrap"]["method"] == "quality"

    scores = {r["product_id"]: r["p_error"] for r in _sql(lake_env, "SELECT product_id, p_error FROM qa_predictions")}
    lineage = {r["product_id"]: r for r in _sql(lake_env, "SELECT * FROM product_lineage")}
    assert set(lineage) == {original, new} and all(r["original_id"] == original for r in lineage.values())
    assert lineage[new]["reason"] == "requested" and lineage[new]["p_error"] == pytest.approx(scores[new])
    better = min((original, new), key=lambda p: scores[p])
    assert [p for p, r in lineage.items() if r["is_default"]] == [better]

    # the re-unwrapped product still carries the earthquake: compare with the simulator's truth
    met = _sql(lake_env, f"SELECT met_uri FROM products WHERE product_id = '{new}'")[0]["met_uri"]
    los, truth = _los_and_truth(lake_env, met)
    ok = np.isfinite(los) & np.isfinite(truth)
    diff = los[ok] - truth[ok]
    diff -= np.median(diff)
    assert ok.mean() > 0.5 and np.median(np.abs(diff)) < 5.0  # mm
