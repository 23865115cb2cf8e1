"""`{}` and other non-geometries as GeoJSON AOIs: one line naming the file and the field (issue 14.5)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from lake.aoi import validate_geometry
from lake.exceptions import InvalidAOIError


@pytest.mark.parametrize("doc", [{}, {"type": "Feature"}, {"type": "FeatureCollection", "features": [{}]},
                                 {"type": "Polygon"}, {"coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}])
def test_non_geometries_are_refused_naming_the_field(doc, tmp_path):
    path = tmp_path / "aoi.geojson"
    path.write_text(json.dumps(doc))
    with pytest.raises(InvalidAOIError) as err:
        validate_geometry(geojson=str(path))
    assert str(err.value).startswith(f"GeoJSON {path}: field 'type'/'coordinates'") and "\n" not in str(err.value)


def test_cli_aoi_add_empty_geojson_exits_2(settings, tmp_path):
    from sarlake.cli import cli

    path = tmp_path / "empty.geojson"
    path.write_text("{}")
    assert CliRunner().invoke(cli, ["init"]).exit_code == 0
    result = CliRunner().invoke(cli, ["aoi", "add", "x", "--geojson", str(path)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: GeoJSON {path}: field 'type'/'coordinates' missing or not a geometry (want a Polygon or "
        "MultiPolygon, or a Feature / one-feature FeatureCollection of one)"]
