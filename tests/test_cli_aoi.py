"""`sarlake aoi add` on an AOI that exists: what is not given is kept, and the line printed says what changed.

Stopping the monitoring of an AOI took `sarlake aoi add NAME --bbox ... --inactive`: the geometry had to be given
again, and the tracks, pairing and description left out were reset (Etna's tracks 44 and 124 became the default
track, its nearest-3 pairing the default), so that taking it up again processed other tracks than before.
"""

from __future__ import annotations

import json

from click.testing import CliRunner


def _aoi(name: str) -> dict:
    from sarlake.cli import cli

    listed = json.loads(CliRunner().invoke(cli, ["aoi", "list", "--all", "--json"]).output)
    return next(a for a in listed if a["name"] == name)


def test_an_aoi_is_paused_and_taken_up_again_with_its_polygon_tracks_and_pairing(settings, tmp_path):
    from shapely import from_wkt
    from shapely.geometry import shape

    from lake.catalog import init_lake
    from sarlake.cli import cli

    init_lake(settings)
    polygon = {"type": "Polygon", "coordinates": [[[14.9, 37.65], [15.1, 37.7], [15.05, 37.8], [14.95, 37.78],
                                                    [14.9, 37.65]]]}
    (tmp_path / "etna.geojson").write_text(json.dumps({"type": "Feature", "geometry": polygon}))
    run = CliRunner().invoke
    made = run(cli, ["aoi", "add", "etna", "--geojson", str(tmp_path / "etna.geojson"), "--track", "44", "--track",
                     "124", "--neighbours", "3", "--description", "Etna summit"])
    assert made.exit_code == 0, made.output
    first = _aoi("etna")

    paused = run(cli, ["aoi", "add", "etna", "--inactive"])
    assert paused.exit_code == 0, paused.output
    assert paused.output.startswith("AOI etna updated (active True -> False):")
    again = _aoi("etna")
    assert again["active"] is False
    assert (again["tracks"], again["pairing_neighbours"], again["description"]) == ([44, 124], 3, "Etna summit")
    assert from_wkt(again["geometry_wkt"]).equals(shape(polygon))  # the file's polygon, not its box

    resumed = run(cli, ["aoi", "add", "etna", "--active"])
    assert resumed.output.startswith("AOI etna updated (active False -> True):"), resumed.output
    assert {k: v for k, v in _aoi("etna").items() if k != "updated_at"} == \
        {k: v for k, v in first.items() if k != "updated_at"}
    assert run(cli, ["aoi", "add", "etna"]).output.startswith("AOI etna unchanged:")

    moved = run(cli, ["aoi", "add", "etna", "--bbox", "14.8", "37.6", "15.2", "37.9"])
    assert moved.output.startswith("AOI etna updated (geometry):"), moved.output
    assert _aoi("etna")["tracks"] == [44, 124]

    new = run(cli, ["aoi", "add", "vesuvius", "--inactive"])
    assert new.exit_code == 2
    assert "AOI vesuvius does not exist yet: give its geometry, --bbox W S E N or --geojson FILE" in new.output


def test_tracks_and_pairing_go_back_to_the_defaults_of_a_new_aoi(settings):
    """Once `--track 44` or `--neighbours 3` was given, nothing took it back: an empty `--track` is no option, so
    the AOI had to be made again under another name. Truth: a new AOI's stored fields."""
    from lake.catalog import init_lake
    from sarlake.cli import cli

    init_lake(settings)
    run = CliRunner().invoke
    assert run(cli, ["aoi", "add", "plain", "--bbox", "14.9", "37.65", "15.1", "37.8"]).exit_code == 0
    default = _aoi("plain")
    assert run(cli, ["aoi", "add", "etna", "--bbox", "14.9", "37.65", "15.1", "37.8", "--track", "44",
                     "--neighbours", "3"]).exit_code == 0
    back = run(cli, ["aoi", "add", "etna", "--all-tracks", "--default-neighbours"])
    assert back.exit_code == 0, back.output
    assert back.output.startswith("AOI etna updated (tracks [44] -> default; neighbours 3 -> default):")
    etna = _aoi("etna")
    assert (etna["tracks"], etna["pairing_neighbours"]) == (default["tracks"], default["pairing_neighbours"])
    both = run(cli, ["aoi", "add", "etna", "--all-tracks", "--track", "124"])
    assert both.exit_code == 2
    assert "give --track or --all-tracks, not both" in both.output
    assert _aoi("etna")["tracks"] == default["tracks"]
