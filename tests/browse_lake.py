"""A small lake for the browse UI tests: 2 AOIs, 6 interferograms with files, QA predictions and tags.

The rows are the truth the tests check the UI against: ``PREDICTED`` (UWE class per product), ``AOI_OF``,
``TAGS`` (user, product, tag). Raster layers and browse images are tiny synthetic arrays written with rasterio
and Pillow (no PGE run: the browse UI reads what the lake and the products root hold, whatever made them).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

#: product -> predicted UWE class (qa_predictions.uwe_class)
PREDICTED = {"IFG_A_01": 0, "IFG_A_02": 1, "IFG_A_03": 3, "IFG_B_01": 0, "IFG_B_02": 2, "IFG_B_03": 3}
AOI_OF = {p: ("sydney" if "_A_" in p else "hawaii") for p in PREDICTED}
AOIS = {"sydney": (150.0, -34.5, 151.5, -33.0), "hawaii": (-156.0, 18.9, -154.8, 20.3)}
#: (user, product, tag) given before any UI action
TAGS = [("ann", "IFG_A_03", "UWE_3"), ("bob", "IFG_A_03", "UWE_3"), ("ann", "IFG_B_02", "TNT_1")]
#: products.tier as lake.archive_roll / lake.archive_cache write it (others: null = hot)
TIER = {"IFG_A_01": "archive", "IFG_B_01": "cached"}
#: PGE version of each product (the rest: 1.2.0)
OLD_PGE = {"IFG_A_01": "1.1.0", "IFG_B_01": "1.1.0"}
#: an urgent-response event and the AOI it made (sarlake.workflows.urgent.aoi_name): the sydney products
EVENT = ("us7000test", "sydney")


def _poly(w: float, s: float, e: float, n: float) -> str:
    return f"POLYGON(({w} {s}, {e} {s}, {e} {n}, {w} {n}, {w} {s}))"


def _write_files(folder: Path, seed: int) -> dict[str, Any]:
    import rasterio
    from PIL import Image
    from rasterio.transform import from_origin

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:64, 0:64]
    layers = {"unwrapped_phase": (x + y) / 8.0 + rng.normal(0, 0.1, (64, 64)),
              "coherence": np.clip(rng.uniform(0.2, 1.0, (64, 64)), 0, 1),
              "connected_components": (x // 32 + 1).astype("float64")}
    assets: dict[str, Any] = {}
    for name, arr in layers.items():
        with rasterio.open(folder / f"{name}.tif", "w", driver="GTiff", width=64, height=64, count=1,
                           dtype="float32", crs="EPSG:4326", transform=from_origin(150, -33, 0.01, 0.01)) as dst:
            dst.write(arr.astype("float32"), 1)
        assets[name] = {"href": f"{name}.tif", "type": "image/tiff; application=geotiff", "roles": ["data"]}
    rgb = np.stack([(np.sin(layers["unwrapped_phase"]) * 127 + 128)] * 3, axis=-1).astype("uint8")
    Image.fromarray(rgb).save(folder / "browse.png")
    assets["browse"] = {"href": "browse.png", "type": "image/png", "roles": ["overview"]}
    return assets


def build(settings: Any) -> None:
    """Fill the (initialised or not) lake of ``settings`` and its products root."""
    from lake.catalog import init_lake
    from lake.consensus import refresh_consensus
    from lake.tags import Tag, add_tags
    from lake.write import upsert

    init_lake(settings)
    root = Path(settings.products_root)
    upsert("aois", [{"name": n, "geometry_wkt": _poly(*b), "west": b[0], "south": b[1], "east": b[2],
                     "north": b[3], "active": True} for n, b in AOIS.items()], settings)
    products, preds = [], []
    for i, (pid, uwe) in enumerate(sorted(PREDICTED.items())):
        w, s, e, n = AOIS[AOI_OF[pid]]
        ref = date(2024, 1, 1) + timedelta(days=12 * (i + 1))
        folder = root / pid
        assets = _write_files(folder, i)
        met = {"id": pid, "type": "Feature", "properties": {"sarlake:reference_date": ref.isoformat()}}
        (folder / f"{pid}.met.json").write_text(json.dumps(met))
        products.append({
            "product_id": pid, "product_type": "L2_IFG", "track": 44 if AOI_OF[pid] == "sydney" else 87,
            "direction": "A" if AOI_OF[pid] == "sydney" else "D", "aoi": AOI_OF[pid],
            "reference_date": ref, "secondary_date": ref - timedelta(days=12 * (1 + i % 2)),
            "start_time": datetime(ref.year, ref.month, ref.day, tzinfo=UTC),
            "west": w + 0.1, "south": s + 0.1, "east": e - 0.1, "north": n - 0.1,
            "footprint_wkt": _poly(w + 0.1, s + 0.1, e - 0.1, n - 0.1),
            "coherence_mean": 0.15 + 0.15 * i, "temporal_baseline_days": 12 * (1 + i % 2),
            "p_error": [0.05, 0.2, 0.95, 0.04, 0.6, 0.97][i], "status": "published",
            "uri": str(folder), "met_uri": str(folder / f"{pid}.met.json"), "assets": json.dumps(assets),
            "pge_name": "interferogram", "pge_version": OLD_PGE.get(pid, "1.2.0"), "run_id": f"manual__{pid}",
            "tier": TIER.get(pid),
        })
        preds.append({"product_id": pid, "model_name": "sarlake-qa-uwe", "model_version": "3",
                      "p_error": products[-1]["p_error"], "uwe_class": uwe, "degraded": False,
                      "predicted_at": datetime(2024, 6, 1, tzinfo=UTC)})
    upsert("products", products, settings)
    upsert("provenance", [{"product_id": p["product_id"], "run_id": p["run_id"], "pge_name": "interferogram",
                           "pge_version": p["pge_version"], "inputs": [f"SLC_{p['secondary_date']:%Y%m%d}",
                                                                       f"SLC_{p['reference_date']:%Y%m%d}"]}
                          for p in products], settings)
    upsert("qa_predictions", preds, settings)
    upsert("events", [{"event_id": EVENT[0], "source": "usgs", "time": datetime(2024, 1, 10, tzinfo=UTC),
                       "magnitude": 6.4, "decision": "trigger", "aoi": EVENT[1], "processing": "done"}], settings)
    add_tags([Tag.of(p, t, u) for u, p, t in TAGS], settings)
    refresh_consensus(settings)


#: an L3 time series of the sydney AOI: its id, first and last dates (not part of :func:`build`)
SERIES = ("L3-TS-sydney-20240113_20240312-0123456789ab", date(2024, 1, 13), date(2024, 3, 12))


def add_time_series(settings: Any, orbit: tuple[int, str] | None = None) -> str:
    """Catalogue :data:`SERIES` as the timeseries DAG does: from a met.json with the timeseries PGE's
    properties (a span, no pair dates; ``orbit``: its ``sat:relative_orbit`` and ``sat:orbit_state``). Returns
    its id."""
    from lake.catalogue import catalogue_products

    pid, first, last = SERIES
    folder = Path(settings.products_root) / pid
    assets = _write_files(folder, 99)
    w, s, e, n = AOIS["sydney"]
    props: dict[str, Any] = {"start_datetime": f"{first}T00:00:00Z", "end_datetime": f"{last}T00:00:00Z",
                             "sarlake:product_type": "L3_TS", "sarlake:aoi": "sydney",
                             "sarlake:dates": [first.isoformat(), last.isoformat()]}
    if orbit:
        props.update({"sat:relative_orbit": orbit[0], "sat:orbit_state": orbit[1]})
    met = {"type": "Feature", "stac_version": "1.0.0", "id": pid, "bbox": [w, s, e, n],
           "geometry": {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]},
           "properties": props, "assets": assets,
           "provenance": {"pge_name": "timeseries", "pge_version": "1.0.0", "started_at": "2024-06-01T00:00:00Z",
                          "run_id": "manual__timeseries", "inputs": []}}
    (folder / f"{pid}.met.json").write_text(json.dumps(met))
    catalogue_products([str(folder / f"{pid}.met.json")], settings=settings)
    return pid
