"""`sarlake ingest` of COMET-LiCSAR products: Sentinel-1's wavelength, and the frame's track, pass and LOS geometry.

Each case lays a real Sydney interferogram out as LiCSAR does (``<frame>/interferograms/<pair>/<pair>.geo.unw.tif``
beside ``<frame>/metadata/``, or LiCSBAS's ``GEOC/<pair>/`` beside ``GEOC/metadata.txt``); the frame's E/N/U
rasters are made from a known incidence and heading by :func:`pges.gnss.los_unit_vector`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import Affine
from test_cli_ingest_options import DATA, UNW, _cli, _lake, _sql  # tests/ is on sys.path (pytest prepend mode)

PAIR = "20060619_20061002"  # the dates of UNW[0], geo_060619-061002.unw
FRAME = "124D_05291_081406"
#: Sentinel-1's wavelength: c / 5.405 GHz (ESA), m
S1_WAVELENGTH = 299_792_458.0 / 5.405e9


@pytest.fixture
def ifg():
    from pges.readers import read_interferogram

    read = read_interferogram(UNW[0], coherence_dirs=[DATA / "gamma_coherence"])
    assert read.coherence is not None
    return read


def _pair(pairs_dir: Path, ifg, pair: str = PAIR) -> Path:
    """``<pairs_dir>/<pair>/<pair>.geo.unw.tif`` (radians) and ``.geo.cc.tif`` (coherence x 255, byte), as LiCSAR."""
    folder = pairs_dir / pair
    folder.mkdir(parents=True)
    profile = {"driver": "GTiff", "height": ifg.shape[0], "width": ifg.shape[1], "count": 1, "crs": "EPSG:4326",
               "transform": ifg.transform, "nodata": 0}
    with rasterio.open(folder / f"{pair}.geo.unw.tif", "w", dtype="float32", **profile) as dst:
        dst.write(np.nan_to_num(ifg.unwrapped_phase).astype("float32"), 1)
    if ifg.coherence is not None:
        with rasterio.open(folder / f"{pair}.geo.cc.tif", "w", dtype="uint8", **profile) as dst:
            dst.write(np.round(np.nan_to_num(ifg.coherence) * 255).astype("uint8"), 1)
    return folder


def _los_rasters(folder: Path, ifg, heading: float) -> float:
    """``<frame>.geo.E/N/U.tif`` over the interferogram's grid and 60 columns more to the east (a frame is larger
    than a clipped pair), incidence rising 30 -> 45 degrees west to east; 0 = no data in the first row, as LiCSAR
    writes it. Returns the median incidence over the interferogram's own columns."""
    from pges.gnss import los_unit_vector

    rows, cols = ifg.shape[0], ifg.shape[1] + 60
    incidence = np.linspace(30.0, 45.0, cols)
    enu = np.stack([los_unit_vector(inc, heading) for inc in incidence], axis=1)  # (3, cols)
    folder.mkdir(parents=True, exist_ok=True)
    profile = {"driver": "GTiff", "height": rows, "width": cols, "count": 1, "crs": "EPSG:4326",
               "transform": ifg.transform, "nodata": 0, "dtype": "float32"}
    for part, values in zip("ENU", enu, strict=True):
        grid = np.tile(values, (rows, 1)).astype("float32")
        grid[0] = 0
        with rasterio.open(folder / f"{FRAME}.geo.{part}.tif", "w", **profile) as dst:
            dst.write(grid, 1)
    return float(np.median(incidence[: ifg.shape[1]]))


def _properties() -> dict:
    rows = _sql("SELECT met_uri FROM products")
    assert len(rows) == 1
    return json.loads(Path(rows[0]["met_uri"]).read_text())["properties"]


def test_a_licsar_frame_pair_is_ingested_with_sentinel1_wavelength_track_pass_and_los_geometry(settings, tmp_path, ifg):
    """A pair under ``<frame>/interferograms/`` with the frame's E/N/U rasters in ``<frame>/metadata/``: it needed
    ``--wavelength`` and got no track, pass, heading nor incidence. Its metadata.txt says otherwise than the rasters
    (a scene-centre value): the rasters over the pair's footprint win, as LiCSBAS reads U."""
    _lake()
    frame = tmp_path / FRAME
    folder = _pair(frame / "interferograms", ifg)
    incidence = _los_rasters(frame / "metadata", ifg, heading=-167.25)
    (frame / "metadata" / "metadata.txt").write_text("master=20060619\nheading=-166.0\navg_incidence_angle=39.0\n")
    out = _cli("ingest", str(folder), "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    props = _properties()
    assert props["sarlake:wavelength_m"] == pytest.approx(S1_WAVELENGTH, rel=1e-9)
    assert props["sarlake:wavelength_source"] == "LiCSAR file name (Sentinel-1)"
    assert props["sat:relative_orbit"] == 124
    assert props["sat:orbit_state"] == "descending"
    assert props["view:incidence_angle"] == pytest.approx(incidence, abs=0.01)
    assert props["sarlake:heading_deg"] == pytest.approx(-167.25, abs=1e-3)


def test_a_whole_licsar_frame_folder_is_ingested_pair_by_pair_with_its_metadata_left_out(settings, tmp_path, ifg):
    """``sarlake ingest <frame>`` found no interferogram: LiCSAR keeps each pair in its own folder two levels down
    (``interferograms/<pair>/``), and the frame's E/N/U rasters in ``metadata/`` would have been read as
    interferograms (floats of -1..1). Both real Sydney pairs are now catalogued, each with the frame's track and
    geometry, and the E/N/U rasters and the DEM are left out by their names."""
    from pges.readers import read_interferogram

    _lake()
    frame = tmp_path / FRAME
    _pair(frame / "interferograms", ifg)
    second = read_interferogram(UNW[1])  # geo_060828-061211.unw
    _pair(frame / "interferograms", second, pair="20060828_20061211")
    _los_rasters(frame / "metadata", ifg, heading=-167.25)
    with rasterio.open(frame / "metadata" / f"{FRAME}.geo.hgt.tif", "w", driver="GTiff", height=4, width=4, count=1,
                       dtype="float32", crs="EPSG:4326", transform=ifg.transform) as dst:
        dst.write(np.full((4, 4), 35.0, "float32"), 1)
    out = _cli("ingest", str(frame), "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    rows = _sql("SELECT met_uri, reference_date, secondary_date FROM products ORDER BY secondary_date")
    assert [(str(r["secondary_date"]), str(r["reference_date"])) for r in rows] == [
        ("2006-06-19", "2006-10-02"), ("2006-08-28", "2006-12-11")]
    for row in rows:
        props = json.loads(Path(row["met_uri"]).read_text())["properties"]
        assert props["sat:relative_orbit"] == 124
        assert props["sarlake:heading_deg"] == pytest.approx(-167.25, abs=1e-3)
    assert "3 other raster(s)" in out.output  # E, N and U
    assert "1 DEM(s)" in out.output
    assert "1 coherence" in out.output


def test_a_folder_without_interferograms_in_it_or_two_levels_below_is_refused(settings, tmp_path, ifg):
    _lake()
    deep = _pair(tmp_path / "a" / "b" / "c", ifg)  # three levels below the folder given
    out = _cli("ingest", str(tmp_path / "a"), "--aoi", "sydney")
    assert out.exit_code == 2, out.output
    assert "a/: folder holds no interferogram" in out.output
    assert "nor do its subfolders (2 levels down)" in out.output
    assert _cli("ingest", str(deep.parent), "--aoi", "sydney").exit_code == 0


def test_an_explicit_wavelength_wins_over_the_licsar_default(settings, tmp_path, ifg):
    _lake()
    folder = _pair(tmp_path / FRAME / "interferograms", ifg)
    out = _cli("ingest", str(folder), "--aoi", "sydney", "--wavelength", str(ifg.wavelength_m))
    assert out.exit_code == 0, out.output
    props = _properties()
    assert props["sarlake:wavelength_m"] == pytest.approx(ifg.wavelength_m, rel=1e-9)
    assert props["sarlake:wavelength_source"] == "--wavelength"
    assert props["sat:relative_orbit"] == 124


@pytest.mark.parametrize(("frame", "heading", "expected", "track", "state"), [
    ("021A_04972_131213", "-13.775063", -13.775063, 21, "ascending"),  # LiCSAR's own example values (iono_correct)
    ("124D_05291_081406", "192.75", -167.25, 124, "descending"),  # a descending heading past 180 degrees
])
def test_licsbas_geoc_layout_takes_heading_and_incidence_from_metadata_txt(settings, tmp_path, ifg, frame, heading,
                                                                           expected, track, state):
    """LiCSBAS01's layout: ``<frame>/GEOC/<pair>/`` beside ``GEOC/metadata.txt`` and no E/N/U rasters: the heading
    and ``avg_incidence_angle`` of LiCSAR's metadata.txt, the heading given in -180..180."""
    _lake()
    geoc = tmp_path / frame / "GEOC"
    folder = _pair(geoc, ifg)
    (geoc / "metadata.txt").write_text(
        f"master=20060619\ncenter_time=11:40:10.5\nheading={heading}\navg_incidence_angle=39.1918\n"
        "azimuth_resolution=13.98\nrange_resolution=2.33\ncentre_range_m=880080.5691\navg_height=120.5\n")
    out = _cli("ingest", str(folder), "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    props = _properties()
    assert props["sat:relative_orbit"] == track
    assert props["sat:orbit_state"] == state
    assert props["sarlake:heading_deg"] == pytest.approx(expected, abs=1e-6)
    assert props["view:incidence_angle"] == pytest.approx(39.1918, abs=1e-6)


def test_malformed_licsar_metadata_and_track_000_are_left_out_not_fatal(settings, tmp_path, ifg):
    """A metadata.txt whose values are not numbers, a U raster that is not a GeoTIFF, and a frame ID naming track
    000 (no Sentinel-1 relative orbit): the pair still ingests, with the pass but no track, heading nor incidence."""
    _lake()
    frame = tmp_path / "000D_05291_081406"
    folder = _pair(frame / "interferograms", ifg)
    (frame / "metadata").mkdir()
    (frame / "metadata" / "metadata.txt").write_text("master=20060619\nheading=n/a\navg_incidence_angle=\nbroken\n")
    (frame / "metadata" / "000D_05291_081406.geo.U.tif").write_bytes(b"<html>404 Not Found</html>")
    out = _cli("ingest", str(folder), "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    props = _properties()
    assert props["sarlake:wavelength_m"] == pytest.approx(S1_WAVELENGTH, rel=1e-9)
    assert props["sat:orbit_state"] == "descending"
    for key in ("sat:relative_orbit", "sarlake:heading_deg", "view:incidence_angle"):
        assert key not in props, key


def test_a_licsar_named_pair_outside_a_frame_is_sentinel1_and_another_name_still_needs_a_wavelength(settings,
                                                                                                    tmp_path, ifg):
    """A pair folder copied out of its frame keeps LiCSAR's name: Sentinel-1's wavelength, but no track, pass nor
    geometry to claim. A GeoTIFF named otherwise, outside any frame folder, still needs ``--wavelength``."""
    _lake()
    folder = _pair(tmp_path, ifg)
    out = _cli("ingest", str(folder), "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    props = _properties()
    assert props["sarlake:wavelength_m"] == pytest.approx(S1_WAVELENGTH, rel=1e-9)
    for key in ("sat:relative_orbit", "sat:orbit_state", "sarlake:heading_deg", "view:incidence_angle"):
        assert key not in props, key
    other = tmp_path / "other" / f"ifg_{PAIR}.tif"
    other.parent.mkdir()
    other.write_bytes((folder / f"{PAIR}.geo.unw.tif").read_bytes())
    out = _cli("ingest", str(other), "--aoi", "sydney")
    assert out.exit_code != 0
    assert "--wavelength" in out.output


def test_the_los_rasters_are_ground_to_satellite_as_sarlake_s_los_unit_vector(tmp_path, ifg):
    """The heading and incidence read back from E/N/U made by :func:`pges.gnss.los_unit_vector` are the ones it was
    given, ascending and descending; a pair grid off the rasters, or rasters named for another frame, leave them out."""
    from pges.readers.licsar import licsar_geometry

    for heading in (-12.5, -167.25, 170.0):
        folder = tmp_path / f"h{heading}" / FRAME / "metadata"
        incidence = _los_rasters(folder, ifg, heading=heading)
        unw = folder.parent / "interferograms" / PAIR / f"{PAIR}.geo.unw.tif"
        got = licsar_geometry(unw, ifg.transform, ifg.shape)
        assert got["heading_deg"] == pytest.approx(heading, abs=1e-3)
        assert got["incidence_deg"] == pytest.approx(incidence, abs=0.01)
    far = Affine.translation(10.0, 0.0) @ ifg.transform  # ten degrees east: no raster pixel under it
    assert "heading_deg" not in licsar_geometry(unw, far, ifg.shape)
    for raster in folder.glob("*.geo.?.tif"):  # another frame's rasters are not this frame's geometry
        raster.rename(raster.with_name(raster.name.replace(FRAME, "023A_05100_131313")))
    assert "heading_deg" not in licsar_geometry(unw, ifg.transform, ifg.shape)


def test_a_licsar_pair_reaches_the_products_table_with_its_perpendicular_baseline(settings, tmp_path, ifg):
    """The frame's ``metadata/baselines`` (LiCSAR's ``refdate date bperp btemp`` per epoch, relative to the frame's
    reference epoch, here neither date of the pair) gives the pair B(later) - B(earlier) = -37.4 - 55.3 m; the
    products table's perpendicular_baseline_m was NULL for every ingested product."""
    _lake()
    frame = tmp_path / FRAME
    folder = _pair(frame / "interferograms", ifg)
    (frame / "metadata").mkdir(parents=True)
    (frame / "metadata" / "baselines").write_text("20060828 20060619 55.3 -70.0\n20060828 20061002 -37.4 35.0\n"
                                                  "20060828 20061211 12.0 105.0\n")
    out = _cli("ingest", str(folder), "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    rows = _sql("SELECT perpendicular_baseline_m, secondary_date, reference_date FROM products")
    assert [(str(r["secondary_date"]), str(r["reference_date"])) for r in rows] == [("2006-06-19", "2006-10-02")]
    assert rows[0]["perpendicular_baseline_m"] == pytest.approx(-92.7, abs=1e-9)
    assert _properties()["sarlake:perpendicular_baseline_m"] == pytest.approx(-92.7, abs=1e-9)
