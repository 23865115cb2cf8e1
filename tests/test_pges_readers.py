"""Readers of external interferograms, against the real Envisat ROI_PAC stack and synthetic GAMMA/GeoTIFF files."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from pges.errors import InputValidationError
from pges.readers import dates_from_name, read_gamma_unw, read_geotiff_unw, read_interferogram, read_roipac_unw

DATA = Path(__file__).parent / "data" / "envisat_sydney_roipac"
UNW = sorted((DATA / "roipac_unw").glob("*.unw"))
COH = DATA / "gamma_coherence"


def _names_dates(path: Path) -> tuple[date, date]:
    a, b = path.name.removeprefix("geo_").removesuffix(".unw").split("-")
    return datetime.strptime(a, "%y%m%d").date(), datetime.strptime(b, "%y%m%d").date()


def _rsc(path: Path) -> dict[str, str]:
    return dict(line.split()[:2] for line in Path(str(path) + ".rsc").read_text().splitlines() if line.strip())


def test_real_stack_has_17_files() -> None:
    assert len(UNW) == 17
    assert len(list(COH.glob("*.cc"))) == 17


@pytest.mark.parametrize("path", UNW, ids=[p.name for p in UNW])
def test_roipac_real_dates_geometry_values_and_coherence(path: Path) -> None:
    ifg = read_interferogram(path, coherence_dirs=[COH])
    earlier, later = _names_dates(path)
    assert (ifg.secondary_date, ifg.reference_date) == (earlier, later)
    assert ifg.source_format == "roipac"
    rsc = _rsc(path)
    w, n = int(rsc["WIDTH"]), int(rsc["FILE_LENGTH"])
    x0, dx, y0, dy = (float(rsc[k]) for k in ("X_FIRST", "X_STEP", "Y_FIRST", "Y_STEP"))
    assert ifg.shape == (n, w) == (72, 47)
    np.testing.assert_allclose(ifg.bbox, (x0, y0 + n * dy, x0 + w * dx, y0), atol=1e-9)
    assert ifg.wavelength_m == pytest.approx(float(rsc["WAVELENGTH"]))
    # raw layout: per line, an amplitude row then a phase row, little-endian float32
    raw_phase = np.fromfile(path, "<f4").reshape(n, 2, w)[:, 1]
    nz = raw_phase != 0
    np.testing.assert_array_equal(ifg.unwrapped_phase[nz], raw_phase[nz])
    assert np.isnan(ifg.unwrapped_phase[~nz]).all()
    np.testing.assert_array_equal(ifg.nodata_mask, ~nz)
    assert ifg.amplitude is None  # the amplitude rows of this stack are all zero
    # coherence paired by the dates in its name, read as big-endian float32
    assert ifg.coherence_path is not None
    assert ifg.coherence_path.name == f"{earlier:%Y%m%d}-{later:%Y%m%d}_utm.unw.cc"
    raw_coh = np.fromfile(ifg.coherence_path, ">f4").reshape(72, 47)
    np.testing.assert_array_equal(ifg.coherence, raw_coh)
    # LOS: positive toward the satellite = minus phase
    mm = ifg.los_displacement_mm()
    np.testing.assert_allclose(mm[nz], -raw_phase[nz] * ifg.wavelength_m / (4 * np.pi) * 1000, rtol=1e-6)


def _copy_pair(tmp: Path, name: str = "geo_060619-061002.unw") -> Path:
    dst = tmp / name
    shutil.copy(DATA / "roipac_unw" / "geo_060619-061002.unw", dst)
    shutil.copy(DATA / "roipac_unw" / "geo_060619-061002.unw.rsc", Path(str(dst) + ".rsc"))
    dst.chmod(0o644)
    Path(str(dst) + ".rsc").chmod(0o644)
    return dst


def test_truncated_unw_names_file_and_sizes(tmp_path: Path) -> None:
    path = _copy_pair(tmp_path)
    path.write_bytes(path.read_bytes()[:13_000])
    with pytest.raises(InputValidationError) as err:
        read_roipac_unw(path)
    assert str(err.value) == (
        "geo_060619-061002.unw: 13,000 bytes but WIDTH 47 x FILE_LENGTH 72 x 2 bands x 4 bytes = 27,072"
    )
    assert "\n" not in str(err.value)


def test_missing_rsc(tmp_path: Path) -> None:
    path = _copy_pair(tmp_path)
    Path(str(path) + ".rsc").unlink()
    with pytest.raises(InputValidationError, match=r"geo_060619-061002\.unw\.rsc is missing"):
        read_interferogram(path)
    with pytest.raises(InputValidationError, match="rsc is missing"):
        read_roipac_unw(path)


def test_unparsable_dates(tmp_path: Path) -> None:
    path = _copy_pair(tmp_path)
    rsc = Path(str(path) + ".rsc")
    rsc.write_text(rsc.read_text().replace("DATE12            060619-061002", "DATE12            060619-06X002"))
    with pytest.raises(InputValidationError, match="cannot parse date '06X002'"):
        read_roipac_unw(path)
    # no DATE12 and no dates in the name
    rsc.write_text("\n".join(ln for ln in rsc.read_text().splitlines() if not ln.startswith("DATE")))
    nodate = tmp_path / "ifg.unw"
    path.rename(nodate)
    rsc.rename(str(nodate) + ".rsc")
    with pytest.raises(InputValidationError, match="no DATE12"):
        read_roipac_unw(nodate)


def test_all_zero_phase(tmp_path: Path) -> None:
    path = _copy_pair(tmp_path)
    path.write_bytes(np.zeros(72 * 2 * 47, "<f4").tobytes())
    with pytest.raises(InputValidationError, match="every pixel is zero"):
        read_roipac_unw(path)


def test_dates_from_names() -> None:
    assert dates_from_name("geo_060619-061002_unw") == (date(2006, 6, 19), date(2006, 10, 2))
    assert dates_from_name("20061106-20070326_utm.unw.cc") == (date(2006, 11, 6), date(2007, 3, 26))
    assert dates_from_name("S1_20240103_20240115_unw.tif") == (date(2024, 1, 3), date(2024, 1, 15))
    assert dates_from_name("no_dates_here.tif") is None


def test_gamma_geocoded_unw_with_dem_par(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    phase = rng.normal(0, 2, (30, 20)).astype(np.float32)
    phase[:3, :4] = 0  # no data
    path = tmp_path / "20200101-20200113.unw"
    phase.astype(">f4").tofile(path)
    (tmp_path / "20200101-20200113.dem_par").write_text(
        "Gamma DIFF&GEO DEM/MAP parameter file\ntitle: test\nDEM_projection:     EQA\n"
        "width:                  20\nnlines:                 30\n"
        "corner_lat:     -34.1700000  decimal degrees\ncorner_lon:     150.9100000  decimal degrees\n"
        "post_lat:    -1.0000000e-03  decimal degrees\npost_lon:     1.0000000e-03  decimal degrees\n"
    )
    (tmp_path / "20200101-20200113.par").write_text("radar_frequency:   5.4050005e+09   Hz\n")
    coh = np.clip(rng.uniform(0, 1, (30, 20)), 0.01, 1).astype(np.float32)
    coh.astype(">f4").tofile(tmp_path / "20200101-20200113.cc")
    ifg = read_interferogram(path)
    assert ifg.source_format == "gamma"
    assert (ifg.secondary_date, ifg.reference_date) == (date(2020, 1, 1), date(2020, 1, 13))
    assert ifg.wavelength_m == pytest.approx(299_792_458.0 / 5.4050005e9)
    # GAMMA corner = centre of the first pixel: the affine origin is half a post further out
    assert ifg.transform.c == pytest.approx(150.9095) and ifg.transform.f == pytest.approx(-34.1695)
    assert np.isnan(ifg.unwrapped_phase[:3, :4]).all()
    np.testing.assert_array_equal(ifg.unwrapped_phase[3:], phase[3:])
    np.testing.assert_array_equal(ifg.coherence, coh)
    # a truncated GAMMA raster
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(InputValidationError, match=r"1,000 bytes but 20 columns x 30 lines x 4 bytes .* = 2,400"):
        read_gamma_unw(path)


def test_gamma_coherence_with_wrong_byte_order_is_rejected(tmp_path: Path) -> None:
    path = _copy_pair(tmp_path)
    raw = np.fromfile(COH / "20060619-20061002_utm.unw.cc", ">f4")
    raw.astype("<f4").tofile(tmp_path / "20060619-20061002.cc")  # little-endian: garbage values
    with pytest.raises(InputValidationError, match="expected 0..1"):
        read_interferogram(path)


def test_geotiff_dates_from_tags_and_name(tmp_path: Path) -> None:
    phase = np.linspace(-3, 3, 200, dtype=np.float32).reshape(10, 20)
    phase[0, 0] = np.nan
    profile = dict(
        driver="GTiff",
        height=10,
        width=20,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=from_origin(14.0, 41.0, 0.001, 0.001),
        nodata=np.nan,
    )
    tagged = tmp_path / "ifg.tif"
    with rasterio.open(tagged, "w", **profile) as dst:
        dst.write(phase, 1)
        dst.update_tags(REFERENCE_DATE="20240115", SECONDARY_DATE="20240103", WAVELENGTH="0.05546576")
    ifg = read_geotiff_unw(tagged)
    assert (ifg.reference_date, ifg.secondary_date) == (date(2024, 1, 15), date(2024, 1, 3))
    assert ifg.wavelength_m == pytest.approx(0.05546576)
    assert ifg.bbox == pytest.approx((14.0, 40.99, 14.02, 41.0))
    named = tmp_path / "S1_20240103-20240115_unw.tif"
    with rasterio.open(named, "w", **profile) as dst:
        dst.write(phase, 1)
    with pytest.raises(InputValidationError, match="no radar wavelength.*--wavelength"):
        read_interferogram(named)
    ifg2 = read_interferogram(named, wavelength_m=0.0555)
    assert ifg2.temporal_baseline_days == 12 and ifg2.nodata_mask[0, 0]


MATLAB_MM = DATA / "pyrate_matlab_mm"


@pytest.mark.parametrize("path", UNW, ids=[p.name for p in UNW])
def test_roipac_mm_matches_pyrate_matlab_conversion(path: Path) -> None:
    """Radians -> mm against PyRate's MATLAB predecessor on the same files (an independent implementation).

    The MATLAB output is printed to 5 significant digits, so "equal" is: within half a unit of the 5th
    significant digit (plus float32 rounding of our value). Its sign is range increase, ours is towards the
    satellite: ours = -MATLAB. A wrong wavelength, 2 pi instead of 4 pi, or the other sign is off by far more.
    """
    ref = np.loadtxt(MATLAB_MM / f"matlab_ifg_mm_{path.name}.csv", delimiter=",")
    mm = read_interferogram(path).los_displacement_mm().astype(np.float64)
    assert mm.shape == ref.shape == (72, 47)
    np.testing.assert_array_equal(np.isnan(mm), np.isnan(ref))  # same no-data pixels
    ok = np.isfinite(ref)
    assert ok.mean() > 0.5
    half_unit = 0.5 * 10.0 ** (np.floor(np.log10(np.abs(ref[ok]))) - 4)
    err = np.abs(mm[ok] - (-ref[ok]))
    assert (err <= half_unit + 1e-6 * np.abs(ref[ok])).all(), float((err / half_unit).max())
