"""AOIs: validation and storage."""

from __future__ import annotations

import json

import pytest

from lake.exceptions import InvalidAOIError


@pytest.fixture
def lake(settings):
    from lake.catalog import init_lake

    init_lake(settings)
    return settings


def test_add_and_list(lake) -> None:
    from lake.aoi import add_aoi, list_aois

    a = add_aoi("vesuvius", bbox=(14.3, 40.7, 14.6, 40.9), tracks=[117, 44], settings=lake)
    assert a.bbox == (14.3, 40.7, 14.6, 40.9) and a.tracks == [44, 117] and a.created_at is not None
    add_aoi("old", bbox=(0, 0, 1, 1), active=False, settings=lake)
    assert [x.name for x in list_aois(settings=lake)] == ["vesuvius"]
    assert [x.name for x in list_aois(active_only=False, settings=lake)] == ["old", "vesuvius"]
    d = list_aois(settings=lake)[0].to_dict()
    assert json.loads(json.dumps(d))["name"] == "vesuvius"
    add_aoi("vesuvius", bbox=(14.3, 40.7, 14.6, 40.9), tracks=[44], settings=lake)  # update, no duplicate
    assert [x.tracks for x in list_aois(settings=lake)] == [[44]]


def test_geojson(lake, tmp_path) -> None:
    from lake.aoi import add_aoi

    poly = {"type": "Polygon", "coordinates": [[[10, 40], [11, 40], [11, 41], [10, 40]]]}
    path = tmp_path / "a.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": poly}]}))
    a = add_aoi("tri", geojson=str(path), settings=lake)
    assert a.bbox == (10.0, 40.0, 11.0, 41.0) and a.geometry_wkt.startswith("POLYGON")


BOWTIE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"name": "bad name!", "bbox": (0, 0, 1, 1)}, "AOI name .bad name!. is not valid"),
    ({"name": "a", "bbox": (1, 0, 0, 1)}, "W < E"),
    ({"name": "a", "bbox": (179.5, 0, -179.5, 1)}, r"W > E would cross the antimeridian: add one AOI on each side"),
    # drawn the short way across 180 degrees, and split at it as RFC 7946 asks: both became a 359-degree box
    ({"name": "a", "geojson": {"type": "Polygon", "coordinates": [[[179.5, -17], [-179.5, -17], [-179.5, -16],
                                                                   [179.5, -16], [179.5, -17]]]}},
     r"spans 359.0 degrees of longitude \(-179.5 to 179.5\): it crosses the antimeridian"),
    ({"name": "a", "geojson": {"type": "MultiPolygon", "coordinates": [
        [[[179.5, -17], [180, -17], [180, -16], [179.5, -16], [179.5, -17]]],
        [[[-180, -17], [-179.5, -17], [-179.5, -16], [-180, -16], [-180, -17]]]]}}, "crosses the antimeridian"),
    ({"name": "a", "bbox": (0, 1, 1, 0)}, "S < N"),
    ({"name": "a", "bbox": (0, 0, 200, 1)}, "outside lon"),
    ({"name": "a", "bbox": (0, -95, 1, 1)}, "outside lon"),
    ({"name": "a", "geojson": BOWTIE}, "Self-intersection"),
    ({"name": "a", "geojson": {"type": "Polygon", "coordinates": []}}, "empty"),
    ({"name": "a", "geojson": {"type": "Point", "coordinates": [0, 0]}}, "Polygon"),
    ({"name": "a"}, "exactly one"),
    ({"name": "a", "bbox": (0, 0, 1, 1), "tracks": [999]}, "tracks"),
])
def test_invalid_aois_write_nothing(lake, kwargs, match) -> None:
    from lake.aoi import add_aoi, list_aois

    with pytest.raises(InvalidAOIError, match=match) as err:
        add_aoi(settings=lake, **kwargs)
    assert "\n" not in str(err.value)
    assert list_aois(active_only=False, settings=lake) == []


def test_cli_aoi(lake) -> None:
    from click.testing import CliRunner

    from sarlake.cli import cli

    runner = CliRunner()
    out = runner.invoke(cli, ["aoi", "add", "etna", "--bbox", "14.8", "37.6", "15.2", "37.9", "--track", "44"])
    assert out.exit_code == 0, out.output
    out = runner.invoke(cli, ["aoi", "add", "x", "--bbox", "2", "0", "1", "1"])
    assert out.exit_code == 2 and out.output.startswith("error: bbox must have W < E")
    assert "etna" in runner.invoke(cli, ["aoi", "list"]).output
