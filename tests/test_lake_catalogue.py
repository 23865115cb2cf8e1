"""Cataloguing met.json files into products + provenance."""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path

import pytest

from lake.exceptions import ProductMetadataError

PID = "S1-GUNW-A-R-044-tops-20240115_20240103-050000-01445E_04080N-PP-1a2b-v0_1_0"


def met(pid: str = PID) -> dict:
    return {
        "type": "Feature", "stac_version": "1.0.0", "id": pid,
        "geometry": {"type": "Polygon", "coordinates": [[[14.3, 40.7], [14.6, 40.7], [14.6, 40.9], [14.3, 40.9],
                                                          [14.3, 40.7]]]},
        "bbox": [14.3, 40.7, 14.6, 40.9],
        "properties": {
            "datetime": None, "start_datetime": "2024-01-03T05:00:00Z", "end_datetime": "2024-01-15T05:00:27Z",
            "sarlake:product_type": "L2_IFG", "platform": "sentinel-1a", "sat:relative_orbit": 44,
            "sat:orbit_state": "ascending", "sarlake:aoi": "vesuvius", "sarlake:reference_date": "2024-01-15",
            "sarlake:secondary_date": "2024-01-03", "sarlake:temporal_baseline_days": 12,
            "sarlake:perpendicular_baseline_m": 35.2, "sarlake:coherence_mean": 0.71,
            "sarlake:unwrapped_fraction": 0.98, "sarlake:version": "0.1.0"},
        "assets": {"unwrapped_phase": {"href": "unw.tif", "roles": ["data"], "sarlake:sha256": "ab"}},
        "links": [],
        "provenance": {"pge_name": "interferogram", "pge_version": "0.1.0", "pge_image": None, "run_id": "manual-1",
                       "inputs": ["file:///a.met.json", "file:///b.met.json"], "parameters": {"looks": 4},
                       "started_at": "2024-03-01T00:00:00Z", "finished_at": "2024-03-01T00:01:00Z", "host": "h"},
    }


def write(folder: Path, doc: dict) -> str:
    path = folder / doc.get("id", "x") / f"{doc.get('id', 'x')}.met.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(doc))
    return str(path)


@pytest.fixture
def lake(settings):
    from lake.catalog import init_lake

    init_lake(settings)
    return settings


def test_catalogue_products(lake, tmp_path) -> None:
    from lake.catalog import load_table
    from lake.catalogue import catalogue_products

    uri = write(tmp_path, met())
    ctx = {"dag_id": "forward", "task_id": "catalogue", "runner": "local"}
    assert catalogue_products([uri], ctx, lake) == [PID]
    assert catalogue_products(["file://" + uri], ctx, lake) == [PID]  # file:// works too
    rows = load_table("products", lake).scan().to_arrow().to_pylist()
    assert len(rows) == 1
    row = rows[0]
    assert (row["track"], row["direction"], row["product_type"], row["status"]) == (44, "A", "L2_IFG", "pending")
    assert str(row["reference_date"]) == "2024-01-15" and row["temporal_baseline_days"] == 12
    assert row["uri"].endswith(PID) and json.loads(row["assets"])["unwrapped_phase"]["href"] == "unw.tif"
    prov = load_table("provenance", lake).scan().to_arrow().to_pylist()
    assert len(prov) == 1
    assert (prov[0]["run_id"], prov[0]["dag_id"], prov[0]["inputs"]) == (
        "manual-1", "forward", ["file:///a.met.json", "file:///b.met.json"])
    assert json.loads(prov[0]["parameters"]) == {"looks": 4}


@pytest.mark.parametrize("drop", ["id", "bbox", "properties.start_datetime", "properties.sarlake:product_type",
                                  "provenance.pge_name"])
def test_invalid_met_json_writes_nothing(lake, tmp_path, drop: str) -> None:
    from lake.catalog import load_table
    from lake.catalogue import catalogue_products

    good = write(tmp_path, met("GOOD"))
    doc = met("BAD")
    node = doc
    *parents, leaf = drop.split(".")
    for p in parents:
        node = node[p]
    del node[leaf]
    bad = write(tmp_path, doc)
    with pytest.raises(ProductMetadataError) as err:
        catalogue_products([good, bad], None, lake)
    assert bad in str(err.value) and leaf in str(err.value)
    assert load_table("products", lake).scan().to_arrow().num_rows == 0
    assert load_table("provenance", lake).scan().to_arrow().num_rows == 0


def test_unreadable_met_json(lake, tmp_path) -> None:
    from lake.catalogue import catalogue_products

    with pytest.raises(ProductMetadataError, match="cannot read"):
        catalogue_products([str(tmp_path / "missing.met.json")], None, lake)
    (tmp_path / "x.met.json").write_text("{not json")
    with pytest.raises(ProductMetadataError, match="not valid JSON"):
        catalogue_products([str(tmp_path / "x.met.json")], None, lake)


def test_record_acquisitions(lake) -> None:
    from datetime import datetime

    from lake.aoi import AOI
    from lake.catalog import load_table
    from lake.catalogue import record_acquisitions
    from lake.sources import SimulatedArchive

    aoi = AOI(name="v", geometry_wkt="", bbox=(14.3, 40.7, 14.6, 40.9))
    recs = SimulatedArchive(lake).search(aoi, datetime(2024, 1, 1, tzinfo=UTC),
                                        datetime(2024, 2, 1, tzinfo=UTC))
    assert record_acquisitions(recs, lake).inserted == 3
    first = load_table("acquisitions", lake).scan().to_arrow().column("discovered_at").to_pylist()
    again = record_acquisitions(recs, lake)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert load_table("acquisitions", lake).scan().to_arrow().column("discovered_at").to_pylist() == first
