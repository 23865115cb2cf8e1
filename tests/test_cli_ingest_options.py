"""`sarlake ingest` options and checks (issue 7.1), `sarlake products remove`, and `sarlake unwrap`, on a real lake."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
import rasterio
from click.testing import CliRunner
from rasterio.transform import from_origin

DATA = Path(__file__).parent / "data" / "envisat_sydney_roipac"
UNW = sorted((DATA / "roipac_unw").glob("*.unw"))[:3]


def _cli(*args: str):
    from sarlake.cli import cli

    return CliRunner().invoke(cli, list(args))


def _sql(query: str) -> list[dict]:
    out = _cli("sql", query, "--format", "json")
    assert out.exit_code == 0, out.output
    return json.loads(out.output)


def _lake(aoi_bbox: tuple[str, ...] = ("150.8", "-34.3", "151.0", "-34.1")) -> None:
    assert _cli("init").exit_code == 0
    assert _cli("aoi", "add", "sydney", "--bbox", *aoi_bbox).exit_code == 0


def _copy(tmp: Path, src: Path = UNW[0]) -> Path:
    dst = tmp / src.name
    shutil.copyfile(src, dst)
    shutil.copyfile(str(src) + ".rsc", str(dst) + ".rsc")
    return dst


def _one_error_line(result) -> str:
    lines = [ln for ln in result.output.strip().splitlines() if ln.startswith("error")]
    assert result.exit_code == 2 and len(lines) == 1, result.output
    return lines[0]


def test_unknown_aoi_and_footprint_outside_the_aoi_are_refused(settings, tmp_path):
    _lake()
    assert "--aoi 'nowhere' does not exist" in _one_error_line(_cli("ingest", str(UNW[0]), "--aoi", "nowhere"))
    assert _cli("aoi", "add", "etna", "--bbox", "14.9", "37.65", "15.1", "37.80").exit_code == 0
    line = _one_error_line(_cli("ingest", str(UNW[0]), "--aoi", "etna"))
    assert UNW[0].name in line and "does not overlap AOI etna" in line
    assert _sql("SELECT count(*) AS n FROM products")[0]["n"] == 0


def test_no_coherence_flag_then_replace_with_coherence(settings, tmp_path):
    _lake()
    path = _copy(tmp_path)
    first = _cli("ingest", str(path), "--aoi", "sydney")
    assert first.exit_code == 0, first.output
    row = _sql("SELECT product_id, flags, coherence_mean FROM products")[0]
    assert row["flags"] == "no_coherence" and row["coherence_mean"] is None
    kept = _cli("ingest", str(path), "--aoi", "sydney", "--coherence-dir", str(DATA / "gamma_coherence"))
    assert "already published and kept" in kept.output
    assert _sql("SELECT flags FROM products")[0]["flags"] == "no_coherence"
    again = _cli("ingest", str(path), "--aoi", "sydney", "--coherence-dir", str(DATA / "gamma_coherence"),
                 "--replace", "--wavelength", "0.0562")
    assert again.exit_code == 0, again.output
    rows = _sql("SELECT product_id, flags, coherence_mean, met_uri FROM products")
    assert len(rows) == 1 and rows[0]["product_id"] == row["product_id"]
    assert rows[0]["flags"] is None and 0 < rows[0]["coherence_mean"] < 1
    assert json.loads(Path(rows[0]["met_uri"]).read_text())["properties"]["sarlake:wavelength_m"] == 0.0562


def test_a_metres_geotiff_toward_the_satellite_needs_los_sign_and_keeps_its_sign(settings, tmp_path):
    """A Sydney interferogram as HyP3 or MintPy write displacement: metres, positive toward the satellite, a unit
    and nothing saying which way. It was read with PyRate's sign, so the product's displacement pointed the other
    way. Now it is refused naming --los-sign, and with ``--los-sign toward`` the product's ``los_displacement_mm``
    is PyRate's MATLAB millimetres for the same file (range increase) negated."""
    from pges.readers import read_interferogram

    _lake()
    src = UNW[0]
    ref = np.loadtxt(DATA / "pyrate_matlab_mm" / f"matlab_ifg_mm_{src.name}.csv", delimiter=",")
    ifg = read_interferogram(src)
    path = tmp_path / f"{src.stem}_los_m.tif"
    with rasterio.open(path, "w", driver="GTiff", height=ref.shape[0], width=ref.shape[1], count=1, dtype="float32",
                       crs="EPSG:4326", transform=ifg.transform, nodata=np.nan) as dst:
        dst.write((-ref / 1000.0).astype("float32"), 1)
        dst.units = ("m",)
        dst.update_tags(WAVELENGTH=str(ifg.wavelength_m))
    line = _one_error_line(_cli("ingest", str(path), "--aoi", "sydney"))
    assert path.name in line
    assert "give --los-sign toward or --los-sign away" in line
    assert _sql("SELECT count(*) AS n FROM products")[0]["n"] == 0
    out = _cli("ingest", str(path), "--aoi", "sydney", "--los-sign", "toward")
    assert out.exit_code == 0, out.output
    met = Path(_sql("SELECT met_uri FROM products")[0]["met_uri"])
    with rasterio.open(met.parent / "los_displacement_mm.tif") as tif:
        mm = tif.read(1).astype(np.float64)
    ok = np.isfinite(ref)
    assert ok.mean() > 0.5
    np.testing.assert_allclose(mm[ok], -ref[ok], rtol=1e-5, atol=1e-4)


def _to_utm(data: np.ndarray, transform, path: Path) -> Path:
    """``data`` (lon/lat, NaN = no data) written as HyP3 writes its GeoTIFFs: UTM (zone 56 S here), 0 = no data."""
    from rasterio.enums import Resampling
    from rasterio.transform import array_bounds
    from rasterio.warp import calculate_default_transform, reproject

    rows, cols = data.shape
    utm, width, height = calculate_default_transform("EPSG:4326", "EPSG:32756", cols, rows,
                                                     *array_bounds(rows, cols, transform))
    out = np.full((height, width), np.nan, np.float32)
    reproject(data.astype(np.float32), out, src_transform=transform, src_crs="EPSG:4326", src_nodata=np.nan,
              dst_transform=utm, dst_crs="EPSG:32756", dst_nodata=np.nan, resampling=Resampling.nearest)
    with rasterio.open(path, "w", driver="GTiff", height=height, width=width, count=1, dtype="float32",
                       crs="EPSG:32756", transform=utm, nodata=0) as dst:
        dst.write(np.nan_to_num(out, nan=0.0), 1)
    return path


def test_a_hyp3_folder_in_utm_is_ingested_on_lon_lat_with_its_coherence_dates_and_wavelength(settings, tmp_path):
    """A HyP3 INSAR_GAMMA product: UTM GeoTIFFs named S1AA_<time>_<time>_..._unw_phase.tif / _corr.tif / _dem.tif /
    _los_disp.tif beside a .txt, with no wavelength. It was refused ("grid CRS is EPSG:32756, expected EPSG:4326"),
    then its dates ('050000' is no date), then its wavelength. Made here from a real Sydney interferogram and its
    GAMMA coherence warped to UTM; ingested, each pixel of the product's phase and coherence must be one of the
    source's within a pixel, and of its LOS one of PyRate's MATLAB millimetres negated (another implementation)."""
    from pges.readers import read_interferogram
    from pges.readers.wavelength import SPEED_OF_LIGHT

    _lake()
    src = UNW[0]  # geo_060619-061002.unw
    ifg = read_interferogram(src, coherence_dirs=[DATA / "gamma_coherence"])
    assert ifg.coherence is not None
    folder = tmp_path / "S1AA_20060619T114010_20061002T114010_VVP105_INT80_G_ueF_5D1E"
    folder.mkdir()
    base = folder / folder.name
    _to_utm(ifg.unwrapped_phase, ifg.transform, Path(f"{base}_unw_phase.tif"))
    _to_utm(ifg.coherence, ifg.transform, Path(f"{base}_corr.tif"))
    _to_utm(ifg.los_displacement_mm() / 1000.0, ifg.transform, Path(f"{base}_los_disp.tif"))
    # the parameter file as hyp3-gamma writes it ("Key: value"), with this scene's geometry: incidence 37 degrees at
    # the centre, so its slant range from the sine rule and the angle at the Earth's centre (not the code's cosines)
    earth, height, incidence = 6_371_000.0, 693_000.0, 37.0
    look = np.arcsin(earth / (earth + height) * np.sin(np.radians(incidence)))
    slant = np.sqrt(earth ** 2 + (earth + height) ** 2
                    - 2 * earth * (earth + height) * np.cos(np.radians(incidence) - look))
    Path(f"{base}.txt").write_text(
        "Reference Granule: S1A_IW_SLC__1SDV_20060619T114010\nReference Pass Direction: DESCENDING\n"
        "Reference Orbit Number: 2871\n"  # path 174 in ASF's record of this S1A orbit (tests/data/sar_metadata)
        f"Baseline: -42.5\nHeading: -167.25\nSpacecraft height: {height}\nEarth radius at nadir: {earth}\n"
        f"Slant range center: {slant}\nRange looks: 10\n")
    out = _cli("ingest", str(folder), "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    assert "left out by their names: 1 coherence, 1 header or side file(s), 1 other raster(s)" in out.output
    row = _sql("SELECT met_uri, reference_date, secondary_date, coherence_mean FROM products")
    assert len(row) == 1 and (str(row[0]["secondary_date"]), str(row[0]["reference_date"])) == ("2006-06-19",
                                                                                               "2006-10-02")
    met = Path(row[0]["met_uri"])
    props = json.loads(met.read_text())["properties"]
    assert props["sarlake:grid"]["crs"] == "EPSG:4326" and props["sarlake:source_crs"] == "EPSG:32756"
    assert props["sarlake:source_coherence_file"] == f"{folder.name}_corr.tif"
    assert props["sarlake:wavelength_source"] == "HyP3 file name (Sentinel-1)"
    assert props["sarlake:wavelength_m"] == pytest.approx(SPEED_OF_LIGHT / 5.405e9)  # C band, 5.405 GHz
    assert props["sat:orbit_state"] == "descending" and props["sarlake:heading_deg"] == -167.25
    assert props["sat:relative_orbit"] == 174
    assert props["view:incidence_angle"] == pytest.approx(incidence, abs=1e-4)
    # each product pixel's value must be one of the source's within a pixel of its centre (nearest pixel, twice);
    # the centre is placed on the source grid by the two affine transforms alone
    scale = ifg.wavelength_m / props["sarlake:wavelength_m"]  # the LOS is in Sentinel-1's wavelength (HyP3's name)
    ref = np.loadtxt(DATA / "pyrate_matlab_mm" / f"matlab_ifg_mm_{src.name}.csv", delimiter=",")
    for name, source in (("unwrapped_phase", ifg.unwrapped_phase), ("coherence", ifg.coherence),
                         ("los_displacement_mm", -ref / scale)):
        assert_each_pixel_is_the_sources(met.parent / f"{name}.tif", source, ifg.transform)


def assert_each_pixel_is_the_sources(asset: Path, source: np.ndarray, transform) -> None:
    """Each finite pixel of a product's ``asset`` is one of ``source``'s (on the lon/lat grid ``transform``) within a
    pixel of its centre (nearest pixel, warped to UTM and back); the centre is placed on the source grid by the two
    affine transforms alone. At least 80 % of the source's finite pixels must be there."""
    with rasterio.open(asset) as tif:
        values, grid = tif.read(1).astype(np.float64), tif.transform
    rows, cols = np.nonzero(np.isfinite(values))
    lon, lat = grid @ (cols + 0.5, rows + 0.5)
    col, row = ~transform @ (lon, lat)
    row, col = np.floor(row).astype(int), np.floor(col).astype(int)
    padded = np.pad(source.astype(np.float64), 1, constant_values=np.nan)
    near = np.stack([padded[row + 1 + dr, col + 1 + dc] for dr in (-1, 0, 1) for dc in (-1, 0, 1)])
    found = np.isclose(near, values[rows, cols], rtol=1e-4, atol=1e-4).any(axis=0)
    assert rows.size > 0.8 * np.isfinite(source).sum(), asset.name
    assert found.mean() > 0.99, (asset.name, found.mean())


def test_a_hyp3_wrapped_phase_file_is_left_out_of_ingest_and_unwraps_to_the_real_unwrapped_phase(settings, tmp_path):
    """HyP3's ``_wrapped_phase.tif`` is float radians: it was ingested as a second, *unwrapped* product of the pair.
    It is now wrapped phase by its name: left out of the folder with a note, and ``sarlake unwrap`` (SNAPHU) makes
    from it the phase of the real Sydney interferogram it was wrapped from (ROI_PAC's unwrapping), up to one
    offset, on the same lon/lat grid as that interferogram ingested from the same UTM folder."""
    from pges.readers import read_interferogram

    _lake()
    src = UNW[0]
    ifg = read_interferogram(src, coherence_dirs=[DATA / "gamma_coherence"])
    folder = tmp_path / "S1AA_20060619T114010_20061002T114010_VVP105_INT80_G_ueF_5D1E"
    folder.mkdir()
    base = folder / folder.name
    _to_utm(ifg.unwrapped_phase, ifg.transform, Path(f"{base}_unw_phase.tif"))
    wrapped = _to_utm(np.angle(np.exp(1j * ifg.unwrapped_phase)), ifg.transform, Path(f"{base}_wrapped_phase.tif"))
    out = _cli("ingest", str(folder), "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    # its pair was ingested from the unwrapped file beside it: a side file, not a pair still to unwrap
    assert "1 wrapped phase of pair(s) ingested unwrapped" in out.output
    assert "sarlake unwrap" not in out.output
    assert _sql("SELECT count(*) AS n FROM products")[0]["n"] == 1
    out = _cli("unwrap", str(wrapped), "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    rows = _sql("SELECT met_uri FROM products ORDER BY met_uri")
    assert len(rows) == 2
    phases = []
    for row in rows:
        with rasterio.open(Path(row["met_uri"]).parent / "unwrapped_phase.tif") as tif:
            phases.append((tif.read(1).astype(np.float64), tif.transform))
    (given, grid), (made, made_grid) = phases
    assert made.shape == given.shape and made_grid.almost_equals(grid)
    ok = np.isfinite(given) & np.isfinite(made)
    assert ok.sum() > 0.9 * np.isfinite(given).sum()
    diff = made[ok] - given[ok]
    assert np.mean(np.abs(diff - np.median(diff)) < 1e-3) > 0.95  # one offset: the same unwrapping


def test_a_licsar_pair_folder_is_ingested_with_its_byte_coherence_and_without_its_wrapped_phase(settings, tmp_path):
    """COMET-LiCSAR's pair folder: ``<pair>.geo.unw.tif`` (radians), ``<pair>.geo.cc.tif`` (coherence x 255 in a
    byte, as LiCSBAS reads it) and ``<pair>.geo.diff_pha.tif`` (wrapped phase, float radians). The coherence was
    refused ('ranges 1..255') and the wrapped phase taken for a second unwrapped product. Made from a real Sydney
    interferogram and its GAMMA coherence: the product's coherence must be GAMMA's to within the byte's step."""
    from pges.readers import read_interferogram

    _lake()
    src = UNW[0]
    ifg = read_interferogram(src, coherence_dirs=[DATA / "gamma_coherence"])
    assert ifg.coherence is not None
    folder = tmp_path / "20060619_20061002"
    folder.mkdir()
    profile = {"driver": "GTiff", "height": ifg.shape[0], "width": ifg.shape[1], "count": 1, "crs": "EPSG:4326",
               "transform": ifg.transform, "nodata": 0}
    with rasterio.open(folder / "20060619_20061002.geo.unw.tif", "w", dtype="float32", **profile) as dst:
        dst.write(np.nan_to_num(ifg.unwrapped_phase).astype("float32"), 1)
    with rasterio.open(folder / "20060619_20061002.geo.diff_pha.tif", "w", dtype="float32", **profile) as dst:
        dst.write(np.nan_to_num(np.angle(np.exp(1j * ifg.unwrapped_phase))).astype("float32"), 1)
    with rasterio.open(folder / "20060619_20061002.geo.cc.tif", "w", dtype="uint8", **profile) as dst:
        dst.write(np.round(np.nan_to_num(ifg.coherence) * 255).astype("uint8"), 1)
    out = _cli("ingest", str(folder), "--aoi", "sydney", "--wavelength", str(ifg.wavelength_m))
    assert out.exit_code == 0, out.output
    assert "1 wrapped phase of pair(s) ingested unwrapped" in out.output  # a side file of the pair ingested
    rows = _sql("SELECT met_uri FROM products")
    assert len(rows) == 1
    met = Path(rows[0]["met_uri"])
    assert json.loads(met.read_text())["properties"]["sarlake:source_coherence_file"] == "20060619_20061002.geo.cc.tif"
    with rasterio.open(met.parent / "coherence.tif") as tif:
        coherence = tif.read(1)
    ok = np.isfinite(coherence) & np.isfinite(ifg.coherence)
    assert ok.mean() > 0.5
    assert np.abs(coherence[ok] - ifg.coherence[ok]).max() <= 0.5 / 255 + 1e-6


#: ARIA's 3-D metadata cubes sit on these heights (m); the incidence changes a little with height
CUBE_HEIGHTS = np.array([-1500.0, 0.0, 3000.0, 9000.0])


def _true_incidence(ifg, geometry: tuple[float, float], lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """The incidence (deg) of a scene seen at ``geometry`` = (incidence at its centre, heading): growing from near
    to far range as Sentinel-1's does across a swath (about 0.07 deg per km), slightly smaller higher up."""
    incidence, heading = geometry
    west, south, east, north = ifg.bbox
    look = np.radians(heading + 90.0)  # a right-looking radar looks to heading + 90, clockwise from north
    km_east = (lon - (west + east) / 2) * 111.32 * np.cos(np.radians((south + north) / 2))
    km_north = (lat - (south + north) / 2) * 110.57
    ground = km_east[None, :] * np.sin(look) + km_north[:, None] * np.cos(look)  # km toward far range
    return incidence + 0.07 * ground[None] - 2e-5 * CUBE_HEIGHTS[:, None, None]


def _cube_axes(ifg) -> tuple[np.ndarray, np.ndarray]:
    """latitudeMeta (north to south) and longitudeMeta of ARIA's coarse cube: past the product's edges on each side."""
    west, south, east, north = ifg.bbox
    return np.linspace(north + 0.05, south - 0.05, 9), np.linspace(west - 0.05, east + 0.05, 11)


def _geometry_cubes(nc, ifg, geometry: tuple[float, float]) -> None:
    """ARIA's imagingGeometry cubes of a known geometry, through sarlake's own ground-to-satellite vector
    (:func:`pges.gnss.los_unit_vector`): incidence = arccos(up), azimuthAngle = the target-to-sensor vector's angle
    counter-clockwise from east, atan2(north, east)."""
    from pges.gnss import los_unit_vector

    lat, lon = _cube_axes(ifg)
    east, north, up = los_unit_vector(_true_incidence(ifg, geometry, lat, lon), geometry[1])
    group = nc["science/grids"].createGroup("imagingGeometry")
    for dim, values in (("heightsMeta", CUBE_HEIGHTS), ("latitudeMeta", lat), ("longitudeMeta", lon)):
        group.createDimension(dim, values.size)
        group.createVariable(dim, "f8", (dim,))[:] = values
    dims = ("heightsMeta", "latitudeMeta", "longitudeMeta")
    group.createVariable("incidenceAngle", "f4", dims, fill_value=0.0)[:] = np.degrees(np.arccos(up))
    azimuth = np.degrees(np.arctan2(north, east)) * np.ones_like(up)
    group.createVariable("azimuthAngle", "f4", dims, fill_value=0.0)[:] = azimuth


def _gunw(path: Path, ifg, *, north_up: bool, geometry: tuple[float, float] | None = None) -> Path:
    """A GUNW as ARIA writes it (netCDF4 groups, _FillValue, pixel-centre latitude/longitude), holding ``ifg``:
    ARIA's phase is reference (later) x conj(secondary), the negative of the radians the readers return. With
    ``geometry`` = (incidence, heading) it has ARIA's imagingGeometry cubes of that geometry."""
    import netCDF4

    rows, cols = ifg.shape
    lon = np.array([(ifg.transform @ (c + 0.5, 0.5))[0] for c in range(cols)])
    lat = np.array([(ifg.transform @ (0.5, r + 0.5))[1] for r in range(rows)])  # north to south
    flip = (lambda a: a) if north_up else (lambda a: a[::-1])
    valid = np.isfinite(ifg.unwrapped_phase)
    components = np.where(valid, 1, -1).astype(np.int16)
    components[valid & (np.arange(cols)[None, :] < 3)] = 0  # a strip the unwrapper left out
    with netCDF4.Dataset(path, "w") as nc:
        data = nc.createGroup("science").createGroup("grids").createGroup("data")
        nc["science"].createGroup("radarMetaData").createVariable("wavelength", "f8")[...] = ifg.wavelength_m
        data.createDimension("latitude", rows)
        data.createDimension("longitude", cols)
        data.createVariable("latitude", "f8", ("latitude",))[:] = flip(lat)
        data.createVariable("longitude", "f8", ("longitude",))[:] = lon
        for name, values, dtype, fill in (
                ("unwrappedPhase", -np.nan_to_num(ifg.unwrapped_phase), "f4", 0.0),
                ("coherence", np.nan_to_num(ifg.coherence), "f4", 0.0),
                ("connectedComponents", components, "i2", -1)):
            data.createVariable(name, dtype, ("latitude", "longitude"), fill_value=fill)[:] = flip(values)
        if geometry is not None:
            _geometry_cubes(nc, ifg, geometry)
    return path


@pytest.mark.parametrize("north_up", [True, False])
def test_an_aria_gunw_is_ingested_with_its_sign_track_coherence_and_components(settings, tmp_path, north_up):
    """ARIA's standard product (S1-GUNW netCDF4) had no reader: sarlake rebuilds ARIA yet could not catalogue it.
    Made here from a real Sydney interferogram: the product's LOS must be PyRate's MATLAB millimetres negated (ARIA's
    phase has the other sign: MintPy's prep_aria negates it too), its coherence GAMMA's, and the name's track and
    pass direction must label it, so its time series groups by track."""
    from pges.readers import read_interferogram

    _lake()
    src = UNW[0]  # geo_060619-061002.unw
    ifg = read_interferogram(src, coherence_dirs=[DATA / "gamma_coherence"])
    assert ifg.coherence is not None
    name = "S1-GUNW-D-R-071-tops-20061002_20060619-114010-15090E_34200S-PP-7915-v2_0_6.nc"
    path = _gunw(tmp_path / name, ifg, north_up=north_up)
    out = _cli("ingest", str(path), "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    rows = _sql("SELECT met_uri, reference_date, secondary_date FROM products")
    assert len(rows) == 1 and (str(rows[0]["secondary_date"]), str(rows[0]["reference_date"])) == ("2006-06-19",
                                                                                                 "2006-10-02")
    met = Path(rows[0]["met_uri"])
    props = json.loads(met.read_text())["properties"]
    assert (props["sat:relative_orbit"], props["sat:orbit_state"]) == (71, "descending")
    assert props["sarlake:source_format"] == "aria" and props["sarlake:wavelength_m"] == ifg.wavelength_m
    assert props["sarlake:grid"]["transform"] == pytest.approx(list(ifg.transform)[:6])
    assert "view:incidence_angle" not in props  # no imagingGeometry cubes in this one: no geometry, as before
    assert "sarlake:heading_deg" not in props
    ok = assert_los_is_pyrates_negated(met, src, ifg.coherence)
    with rasterio.open(met.parent / "connected_components.tif") as tif:
        components = tif.read(1)
    assert (components[ok][np.arange(ok.size).reshape(ok.shape)[ok] % ok.shape[1] < 3] == 0).all()
    assert set(np.unique(components[ok])) == {0, 1}


def assert_los_is_pyrates_negated(met: Path, src: Path, coherence: np.ndarray) -> np.ndarray:
    """The product of ``met`` has PyRate's MATLAB millimetres of ``src`` negated as its LOS (to their 5 significant
    digits: PyRate's sign is range increase, sarlake's toward the satellite) and ``coherence`` as its coherence;
    returns PyRate's valid pixels."""
    ref = np.loadtxt(DATA / "pyrate_matlab_mm" / f"matlab_ifg_mm_{src.name}.csv", delimiter=",")
    with rasterio.open(met.parent / "los_displacement_mm.tif") as tif:
        los = tif.read(1).astype(np.float64)
    ok = np.isfinite(ref)
    np.testing.assert_array_equal(np.isfinite(los), ok)
    half_unit = 0.5 * 10.0 ** (np.floor(np.log10(np.abs(ref[ok]))) - 4)  # MATLAB's 5 significant digits
    assert (np.abs(los[ok] + ref[ok]) <= half_unit + 1e-5 * np.abs(ref[ok])).all()
    with rasterio.open(met.parent / "coherence.tif") as tif:
        np.testing.assert_allclose(tif.read(1)[ok], coherence[ok], rtol=1e-6)
    return ok


def _gunw_name(ifg, direction: str) -> str:
    return (f"S1-GUNW-{direction}-R-071-tops-{ifg.reference_date:%Y%m%d}_{ifg.secondary_date:%Y%m%d}-114010-"
            "15090E_34200S-PP-7915-v2_0_6.nc")


@pytest.mark.parametrize(("direction", "geometry", "north_up"),
                         [("A", (39.0, -12.0), True), ("D", (33.5, -168.0), False)])
def test_a_gunws_imaging_geometry_cubes_label_the_product_with_its_incidence_and_heading(
        settings, tmp_path, direction, geometry, north_up):
    """A GUNW carries its imaging geometry (ARIA's incidenceAngle and azimuthAngle cubes) but its products had
    neither incidence nor heading, so a time series of GUNWs needed --incidence/--heading by hand to tie to GNSS.
    The cubes here are made from a known Sentinel-1 geometry through pges.gnss.los_unit_vector: the heading must
    come back within 0.01 deg, the incidence be the median of the true one at 0 m over the product's grid."""
    from pges.readers import read_interferogram

    _lake()
    ifg = read_interferogram(UNW[0], coherence_dirs=[DATA / "gamma_coherence"])
    path = _gunw(tmp_path / _gunw_name(ifg, direction), ifg, north_up=north_up, geometry=geometry)
    out = _cli("ingest", str(path), "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    props = json.loads(Path(_sql("SELECT met_uri FROM products")[0]["met_uri"]).read_text())["properties"]
    lat, lon = _cube_axes(ifg)
    west, south, east, north = ifg.bbox
    inside = ((south <= lat) & (lat <= north))[:, None] & ((west <= lon) & (lon <= east))[None, :]
    assert 4 <= inside.sum() < inside.size  # the cube reaches past the product, as ARIA's does
    at_sea_level = _true_incidence(ifg, geometry, lat, lon)[list(CUBE_HEIGHTS).index(0.0)]
    assert props["view:incidence_angle"] == pytest.approx(np.median(at_sea_level[inside]), abs=1e-4)
    assert abs(props["view:incidence_angle"] - geometry[0]) < 0.5  # near and far range lie either side of the centre
    assert abs((props["sarlake:heading_deg"] - geometry[1] + 180.0) % 360.0 - 180.0) < 0.01
    assert props["sat:orbit_state"] == ("ascending" if direction == "A" else "descending")


def test_a_time_series_of_gunws_takes_their_geometry_for_the_gnss_tie(settings, tmp_path):
    """`sarlake timeseries --gnss` on GUNW products refused to run without --incidence and --heading; the products'
    own geometry (from ARIA's cubes) now serves, and the flags still win over it."""
    from pges.readers import read_interferogram
    from pges.timeseries.config import TimeseriesParameters
    from pges.timeseries.process import heading_of, incidence_of
    from pges.timeseries.stack import load_stack

    _lake()
    geometry = (33.5, -168.0)
    for src in (UNW[0], UNW[2], sorted((DATA / "roipac_unw").glob("*.unw"))[3]):  # one connected network
        ifg = read_interferogram(src, coherence_dirs=[DATA / "gamma_coherence"])
        _gunw(tmp_path / _gunw_name(ifg, "D"), ifg, north_up=True, geometry=geometry)
    out = _cli("ingest", str(tmp_path), "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    mets = [r["met_uri"] for r in _sql("SELECT met_uri FROM products WHERE product_type = 'L2_IFG'")]
    assert len(mets) == 3
    stack = load_stack(mets, Path)
    assert stack.heading_deg == pytest.approx(-168.0, abs=0.01)
    assert stack.incidence_deg == pytest.approx(33.5, abs=0.5)
    flags = TimeseriesParameters(aoi="sydney", incidence_deg=23.0, heading_deg=-170.0)
    assert (incidence_of(stack, flags, "GNSS"), heading_of(stack, flags)) == (23.0, -170.0)
    ts = _cli("timeseries", "sydney", "--gnss", str(Path(__file__).parent / "data" / "gnss" / "LHAS.tenv3"))
    assert ts.exit_code == 0, ts.output


def test_a_files_own_numeric_track_labels_the_product_and_free_text_does_not_stop_it(settings, tmp_path):
    """A reader's TRACK (an ARIA GUNW's name, a GeoTIFF tag) labels the product when --track does not; a tag
    that is not a number ('T71 asc') raised ValueError, an exit 1 with no word of the file."""
    _lake()
    profile = {"driver": "GTiff", "height": 20, "width": 20, "count": 1, "dtype": "float32", "crs": "EPSG:4326",
               "transform": from_origin(150.9, -34.15, 0.001, 0.001)}
    rng = np.random.default_rng(1)
    for name, track in (("num_20060619-20061002.tif", "71"), ("txt_20060619-20061002.tif", "T71 asc")):
        with rasterio.open(tmp_path / name, "w", **profile) as dst:
            dst.write(rng.normal(0, 3, (20, 20)).astype("float32"), 1)
            dst.update_tags(TRACK=track)
        out = _cli("ingest", str(tmp_path / name), "--wavelength", "0.0562", "--aoi", "sydney")
        assert out.exit_code == 0, out.output
    rows = {Path(r["met_uri"]).parent.name.split("-")[2]: json.loads(Path(r["met_uri"]).read_text())["properties"]
            for r in _sql("SELECT met_uri FROM products")}
    assert rows["T071"]["sat:relative_orbit"] == 71
    assert "sat:relative_orbit" not in rows["txt_20060619"]


def test_the_summary_counts_new_and_kept_products_once(settings, tmp_path):
    """Ingesting a published file again printed both 'kept' and 'catalogued 1 product(s)': nothing was new."""
    _lake()
    first, second = _copy(tmp_path, UNW[0]), _copy(tmp_path, UNW[1])
    assert _cli("ingest", str(first), "--aoi", "sydney").exit_code == 0
    summaries = []
    for paths in ([first], [first, second]):
        out = _cli("ingest", *map(str, paths), "--aoi", "sydney")
        assert out.exit_code == 0, out.output
        summaries.append([ln for ln in out.output.splitlines() if not ln.startswith("EXT-")])
    target = settings.products_root.rstrip("/") + "/L2_IFG/sydney"
    assert summaries == [
        [f"nothing new under {target}: 1 product(s) already published and kept (--replace re-ingests them)"],
        [f"catalogued 1 new product(s) under {target}; 1 already published and kept (--replace re-ingests them)"],
    ]
    assert _sql("SELECT count(*) AS n FROM products")[0]["n"] == 2


def test_a_revision_without_replace_says_the_kept_products_keep_their_version(settings, tmp_path):
    """`--revision 2` on a published product without `--replace` changed nothing, and the summary said only that
    the product was kept: the revision asked for was dropped without a word."""
    _lake()
    first = _copy(tmp_path, UNW[0])
    assert _cli("ingest", str(first), "--aoi", "sydney").exit_code == 0
    (before,) = _sql("SELECT version FROM products")
    out = _cli("ingest", str(first), "--aoi", "sydney", "--revision", "2")
    assert out.exit_code == 0, out.output
    target = settings.products_root.rstrip("/") + "/L2_IFG/sydney"
    assert out.output.splitlines()[-1] == (
        f"nothing new under {target}: 1 product(s) already published and kept at their version: --revision 2 "
        "applies to them only with --replace, which re-ingests them")
    assert _sql("SELECT version FROM products") == [before]
    assert not before["version"].endswith(".2")
    again = _cli("ingest", str(first), "--aoi", "sydney", "--revision", "2", "--replace")
    assert again.exit_code == 0, again.output
    assert _sql("SELECT version FROM products") == [{"version": before["version"] + ".2"}]


def test_a_folders_wrapped_interferograms_are_named_as_left_out_and_alone_say_why_nothing_was_ingested(settings,
                                                                                                       tmp_path):
    """A wrapped interferogram in a folder was left out with a log line only: beside an unwrapped one it was not
    named, and alone the run failed with 'see the warnings' and no warning printed."""
    _lake()
    folder = tmp_path / "proc"
    folder.mkdir()
    wrapped = folder / "filt_topophase.tif"
    cplx = np.exp(1j * np.random.default_rng(5).normal(0, 1, (8, 9))).astype(np.complex64)
    with rasterio.open(wrapped, "w", driver="GTiff", width=9, height=8, count=1, dtype="complex64",
                       crs="EPSG:4326", transform=from_origin(150.9, -34.2, 0.001, 0.001)) as dst:
        dst.write(cplx, 1)
    alone = _cli("ingest", str(folder), "--aoi", "sydney")
    assert "no unwrapped interferogram to ingest: 1 wrapped one(s) left out (filt_topophase.tif); unwrap them " \
           "first with `sarlake unwrap`" in _one_error_line(alone)
    _copy(folder)
    both = _cli("ingest", str(folder), "--aoi", "sydney")
    assert both.exit_code == 0, both.output
    assert f"note: left out {wrapped}: a wrapped interferogram (`sarlake unwrap` it" in both.output
    assert _sql("SELECT count(*) AS n FROM products")[0]["n"] == 1


def test_a_bad_file_in_a_batch_catalogues_nothing_unless_skip_bad(settings, tmp_path):
    _lake()
    good = _copy(tmp_path)
    (tmp_path / "b").mkdir()
    bad = _copy(tmp_path / "b", UNW[1])
    rsc = Path(str(bad) + ".rsc")
    rsc.write_text(rsc.read_text().replace("X_STEP", "X_STEP  nan\n#", 1))
    line = _one_error_line(_cli("ingest", str(good), str(bad), "--aoi", "sydney"))
    assert f"{bad.name}.rsc: X_STEP is nan" in line
    assert _sql("SELECT count(*) AS n FROM products")[0]["n"] == 0
    ok = _cli("ingest", str(good), str(bad), "--aoi", "sydney", "--skip-bad")
    assert ok.exit_code == 0, ok.output
    assert f"warning: skipped {bad}" in ok.output and "X_STEP is nan" in ok.output
    assert [r["product_id"] for r in _sql("SELECT product_id FROM products")] == [
        f"EXT-ROIPAC-{good.stem}-{'20' + good.stem[-6:]}_{'20' + good.stem[4:10]}"]


def test_unsupported_hdf5_exits_2_naming_supported_formats(settings, tmp_path):
    _lake()
    with h5py.File(tmp_path / "data.h5", "w") as f:
        f.create_dataset("x", data=np.zeros(3))
    line = _one_error_line(_cli("ingest", str(tmp_path / "data.h5")))
    assert "data.h5: HDF5 file that is not a MintPy ifgramStack" in line and "supported: GeoTIFF" in line


def test_products_remove_keeps_provenance(settings, tmp_path):
    _lake()
    assert _cli("ingest", *map(str, UNW), "--aoi", "sydney").exit_code == 0
    ids = [r["product_id"] for r in _sql("SELECT product_id FROM products ORDER BY product_id")]
    assert "not in the catalogue" in _one_error_line(_cli("products", "remove", ids[0], "NOPE"))
    assert len(_sql("SELECT product_id FROM products")) == 3  # nothing removed
    out = _cli("products", "remove", ids[0], "--reason", "wrong wavelength")
    assert out.exit_code == 0 and f"removed {ids[0]}" in out.output
    assert sorted(r["product_id"] for r in _sql("SELECT product_id FROM products")) == ids[1:]
    prov = _sql(f"SELECT pge_name, parameters FROM provenance WHERE product_id = '{ids[0]}' ORDER BY started_at")
    assert [p["pge_name"] for p in prov] == ["ingest", "sarlake-remove"]
    params = json.loads(prov[1]["parameters"])
    assert params["action"] == "remove" and params["reason"] == "wrong wavelength"
    assert params["removed"]["product_id"] == ids[0]


def test_unwrap_cli_catalogues_the_product(settings, tmp_path):
    import logging

    said: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = said.append  # type: ignore[method-assign]
    logging.getLogger("pges.unwrap.pge").addHandler(handler)  # on the logger: whatever the root's handlers are
    _lake(("13.9", "40.9", "14.2", "41.1"))
    rows, cols = 64, 64
    r, c = np.mgrid[0:rows, 0:cols]
    truth = 20 * np.exp(-((r - 32.0) ** 2 + (c - 30.0) ** 2) / (2 * 12.0**2))
    profile = {"driver": "GTiff", "height": rows, "width": cols, "count": 1, "crs": "EPSG:4326",
               "transform": from_origin(14.0, 41.0, 0.001, 0.001), "dtype": "complex64"}
    path = tmp_path / "ifg_20200101-20200113.tif"
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.exp(1j * truth).astype(np.complex64), 1)
        dst.update_tags(WAVELENGTH="0.05546576")
    try:
        result = _cli("unwrap", str(path), "--aoi", "sydney", "--looks", "2", "2", "--method", "quality")
    finally:
        logging.getLogger("pges.unwrap.pge").removeHandler(handler)
    assert result.exit_code == 0, result.output
    row = _sql("SELECT product_id, unwrapped_fraction, flags, aoi, met_uri FROM products")[0]
    assert row["product_id"].startswith("EXT-GEOTIFF-ifg_20200101-20200113-20200113_20200101-UNW-")
    assert row["flags"] == "coherence_estimated" and row["aoi"] == "sydney"
    assert ("no coherence given or found (a coherence of the pair 20200101-20200113 was looked for beside it only; "
            "coherence_dirs (--coherence-dir) names folders") in " ".join(r.getMessage() for r in said)
    with rasterio.open(Path(row["met_uri"]).parent / "connected_components.tif") as ds:
        assert row["unwrapped_fraction"] == round(float((ds.read(1) > 0).mean()), 4)
    with rasterio.open(Path(row["met_uri"]).parent / "unwrapped_phase.tif") as ds:
        phase = ds.read(1)
    ml = truth.reshape(32, 2, 32, 2).mean(axis=(1, 3))
    ok = np.isfinite(phase)
    d = phase[ok] - ml[ok]
    assert np.abs(d - np.median(d)).max() < 0.2  # noise-free: no cycle lost
    # the AOI is checked as ingest checks it, naming the option and the AOIs that exist
    assert "--aoi 'nowhere' does not exist; the lake's AOIs are: " in _one_error_line(
        _cli("unwrap", str(path), "--aoi", "nowhere"))


def test_a_folders_files_read_as_other_rasters_are_named_and_a_multi_band_file_is_refused(settings, tmp_path):
    """An int16 phase export in a folder was taken for a DEM by its content and left out with no word unless -v;
    a 3-band GeoTIFF was ingested from its band 1 (the amplitude, in such exports)."""
    _lake()
    folder = tmp_path / "exports"
    folder.mkdir()
    profile = {"driver": "GTiff", "height": 20, "width": 20, "crs": "EPSG:4326",
               "transform": from_origin(150.9, -34.15, 0.001, 0.001)}
    rng = np.random.default_rng(0)
    with rasterio.open(folder / "ifg_20060619-20061002.tif", "w", count=1, dtype="float32", **profile) as dst:
        dst.write(rng.normal(0, 3, (20, 20)).astype("float32"), 1)
    with rasterio.open(folder / "i16_20060619-20061002.tif", "w", count=1, dtype="int16", **profile) as dst:
        dst.write((rng.normal(0, 3, (20, 20)) * 100).astype("int16"), 1)
    out = _cli("ingest", str(folder), "--wavelength", "0.0562", "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    assert (f"note: left out {folder / 'i16_20060619-20061002.tif'}: read as a DEM by its values, not an interferogram "
            "(name it to ingest it)") in out.output
    three = tmp_path / "b3_20060619-20061002.tif"
    with rasterio.open(three, "w", count=3, dtype="float32", **profile) as dst:
        dst.write(np.stack([np.ones((20, 20), "float32"), *rng.normal(0, 3, (2, 20, 20)).astype("float32")]))
    out = _cli("ingest", str(three), "--wavelength", "0.0562", "--aoi", "sydney")
    assert out.exit_code == 2
    assert "b3_20060619-20061002.tif: 3 bands; an interferogram GeoTIFF holds one band of phase" in out.output


def test_a_stack_compares_headings_as_angles_so_one_written_0_to_360_still_agrees(settings, tmp_path):
    """Processors write a descending Sentinel-1 heading as -168 (HyP3, ARIA here) or 192 (0..360): the stack compared
    them as numbers, found them 360 degrees apart and dropped the heading, so the GNSS tie refused to run. They are
    the same direction; a heading 18 degrees off still is not."""
    from pges.readers import read_interferogram
    from pges.timeseries.stack import load_stack

    _lake()
    for src in (UNW[0], UNW[2], sorted((DATA / "roipac_unw").glob("*.unw"))[3]):
        ifg = read_interferogram(src, coherence_dirs=[DATA / "gamma_coherence"])
        _gunw(tmp_path / _gunw_name(ifg, "D"), ifg, north_up=True, geometry=(33.5, -168.0))
    assert _cli("ingest", str(tmp_path), "--aoi", "sydney").exit_code == 0
    mets = sorted(r["met_uri"] for r in _sql("SELECT met_uri FROM products WHERE product_type = 'L2_IFG'"))

    def written(uri: str, heading: float) -> None:
        item = json.loads(Path(uri).read_text())
        item["properties"]["sarlake:heading_deg"] = heading
        Path(uri).write_text(json.dumps(item))

    written(mets[1], 192.0)  # -168 + 360
    written(mets[2], -167.4)
    heading = load_stack(mets, Path).heading_deg
    assert heading is not None
    assert (heading + 180.0) % 360.0 - 180.0 == pytest.approx((-168.0 - 168.0 - 167.4) / 3, abs=1e-6)
    written(mets[2], -150.0)
    assert load_stack(mets, Path).heading_deg is None
