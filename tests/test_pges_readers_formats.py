"""The ISCE2, GMTSAR and MintPy readers and the wavelength conventions, on files written in each tool's layout.

Each fixture is written independently of the readers (h5py for MintPy's HDF5, the netCDF4 library for GMT
grids, raw bytes + a hand-written ``<imageFile>`` XML for ISCE2) and the values read are compared with the
arrays written.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import h5py
import netCDF4
import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from pges.errors import InputValidationError
from pges.readers import SUPPORTED, read_interferogram, read_interferograms

RNG = np.random.default_rng(7)


# ------------------------------------------------------------------------------------------------ MintPy
def _mintpy(path: Path, *, geocoded: bool = True, wavelength: str | None = "0.05546576") -> dict:
    n, rows, cols = 3, 6, 8
    unw = RNG.normal(0, 5, (n, rows, cols)).astype(np.float32)
    unw[:, 0, 0] = 0  # MintPy's no data
    coh = RNG.uniform(0.2, 1.0, (n, rows, cols)).astype(np.float32)
    cc = RNG.integers(0, 3, (n, rows, cols)).astype(np.int16)
    dates = np.array([[b"20200101", b"20200113"], [b"20200113", b"20200125"], [b"20200101", b"20200125"]])
    with h5py.File(path, "w") as f:
        f.create_dataset("unwrapPhase", data=unw)
        f.create_dataset("coherence", data=coh)
        f.create_dataset("connectComponent", data=cc)
        f.create_dataset("date", data=dates)
        f.create_dataset("bperp", data=np.array([10.0, -20.0, -10.0], np.float32))
        f.create_dataset("dropIfgram", data=np.array([True, False, True]))
        attrs = {"FILE_TYPE": "ifgramStack", "LENGTH": str(rows), "WIDTH": str(cols), "UNIT": "radian"}
        if wavelength:
            attrs["WAVELENGTH"] = wavelength
        if geocoded:
            attrs |= {"X_FIRST": "-118.0", "Y_FIRST": "34.0", "X_STEP": "0.001", "Y_STEP": "-0.001",
                      "X_UNIT": "degrees", "Y_UNIT": "degrees"}
        for k, v in attrs.items():
            f.attrs[k] = v
    return {"unw": unw, "coh": coh, "cc": cc}


def test_mintpy_stack_pairs_values_and_dropped(tmp_path: Path) -> None:
    path = tmp_path / "ifgramStack.h5"
    truth = _mintpy(path)
    ifgs = read_interferograms(path)
    assert [(i.secondary_date, i.reference_date) for i in ifgs] == [
        (date(2020, 1, 1), date(2020, 1, 13)), (date(2020, 1, 1), date(2020, 1, 25))]  # pair 1 is dropped
    for ifg, k in zip(ifgs, (0, 2), strict=True):
        assert ifg.source_format == "mintpy" and ifg.wavelength_m == pytest.approx(0.05546576)
        np.testing.assert_array_equal(ifg.unwrapped_phase[1:], truth["unw"][k][1:])
        assert np.isnan(ifg.unwrapped_phase[0, 0]) and ifg.nodata_mask[0, 0]
        np.testing.assert_array_equal(ifg.coherence, truth["coh"][k])
        np.testing.assert_array_equal(ifg.connected_components, truth["cc"][k])
        assert ifg.bbox == pytest.approx((-118.0, 34.0 - 6 * 0.001, -118.0 + 8 * 0.001, 34.0))


def test_a_mintpy_stack_in_utm_is_warped_onto_lon_lat_pixel_by_pixel(tmp_path: Path) -> None:
    """``prep_hyp3.py`` keeps HyP3's UTM grid (X_FIRST in metres, EPSG): that stack was refused as a grid "off the
    globe". Each source pixel here holds its own index, so every lon/lat pixel says where it came from; its centre,
    taken to UTM by GDAL's point transformation (not the warper), must fall within a pixel of that source pixel, and
    coherence and components must come from the same one."""
    from rasterio.warp import transform as transform_points

    path = tmp_path / "ifgramStack.h5"
    n, rows, cols = 2, 40, 50
    index = np.arange(rows * cols, dtype=np.float32).reshape(rows, cols) + 1
    with h5py.File(path, "w") as f:
        f.create_dataset("unwrapPhase", data=np.stack([index, -index]))
        f.create_dataset("coherence", data=np.stack([index, index]) / (rows * cols + 1))
        f.create_dataset("connectComponent", data=np.stack([index, index]).astype(np.int16))
        f.create_dataset("date", data=np.array([[b"20200101", b"20200113"], [b"20200113", b"20200125"]]))
        for k, v in {"FILE_TYPE": "ifgramStack", "LENGTH": str(rows), "WIDTH": str(cols), "WAVELENGTH": "0.0555",
                     "X_FIRST": "400000.0", "Y_FIRST": "3760000.0", "X_STEP": "30.0", "Y_STEP": "-30.0",
                     "X_UNIT": "meters", "Y_UNIT": "meters", "EPSG": "32611", "UTM_ZONE": "11N"}.items():
            f.attrs[k] = v
    ifgs = read_interferograms(path)
    assert len(ifgs) == n and {i.source_crs for i in ifgs} == {"EPSG:32611"}
    for sign, ifg in zip((1, -1), ifgs, strict=True):
        got = sign * ifg.unwrapped_phase
        r, c = np.nonzero(np.isfinite(got))
        assert r.size > 0.8 * rows * cols
        lon, lat = ifg.transform @ (c + 0.5, r + 0.5)
        x, y = transform_points("EPSG:4326", "EPSG:32611", lon, lat)
        src_r = (3760000.0 - np.asarray(y)) / 30.0
        src_c = (np.asarray(x) - 400000.0) / 30.0
        came = got[r, c].astype(int) - 1
        assert np.abs(came // cols - src_r + 0.5).max() <= 1.0 and np.abs(came % cols - src_c + 0.5).max() <= 1.0
        np.testing.assert_allclose(ifg.coherence[r, c] * (rows * cols + 1), got[r, c], rtol=1e-5)
        np.testing.assert_array_equal(ifg.connected_components[r, c], got[r, c].astype(np.uint16))
    with h5py.File(path, "a") as f:
        del f.attrs["EPSG"]
    with pytest.raises(InputValidationError, match=r"^ifgramStack.h5: X_FIRST/X_STEP are in meters but no EPSG "):
        read_interferograms(path)


def test_mintpy_radar_coordinates_and_missing_wavelength_are_refused(tmp_path: Path) -> None:
    _mintpy(tmp_path / "radar.h5", geocoded=False)
    with pytest.raises(InputValidationError, match="radar coordinates"):
        read_interferograms(tmp_path / "radar.h5")
    _mintpy(tmp_path / "nowl.h5", wavelength=None)
    with pytest.raises(InputValidationError, match=r"nowl.h5: no radar wavelength.*--wavelength"):
        read_interferograms(tmp_path / "nowl.h5")
    assert read_interferograms(tmp_path / "nowl.h5", wavelength_m=0.2362)[0].wavelength_m == 0.2362


def test_hdf5_that_is_not_mintpy_names_the_supported_formats(tmp_path: Path) -> None:
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f.create_dataset("science", data=np.zeros((3, 3)))
    with pytest.raises(InputValidationError) as err:
        read_interferograms(tmp_path / "other.h5")
    assert "not a MintPy ifgramStack" in str(err.value) and SUPPORTED in str(err.value)
    assert "\n" not in str(err.value)


# ------------------------------------------------------------------------------------------------ GMTSAR
def _gmt_grid(path: Path, z_south_first: np.ndarray, lon: np.ndarray, lat: np.ndarray, fmt: str = "NETCDF4",
              radar: bool = False) -> None:
    """A GMT 'nf' grid: x, y coordinate variables (y increasing), z(y, x) float32 with NaN fill."""
    with netCDF4.Dataset(path, "w", format=fmt) as ds:
        ds.Conventions = "CF-1.7"
        ds.title = "Produced by grdmath"
        ds.node_offset = np.int32(1)
        ds.createDimension("x", lon.size)
        ds.createDimension("y", lat.size)
        x = ds.createVariable("x", "f8", ("x",))
        x.long_name, x.units = ("x", "") if radar else ("longitude", "degrees_east")
        x[:] = lon
        y = ds.createVariable("y", "f8", ("y",))
        y.long_name, y.units = ("y", "") if radar else ("latitude", "degrees_north")
        y[:] = lat
        z = ds.createVariable("z", "f4", ("y", "x"), fill_value=np.float32(np.nan))
        z.long_name = "z"
        z[:] = z_south_first


def _gmtsar_folder(tmp: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    folder = tmp / "intf" / "2015092_2015104"
    folder.mkdir(parents=True)
    for day in ("20150402", "20150414"):
        (folder / f"S1_{day}_ALL_F1.PRM").write_text(
            "num_valid_az = 1000\nradar_wavelength = 0.0554658\nSC_clock_start = 2015092.3\n"
        )
    lon = -118.0 + 0.001 * (np.arange(8) + 0.5)
    lat = 34.0 + 0.001 * (np.arange(5) + 0.5)  # south first, as GMT writes
    unw = RNG.normal(0, 10, (5, 8)).astype(np.float32)
    unw[0, 0] = np.nan
    coh = RNG.uniform(0.1, 0.9, (5, 8)).astype(np.float32)
    _gmt_grid(folder / "unwrap_ll.grd", unw, lon, lat)
    _gmt_grid(folder / "corr_ll.grd", coh, lon, lat)
    wrapped = np.angle(np.exp(1j * unw)).astype(np.float32)
    _gmt_grid(folder / "phasefilt_ll.grd", wrapped, lon, lat, fmt="NETCDF3_CLASSIC")
    return folder, unw, coh


def test_gmtsar_unwrapped_grid_north_up_with_coherence_dates_and_wavelength(tmp_path: Path) -> None:
    folder, unw, coh = _gmtsar_folder(tmp_path)
    ifg = read_interferogram(folder / "unwrap_ll.grd")
    assert ifg.source_format == "gmtsar"
    assert (ifg.secondary_date, ifg.reference_date) == (date(2015, 4, 2), date(2015, 4, 14))
    assert ifg.wavelength_m == pytest.approx(0.0554658)
    np.testing.assert_array_equal(ifg.unwrapped_phase, unw[::-1])  # north-up
    assert ifg.nodata_mask[-1, 0]  # the south-west node was NaN
    assert ifg.bbox == pytest.approx((-118.0, 34.0, -118.0 + 0.008, 34.005))
    assert ifg.coherence_path.name == "corr_ll.grd"
    np.testing.assert_allclose(ifg.coherence, coh[::-1])


def test_gmtsar_wrapped_netcdf3_grid(tmp_path: Path) -> None:
    folder, unw, _ = _gmtsar_folder(tmp_path)
    ifg = read_interferogram(folder / "phasefilt_ll.grd")
    assert ifg.is_wrapped and ifg.unwrapped_phase is None
    ok = np.isfinite(unw[::-1])
    np.testing.assert_allclose(np.angle(ifg.wrapped)[ok], np.angle(np.exp(1j * unw[::-1]))[ok], atol=1e-5)


def test_gmtsar_radar_coordinates_and_los_are_refused(tmp_path: Path) -> None:
    folder, unw, _ = _gmtsar_folder(tmp_path)
    _gmt_grid(folder / "unwrap.grd", unw, np.arange(8) * 8.0, np.arange(5) * 2.0, radar=True)
    with pytest.raises(InputValidationError, match="radar coordinates.*proj_ra2ll"):
        read_interferogram(folder / "unwrap.grd")
    _gmt_grid(folder / "los_ll.grd", unw, -118 + np.arange(8) * 0.001, 34 + np.arange(5) * 0.001)
    with pytest.raises(InputValidationError, match="LOS displacement"):
        read_interferogram(folder / "los_ll.grd")


# ------------------------------------------------------------------------------------------------ ISCE2
def _isce_xml(name: str, width: int, length: int, bands: int, dtype: str, x0: float, dx: float, y0: float,
              dy: float) -> str:
    def coord(n: str, start: float, delta: float, size: int) -> str:
        return (f'  <component name="{n}">\n    <factorymodule>isceobj.Image</factorymodule>\n'
                f'    <factoryname>createCoordinate</factoryname>\n'
                f'    <property name="delta"><value>{delta}</value></property>\n'
                f'    <property name="size"><value>{size}</value></property>\n'
                f'    <property name="startingvalue"><value>{start}</value></property>\n  </component>\n')
    props = {"access_mode": "read", "byte_order": "l", "data_type": dtype, "file_name": name,
             "length": length, "number_bands": bands, "scheme": "BIL", "width": width}
    body = "".join(f'  <property name="{k}"><value>{v}</value></property>\n' for k, v in props.items())
    coords = coord("coordinate1", x0, dx, width) + coord("coordinate2", y0, dy, length)
    return f"<imageFile>\n{body}{coords}</imageFile>\n"


def _isce_folder(tmp: Path) -> tuple[Path, np.ndarray, np.ndarray, np.ndarray]:
    root = tmp / "topsapp"
    folder = root / "merged" / "20180101_20180113"
    folder.mkdir(parents=True)
    (root / "topsProc.xml").write_text(
        "<topsProc>\n  <reference>\n    <radarwavelength>0.05546576</radarwavelength>\n  </reference>\n</topsProc>\n"
    )
    w, n = 9, 6
    amp = RNG.uniform(1, 2, (n, w)).astype("<f4")
    phase = RNG.normal(0, 8, (n, w)).astype("<f4")
    phase[2, 3] = 0  # ISCE2's no data
    np.stack([amp, phase], axis=1).tofile(folder / "filt_topophase.unw.geo")  # BIL: amp row, phase row
    (folder / "filt_topophase.unw.geo.xml").write_text(
        _isce_xml("filt_topophase.unw.geo", w, n, 2, "FLOAT", 12.5, 0.0005, 42.0, -0.0005))
    coh = RNG.uniform(0.05, 0.95, (n, w)).astype("<f4")
    coh.tofile(folder / "phsig.cor.geo")
    (folder / "phsig.cor.geo.xml").write_text(_isce_xml("phsig.cor.geo", w, n, 1, "FLOAT", 12.5, 0.0005, 42.0,
                                                        -0.0005))
    cplx = (amp * np.exp(1j * phase)).astype("<c8")
    cplx.tofile(folder / "filt_topophase.flat.geo")
    (folder / "filt_topophase.flat.geo.xml").write_text(
        _isce_xml("filt_topophase.flat.geo", w, n, 1, "CFLOAT", 12.5, 0.0005, 42.0, -0.0005))
    return folder, amp, phase, coh


def test_isce2_unw_geo_values_grid_coherence_and_wavelength_from_topsproc(tmp_path: Path) -> None:
    folder, amp, phase, coh = _isce_folder(tmp_path)
    ifg = read_interferogram(folder / "filt_topophase.unw.geo")
    assert ifg.source_format == "isce2"
    assert (ifg.secondary_date, ifg.reference_date) == (date(2018, 1, 1), date(2018, 1, 13))
    assert ifg.wavelength_m == pytest.approx(0.05546576) and "topsProc.xml" in ifg.wavelength_source
    ok = phase != 0
    np.testing.assert_array_equal(ifg.unwrapped_phase[ok], phase[ok])
    assert np.isnan(ifg.unwrapped_phase[2, 3])
    np.testing.assert_array_equal(ifg.amplitude[ok], amp[ok])
    assert ifg.bbox == pytest.approx((12.5, 42.0 - 6 * 0.0005, 12.5 + 9 * 0.0005, 42.0))
    assert ifg.coherence_path.name == "phsig.cor.geo"
    np.testing.assert_array_equal(ifg.coherence, coh)


def test_isce2_wrapped_flat(tmp_path: Path) -> None:
    folder, amp, phase, _ = _isce_folder(tmp_path)
    ifg = read_interferogram(folder / "filt_topophase.flat.geo")
    assert ifg.is_wrapped
    np.testing.assert_allclose(np.angle(ifg.wrapped), np.angle(np.exp(1j * phase)), atol=1e-5)
    np.testing.assert_allclose(np.abs(ifg.wrapped), amp, rtol=1e-6)


def test_isce2_radar_coordinates_refused(tmp_path: Path) -> None:
    folder = tmp_path / "20180101_20180113"
    folder.mkdir()
    np.ones((4, 2, 5), "<f4").tofile(folder / "filt_fine.unw")
    (folder / "filt_fine.unw.xml").write_text(_isce_xml("filt_fine.unw", 5, 4, 2, "FLOAT", 0.0, 1.0, 0.0, 1.0))
    with pytest.raises(InputValidationError, match="radar coordinates"):
        read_interferogram(folder / "filt_fine.unw", wavelength_m=0.0555)


# ------------------------------------------------------------------------------- wavelength conventions
def _tif(path: Path, data: np.ndarray, **tags: str) -> Path:
    profile = {"driver": "GTiff", "height": data.shape[0], "width": data.shape[1], "count": 1,
               "dtype": data.dtype.name, "crs": "EPSG:4326", "transform": from_origin(150.9, -34.1, 0.001, 0.001)}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
        dst.update_tags(**tags)
    return path


def test_pyrate_geotiff_wavelength_metres_dates_and_millimetres(tmp_path: Path) -> None:
    rad = RNG.normal(0, 3, (4, 5)).astype(np.float32)
    wl = 0.0562356424
    mm = (rad * wl * 1000 / (4 * np.pi)).astype(np.float32)  # PyRate's convert_to_mm
    path = _tif(tmp_path / "geo_060619-061002_unw.tif", mm, WAVELENGTH_METRES=str(wl), FIRST_DATE="2006-06-19",
                SECOND_DATE="2006-10-02", DATA_UNITS="MILLIMETRES")
    ifg = read_interferogram(path)
    assert ifg.wavelength_m == pytest.approx(wl) and ifg.wavelength_source == "WAVELENGTH_METRES"
    assert (ifg.secondary_date, ifg.reference_date) == (date(2006, 6, 19), date(2006, 10, 2))
    np.testing.assert_allclose(ifg.unwrapped_phase, rad, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("unit", "per_mm"), [
    ("MILLIMETRES", 1.0), ("mm", 1.0), ("Millimeters", 1.0), ("cm", 0.1), ("CENTIMETRES", 0.1), ("m", 0.001),
    ("Metres", 0.001), ("meters", 0.001), ("rad", None), ("RADIANS", None), ("radian", None),
])
@pytest.mark.parametrize("tagged", ["DATA_UNITS", "band unit type"])
def test_a_phase_geotiff_in_any_length_unit_reads_as_the_same_radians(tmp_path: Path, unit: str,
                                                                       per_mm: float | None, tagged: str) -> None:
    """A DATA_UNITS of cm or m was taken for radians without a word (only millimetres were converted).

    The field in mm is PyRate's ``convert_radians_to_mm`` of the radians; in cm and m the same field in those units,
    so each must read back as the radians, with the sign of the millimetres: PyRate's tag (DATA_UNITS) says so; a
    GDAL band unit type does not, so there ``--los-sign away`` says it.
    """
    rad = RNG.normal(0, 3, (4, 5)).astype(np.float32)
    wl = 0.0562356424
    mm = rad.astype(np.float64) * wl * 1000 / (4 * np.pi)
    data = (rad if per_mm is None else mm * per_mm).astype(np.float32)
    path = _tif(tmp_path / "geo_060619-061002_unw.tif", data, WAVELENGTH=str(wl),
                **({"DATA_UNITS": unit} if tagged == "DATA_UNITS" else {}))
    if tagged != "DATA_UNITS":
        with rasterio.open(path, "r+") as dst:
            dst.units = (unit,)
    los_sign = "away" if tagged != "DATA_UNITS" and per_mm is not None else None
    np.testing.assert_allclose(read_interferogram(path, los_sign=los_sign).unwrapped_phase, rad, rtol=1e-5, atol=1e-5)


#: how files state their sign: sarlake's own band description, HyP3's words for its los_disp, a phase-sign one
_SAYS_TOWARD = "LOS displacement, positive towards the satellite"
_HYP3 = ("Positive values indicate movement towards the sensor, and negative values indicate movement away from the "
         "sensor.")
_SAYS_AWAY = "positive = range increase (away from the satellite)"


@pytest.mark.parametrize(("where", "text", "sign"), [
    ("description", _SAYS_TOWARD, -1), ("description", _HYP3, -1), ("tag", _HYP3, -1), ("tag", _SAYS_AWAY, 1),
    ("description", _SAYS_AWAY, 1),
])
def test_a_length_band_reads_with_the_sign_its_file_states(tmp_path: Path, where: str, text: str, sign: int) -> None:
    """Metres toward the satellite (HyP3, MintPy, sarlake's los_displacement) are ``-phase * wavelength / (4 pi)``
    (Hanssen 2001, eq. 2.4.3): they were read with PyRate's sign, so the phase came back negated."""
    rad = RNG.normal(0, 3, (4, 5)).astype(np.float32)
    wl = 0.0555
    metres = (sign * rad.astype(np.float64) * wl / (4 * np.pi)).astype(np.float32)
    path = _tif(tmp_path / "geo_20200101-20200113_los.tif", metres, WAVELENGTH=str(wl),
                **({"DESCRIPTION_TEXT": text} if where == "tag" else {}))
    with rasterio.open(path, "r+") as dst:
        dst.units = ("m",)
        if where == "description":
            dst.set_band_description(1, text)
    np.testing.assert_allclose(read_interferogram(path).unwrapped_phase, rad, rtol=1e-5, atol=1e-5)
    flipped = "away" if sign < 0 else "toward"  # --los-sign overrides what the file says
    np.testing.assert_allclose(read_interferogram(path, los_sign=flipped).unwrapped_phase, -rad, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("tag", ["UNITS", "PHASE_UNITS", "band unit type"])
def test_a_length_band_that_does_not_say_which_way_it_points_is_refused_naming_the_flag(tmp_path: Path,
                                                                                        tag: str) -> None:
    rad = RNG.normal(0, 3, (4, 5)).astype(np.float32)
    wl = 0.0555
    path = _tif(tmp_path / "geo_20200101-20200113_unw.tif", (-rad * wl / (4 * np.pi)).astype(np.float32),
                WAVELENGTH=str(wl), **({tag: "m"} if tag != "band unit type" else {}))
    if tag == "band unit type":
        with rasterio.open(path, "r+") as dst:
            dst.units = ("m",)
    with pytest.raises(InputValidationError, match=rf"^geo_20200101-20200113_unw.tif: phase in m \({tag}\) and "
                                                   r"nothing in the file says which way .*give --los-sign toward or "
                                                   r"--los-sign away$"):
        read_interferogram(path)
    np.testing.assert_allclose(read_interferogram(path, los_sign="toward").unwrapped_phase, rad, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("tags", "says"), [
    ({"DATA_UNITS": "ft"}, "phase in ft (DATA_UNITS)"),
    ({"UNITS": "degrees"}, "phase in degrees (UNITS)"),
    ({"PHASE_UNITS": "cycles"}, "phase in cycles (PHASE_UNITS)"),
])
def test_a_phase_geotiff_in_a_unit_it_does_not_know_is_refused_naming_the_file_and_unit(
        tmp_path: Path, tags: dict[str, str], says: str) -> None:
    path = _tif(tmp_path / "geo_060619-061002_unw.tif", RNG.normal(0, 3, (4, 5)).astype(np.float32),
                WAVELENGTH="0.0555", **tags)
    with pytest.raises(InputValidationError, match=rf"^geo_060619-061002_unw.tif: {re.escape(says)}, "
                                                   r"not radians nor a length \(mm, cm, m\)"):
        read_interferogram(path)


def test_gamma_par_radar_frequency(tmp_path: Path) -> None:
    data = RNG.normal(0, 2, (4, 5)).astype(">f4")
    path = tmp_path / "20200101_20200113.unw"
    data.tofile(path)
    (tmp_path / "20200101_20200113.unw.dem_par").write_text(
        "width: 5\nnlines: 4\ncorner_lat: 34.0 decimal degrees\ncorner_lon: -118.0 decimal degrees\n"
        "post_lat: -0.001 decimal degrees\npost_lon: 0.001 decimal degrees\n")
    (tmp_path / "20200101_20200113.unw.par").write_text("radar_frequency:    5.4050005e+09   Hz\n")
    ifg = read_interferogram(path)
    assert ifg.wavelength_m == pytest.approx(299_792_458.0 / 5.4050005e9)
    assert ifg.wavelength_source == "RADAR_FREQUENCY"


# ---------------------------------------------------------------------------------- coherence by name
@pytest.mark.parametrize("coh_name", ["ifg_20200101-20200113_cc.tif", "ifg_20200101-20200113_coh.tif"])
def test_geotiff_coherence_found_by_name(tmp_path: Path, coh_name: str) -> None:
    phase = RNG.normal(0, 2, (4, 5)).astype(np.float32)
    coh = RNG.uniform(0.1, 0.9, (4, 5)).astype(np.float32)
    _tif(tmp_path / "ifg_20200101-20200113_unw.tif", phase, WAVELENGTH="0.0555")
    _tif(tmp_path / coh_name, coh)
    ifg = read_interferogram(tmp_path / "ifg_20200101-20200113_unw.tif")
    assert ifg.coherence_path.name == coh_name
    np.testing.assert_array_equal(ifg.coherence, coh)


@pytest.mark.parametrize("suffix", [".cc", ".cor", ".coh"])
def test_gamma_style_coherence_found_by_suffix(tmp_path: Path, suffix: str) -> None:
    phase = RNG.normal(0, 2, (4, 5)).astype(np.float32)
    _tif(tmp_path / "ifg_20200101-20200113.tif", phase, WAVELENGTH="0.0555")
    coh = RNG.uniform(0.1, 0.9, (4, 5)).astype(">f4")
    coh.tofile(tmp_path / f"20200101-20200113{suffix}")
    ifg = read_interferogram(tmp_path / "ifg_20200101-20200113.tif")
    assert ifg.coherence_path.name == f"20200101-20200113{suffix}"
    np.testing.assert_array_equal(ifg.coherence, coh.astype(np.float32))


def test_netcdf_that_is_not_a_gmt_grid_names_the_supported_formats(tmp_path: Path) -> None:
    path = tmp_path / "ztd.nc"  # a weather-model style cube: (z, y, x) with lat/lon, as RAiDER writes
    with netCDF4.Dataset(path, "w") as ds:
        for dim, n in (("z", 3), ("y", 4), ("x", 5)):
            ds.createDimension(dim, n)
            ds.createVariable(dim, "f8", (dim,))[:] = np.arange(n)
        ds.createVariable("ztd", "f4", ("z", "y", "x"))[:] = np.ones((3, 4, 5))
    with pytest.raises(InputValidationError) as err:
        read_interferograms(path, wavelength_m=0.0555)
    assert str(err.value).startswith("ztd.nc: netCDF file that is not a GMT grid") and SUPPORTED in str(err.value)


def test_gamma_wrapped_fcomplex_reads_and_unwraps(tmp_path: Path) -> None:
    from pges.contract import RunConfig, parse_run_config
    from pges.runner import execute
    from pges.unwrap.config import UnwrapParameters
    from pges.unwrap.pge import run

    r, c = np.mgrid[0:40, 0:50]
    truth = 12.0 * np.exp(-((r - 20.0) ** 2 + (c - 25.0) ** 2) / (2 * 9.0**2))
    path = tmp_path / "20200101_20200113.diff"
    (2.0 * np.exp(1j * truth)).astype(">c8").tofile(path)  # GAMMA fcomplex, big-endian
    (tmp_path / "20200101_20200113.diff.dem_par").write_text(
        "width: 50\nnlines: 40\ncorner_lat: 34.0\ncorner_lon: -118.0\npost_lat: -0.001\npost_lon: 0.001\n")
    (tmp_path / "20200101_20200113.diff.par").write_text("radar_frequency: 5.405e9 Hz\n")
    ifg = read_interferogram(path)
    assert ifg.is_wrapped and ifg.source_format == "gamma"
    np.testing.assert_allclose(np.angle(ifg.wrapped), np.angle(np.exp(1j * truth)), atol=1e-5)
    np.testing.assert_allclose(np.abs(ifg.wrapped), 2.0, rtol=1e-6)
    cfg = parse_run_config(RunConfig[UnwrapParameters], {  # type: ignore[misc]
        "pge": "unwrap", "inputs": [str(path)], "output_dir": str(tmp_path / "out"),
        "parameters": {"unwrap": {"method": "quality"}}}, pge="unwrap")
    met = Path(execute("unwrap", cfg, run)["products"][0]["met_uri"])
    with rasterio.open(met.parent / "unwrapped_phase.tif") as ds:
        phase = ds.read(1)
    ok = np.isfinite(phase)
    d = phase[ok] - truth[ok]
    assert ok.mean() > 0.95 and np.abs(d - np.median(d)).max() < 1e-3  # noise-free: exact up to the reference


def test_mintpy_stack_with_only_wrapped_phase(tmp_path: Path) -> None:
    path = tmp_path / "ifgramStack.h5"
    wrapped = RNG.uniform(-np.pi, np.pi, (2, 5, 6)).astype(np.float32)
    with h5py.File(path, "w") as f:
        f.create_dataset("wrapPhase", data=wrapped)
        f.create_dataset("date", data=np.array([[b"20200101", b"20200113"], [b"20200113", b"20200125"]]))
        for k, v in {"FILE_TYPE": "ifgramStack", "WAVELENGTH": "0.2362", "X_FIRST": "10", "Y_FIRST": "45",
                     "X_STEP": "0.01", "Y_STEP": "-0.01"}.items():
            f.attrs[k] = v
    ifgs = read_interferograms(path)
    assert [i.is_wrapped for i in ifgs] == [True, True] and ifgs[0].wavelength_m == 0.2362
    for ifg, k in zip(ifgs, (0, 1), strict=True):
        np.testing.assert_allclose(np.angle(ifg.wrapped), wrapped[k], atol=1e-5)


# ------------------------------------------------------------------------------- HyP3: names, UTM, no CRS
@pytest.mark.parametrize(("name", "dates"), [
    ("S1AA_20161223T070700_20170116T070658_VVP024_INT80_G_ueF_74C2_unw_phase.tif", (date(2016, 12, 23),
                                                                                  date(2017, 1, 16))),
    ("S1BB_20200101T000001_20200113T235959_HHP012_INT40_G_weF_0A1B_corr.tif", (date(2020, 1, 1), date(2020, 1, 13))),
    ("geo_060619-061002.unw", (date(2006, 6, 19), date(2006, 10, 2))),
])
def test_dates_from_a_hyp3_name_with_times(name: str, dates: tuple[date, date]) -> None:
    """HyP3 names carry each date's time (``20161223T070700``): the first pair found was '070700_20170116', and
    '070700' is no date, so a HyP3 file was refused."""
    from pges.readers.common import dates_from_name

    assert dates_from_name(name) == dates


def test_a_geotiff_without_a_crs_is_refused_naming_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "geo_20200101-20200113_unw.tif"
    with rasterio.open(path, "w", driver="GTiff", height=4, width=5, count=1, dtype="float32",
                       transform=from_origin(150.9, -34.1, 0.001, 0.001)) as dst:
        dst.write(RNG.normal(0, 3, (4, 5)).astype(np.float32), 1)
    with pytest.raises(InputValidationError, match=r"^geo_20200101-20200113_unw.tif: the GeoTIFF has no CRS.*"
                                                   r"gdal_edit.py -a_srs"):
        read_interferogram(path, wavelength_m=0.0555)


def test_a_wrapped_geotiff_in_utm_is_warped_pixel_for_pixel(tmp_path: Path) -> None:
    """A complex band on a UTM grid whose pixels are 0.001 degree at the equator (111.3 m in zone 31's centre): on
    lon/lat each pixel is one of the input's, amplitude and phase together, and 0 stays no data."""
    rows, cols = 30, 40
    phase = RNG.uniform(-np.pi, np.pi, (rows, cols))
    data = (2.0 * np.exp(1j * phase)).astype(np.complex64)
    data[:5, :] = 0
    path = tmp_path / "S1AA_20200101T000000_20200113T000000_VVP012_INT80_G_ueF_0001_wrapped_phase.tif"
    with rasterio.open(path, "w", driver="GTiff", height=rows, width=cols, count=1, dtype="complex64",
                       crs="EPSG:32631", transform=from_origin(500_000.0, 3_000.0, 111.3, 111.3)) as dst:
        dst.write(data, 1)
    ifg = read_interferogram(path)
    assert ifg.is_wrapped and ifg.source_crs == "EPSG:32631" and ifg.crs == "EPSG:4326"
    wrapped = ifg.wrapped
    assert wrapped is not None and wrapped.dtype == np.complex64
    valid = wrapped != 0
    assert 0.5 < valid.mean() < 1.0  # the 0 rows stayed no data
    assert np.allclose(np.abs(wrapped[valid]), 2.0, rtol=1e-5)  # no blending: every amplitude is the input's
    nearest = np.abs(np.angle(wrapped[valid])[:, None] - phase[5:].ravel()[None, :]).min(axis=1)
    assert nearest.max() < 1e-5  # and every phase is one of the input's (float32 rounding)


def test_a_float_band_named_wrapped_beyond_pi_is_refused_saying_so(tmp_path: Path) -> None:
    path = _tif(tmp_path / "geo_20200101-20200113_wrapped_phase.tif", RNG.normal(0, 6, (4, 5)).astype(np.float32),
                WAVELENGTH="0.0555")
    with pytest.raises(InputValidationError, match=r"^geo_20200101-20200113_wrapped_phase.tif: named as wrapped phase "
                                                   r"but its values span .* beyond -pi..pi; if it is unwrapped phase, "
                                                   r"rename it"):
        read_interferogram(path)
    inside = _tif(tmp_path / "geo_20200101-20200113_wrapped_phase.tif", RNG.uniform(-3, 3, (4, 5)).astype(np.float32),
                  WAVELENGTH="0.0555")
    ifg = read_interferogram(inside)
    assert ifg.is_wrapped and ifg.wrapped is not None and np.allclose(np.abs(ifg.wrapped), 1.0)


def test_sentinel1_relative_orbit_of_every_real_asf_record() -> None:
    """HyP3's parameter file gives the reference's absolute orbit; the track is its relative orbit. 508 real ASF
    search records (S1A and S1B, paths 35 and 174) give both: every one must agree."""
    import csv

    from pges.readers.hyp3 import relative_orbit

    with (Path(__file__).parent / "data" / "sar_metadata" / "s1_orbit_path.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 508 and {r["platform"] for r in rows} == {"SENTINEL-1A", "SENTINEL-1B"}
    for row in rows:
        assert relative_orbit(row["platform"][-1], int(row["absolute_orbit"])) == int(row["path"]), row
    assert relative_orbit("C", 1000) is None  # an offset it does not know is no track, not a guess


def test_sentinel1c_and_1d_tracks_follow_mintpys_relation_and_1c_none_after_its_orbit_change() -> None:
    """HyP3 products of Sentinel-1C (2025-) and 1D (2026-) had no track: only A and B were known. MintPy's
    ``get_relative_orbit_number`` gives C as (orbit - 172) % 175 + 1 and D as (orbit - 42) % 175 + 1; S1C's orbit
    was changed in June 2026 and the sources disagree after it, so a later S1C gets none (a user gives --track)."""
    from datetime import date

    from pges.readers.hyp3 import relative_orbit

    assert relative_orbit("C", 1000, date(2025, 4, 1)) == 129  # (1000 - 172) % 175 + 1, by hand
    assert relative_orbit("C", 172, date(2025, 4, 1)) == 1
    assert relative_orbit("D", 3000, date(2026, 1, 10)) == 159  # (3000 - 42) % 175 + 1 = 2958 - 2800 + 1
    assert relative_orbit("D", 42 + 175 * 3 + 10) == 11
    assert relative_orbit("C", 1000, date(2026, 8, 1)) is None
    assert relative_orbit("C", 1000, date(2026, 6, 8)) == 129


@pytest.mark.parametrize(("granule", "orbit", "track"), [
    ("S1C_IW_SLC__1SDV_20250401T114010_20250401T114037_001000_000123_ABCD", 1000, 129),
    ("S1D_IW_SLC__1SDV_20260110T224512_20260110T224537_003000_000456_ABCD", 3000, 159),
    ("S1C_IW_SLC__1SDV_20260801T114010_20260801T114037_009000_000789_ABCD", 9000, None),
])
def test_a_hyp3_parameter_file_of_sentinel1c_or_1d_gives_its_track(tmp_path: Path, caplog, granule, orbit,
                                                                    track) -> None:
    from pges.readers.hyp3 import hyp3_geometry

    base = tmp_path / "S1CC_20250401T114010_20250413T114010_VVP012_INT80_G_ueF_5D1E"
    tif = Path(f"{base}_unw_phase.tif")
    tif.write_bytes(b"")
    Path(f"{base}.txt").write_text(f"Reference Granule: {granule}\nReference Pass Direction: ASCENDING\n"
                                   f"Reference Orbit Number: {orbit}\n")
    geometry = hyp3_geometry(tif)
    assert geometry.get("track") == track
    assert geometry["orbit_state"] == "ascending"
    if track is None:
        assert "give --track" in caplog.text
