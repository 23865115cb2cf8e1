"""SBAS time series: accuracy against simulated truth, closure, disconnected networks, the real Envisat stack."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
import rasterio
import yaml
from rasterio.transform import from_origin

from pges.contract import RunConfig
from pges.errors import InputValidationError
from pges.ingest import ingest
from pges.raster import write_cog
from pges.runner import execute
from pges.timeseries.closure import closure_check, closure_triplets
from pges.timeseries.config import TimeseriesParameters
from pges.timeseries.pge import run
from pges.timeseries.sbas import decimal_years, invert_sbas, network_components, velocity

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "envisat_sydney_roipac"
UNW = sorted((DATA / "roipac_unw").glob("*.unw"))
COH = DATA / "gamma_coherence"


def _nearest_pairs(n: int, k: int = 3) -> list[tuple[int, int]]:
    return [(i, j) for i in range(n) for j in range(i + 1, min(i + k + 1, n))]


def _run_ts(inputs: list, out: Path, **params) -> dict:
    cfg = RunConfig[TimeseriesParameters].model_validate(
        {"pge": "timeseries", "inputs": [str(p) for p in inputs], "output_dir": str(out), "parameters": params}
    )
    return execute("timeseries", cfg, run)


# ----------------------------------------------------------------------------------- synthetic accuracy


def test_velocity_rmse_on_simulated_20_date_stack() -> None:
    rng = np.random.default_rng(20240601)
    dates = [date(2020, 1, 1) + timedelta(days=60 * n) for n in range(20)]  # 3.1 years
    rows, cols = 40, 50
    yy, xx = np.mgrid[0:rows, 0:cols]
    v_true = -25.0 * np.exp(-((yy - 20) ** 2 + (xx - 25) ** 2) / (2 * 8.0**2)) + 0.1 * xx  # mm/yr
    t = decimal_years(dates)
    d_true = v_true[None] * t[:, None, None]
    d_obs = d_true + rng.normal(0.0, 5.0, d_true.shape)  # 5 mm noise per date
    pairs = _nearest_pairs(20, 3)
    stack = np.stack([d_obs[j] - d_obs[i] for i, j in pairs])
    res = invert_sbas(stack, pairs, dates)
    assert res.network_components == [list(range(20))] and res.connected.all()
    # noise is per date, so every triplet closes and the inversion returns the noisy per-date series
    np.testing.assert_allclose(res.timeseries, d_obs - d_obs[0], atol=1e-9)
    assert np.nanmax(np.abs(res.residual)) < 1e-9
    v, sigma = velocity(res.timeseries, dates)
    rmse = float(np.sqrt(np.mean((v - v_true) ** 2)))
    print(f"velocity RMSE {rmse:.3f} mm/yr, median sigma {np.median(sigma):.3f} mm/yr")
    assert rmse < 2.0
    assert 0.7 < float(np.median(sigma)) / rmse < 1.3  # the formal error is honest


def test_closure_of_consistent_triplet_is_zero_and_injected_cycle_is_flagged() -> None:
    rng = np.random.default_rng(7)
    d = rng.normal(0, 20, (3, 30, 30))  # phase of 3 dates, radians
    pairs = [(0, 1), (1, 2), (0, 2)]
    stack = np.stack([d[j] - d[i] for i, j in pairs])
    assert closure_triplets(pairs).tolist() == [[0, 1, 2]]
    clean = closure_check(stack, pairs)
    assert np.abs(clean.closure).max() < 1e-12
    assert not clean.count.any()
    bad = stack.copy()
    region = np.zeros((30, 30), bool)
    region[5:12, 18:27] = True
    bad[1][region] += 2 * np.pi  # unwrapping error in interferogram 1-2
    flagged = closure_check(bad, pairs)
    np.testing.assert_array_equal(flagged.count, region.astype(np.int16))
    np.testing.assert_array_equal(flagged.ambiguity[0], region.astype(np.int16))
    assert flagged.ifg_flagged_pixels.tolist() == [int(region.sum())] * 3


def test_disconnected_network_inverts_and_reports_two_components() -> None:
    rng = np.random.default_rng(3)
    dates = [date(2022, 1, 1) + timedelta(days=60 * n) for n in range(10)]
    v_true = np.full((8, 9), 30.0)
    d = v_true[None] * decimal_years(dates)[:, None, None] + rng.normal(0, 0.5, (10, 8, 9))
    pairs = _nearest_pairs(5, 2) + [(i + 5, j + 5) for i, j in _nearest_pairs(5, 2)]  # dates 0-4 | 5-9
    stack = np.stack([d[j] - d[i] for i, j in pairs])
    res = invert_sbas(stack, pairs, dates)
    assert res.network_components == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    assert network_components(pairs, 10) == res.network_components
    assert (res.n_components == 2).all() and not res.connected.any()
    assert (res.component[:5] == 0).all() and (res.component[5:] == 1).all()
    np.testing.assert_allclose(res.timeseries[:5], d[:5] - d[0], atol=1e-9)
    np.testing.assert_allclose(res.timeseries[5:], d[5:] - d[5], atol=1e-9)  # relative to its own first date
    v, _ = velocity(res.timeseries, dates, res.component)  # one rate, one offset per component
    np.testing.assert_allclose(v, 30.0, atol=3.0)


def test_invert_sbas_rejects_a_single_interferogram() -> None:
    with pytest.raises(InputValidationError, match="at least 2 interferograms"):
        invert_sbas(np.zeros((1, 4, 4)), [(0, 1)], [date(2020, 1, 1), date(2020, 1, 13)])


# ----------------------------------------------------------------------------------- the real Envisat stack


@pytest.fixture(scope="module")
def envisat_l2(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("envisat_l2")
    return ingest(UNW, out, coherence_dirs=[str(COH)], mission="envisat", aoi="sydney")  # type: ignore[return-value]


def test_real_envisat_stack_time_series(envisat_l2: list[Path], tmp_path: Path) -> None:
    # reference in the stable north-west corner; coherence of this fixture is white noise, so no mask
    result = _run_ts(envisat_l2, tmp_path / "l3", reference={"lat": -34.175, "lon": 150.915}, aoi="sydney")
    met_path = Path(result["products"][0]["met_uri"])
    item = json.loads(met_path.read_text())
    props = item["properties"]
    assert props["sarlake:product_type"] == "L3_TS"
    assert props["start_datetime"].startswith("2006-06-19") and props["end_datetime"].startswith("2007-09-17")
    assert props["sarlake:network"]["connected"] and props["sarlake:network"]["n_dates"] == 13
    assert len(item["provenance"]["input_product_ids"]) == 17
    assert {"velocity", "velocity_sigma", "displacement", "closure_ambiguity_count", "connected_mask", "browse"} <= set(
        item["assets"]
    )
    folder = met_path.parent
    with rasterio.open(folder / "velocity_mm_yr.tif") as src:
        v = src.read(1)
    with rasterio.open(folder / "displacement_mm.tif") as src:
        assert src.count == 13 and src.descriptions[0] == "2006-06-19"
        assert np.nanmax(np.abs(src.read(1))) == 0.0  # relative to the first date
    # independent of the code: from the source files, which dates each pixel has an interferogram for
    valid = np.stack([np.fromfile(f, "<f4").reshape(72, 2, 47)[:, 1] != 0 for f in UNW])
    pairs = [tuple(f.stem.split("_")[1].split("-")) for f in UNW]
    dates = sorted({d for pr in pairs for d in pr})
    tied = np.zeros(v.shape, bool)
    for r, c in zip(*np.nonzero(valid.any(axis=0)), strict=True):
        edges = [pr for k, pr in enumerate(pairs) if valid[k, r, c]]
        seen, grow = {edges[0][0]}, True
        while grow:
            new = {b for a, b in edges if a in seen} | {a for a, b in edges if b in seen}
            grow, seen = not new <= seen, seen | new
        tied[r, c] = seen == set(dates)
    with rasterio.open(folder / "temporal_coherence.tif") as src:
        tcoh = src.read(1)
    with rasterio.open(folder / "ifg_count.tif") as src:
        np.testing.assert_array_equal(src.read(1), valid.sum(axis=0))
    assert not np.isfinite(v[~tied]).any()  # no velocity where the network falls apart
    np.testing.assert_array_equal(np.isfinite(v), tied & (tcoh >= 0.7))
    print(f"pixels with data {valid.any(axis=0).sum()}, tied {tied.sum()}, with velocity {np.isfinite(v).sum()}")
    figure = folder / "velocity.png"
    assert figure.stat().st_size > 10_000
    print(f"real-stack velocity figure: {figure}")
    # the longwall-mining bowls: rows 24-50, cols 20-45 (about 150.927-150.948 E, -34.19..-34.21)
    bowl = np.zeros(v.shape, bool)
    bowl[24:50, 20:45] = True
    r, c = np.unravel_index(np.nanargmin(v), v.shape)
    print(
        f"min velocity {np.nanmin(v):.1f} mm/yr at row {r} col {c}; bowl median {np.nanmedian(v[bowl]):.1f}; "
        f"outside median {np.nanmedian(v[~bowl]):.1f}"
    )
    assert np.nanmin(v) < -20.0 and bowl[r, c]
    # the bowl subsides (LOS away from the satellite); -4.9 since disconnected pixels (edges) have no velocity
    assert np.nanmedian(v[bowl]) < -4.0
    assert abs(np.nanmedian(v[~bowl])) < 3.0  # ... the rest of the scene barely moves
    assert (np.sum(v[bowl] < -10) / bowl.sum()) > 5 * max(np.sum(v[~bowl] < -10) / (~bowl).sum(), 1e-3)


# ----------------------------------------------------------------------------------- bad input


def test_single_interferogram_exits_2(envisat_l2: list[Path], tmp_path: Path) -> None:
    cfg = tmp_path / "ts.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {"pge": "timeseries", "inputs": [str(envisat_l2[0])], "output_dir": str(tmp_path / "o"), "parameters": {}}
        )
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pges", "timeseries", "--run-config", str(cfg)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "error [INVALID_INPUT]: a time series needs at least 2 interferograms, got 1" in proc.stderr


def test_all_nan_coherence_is_invalid_input(envisat_l2: list[Path], tmp_path: Path) -> None:
    import shutil

    copies = []
    for met in envisat_l2[:3]:
        dst = tmp_path / Path(met).parent.name
        shutil.copytree(Path(met).parent, dst)
        copies.append(dst / Path(met).name)
    with rasterio.open(copies[1].parent / "coherence.tif") as src:
        tr = src.transform
    write_cog(copies[1].parent / "coherence.tif", np.full((72, 47), np.nan, np.float32), tr, nodata=float("nan"))
    with pytest.raises(InputValidationError, match="coherence asset coherence.tif has no valid pixel"):
        _run_ts(copies, tmp_path / "o", min_coherence=0.2)


def _geotiff_ifg(path: Path, west: float, phase: np.ndarray) -> Path:
    prof = dict(
        driver="GTiff",
        height=phase.shape[0],
        width=phase.shape[1],
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=from_origin(west, 41.0, 0.001, 0.001),
        nodata=np.nan,
    )
    with rasterio.open(path, "w", **prof) as dst:
        dst.write(phase.astype(np.float32), 1)
        dst.update_tags(WAVELENGTH="0.0555")
    return path


def test_no_overlap_is_invalid_input(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    a = _geotiff_ifg(tmp_path / "ifg_20200101-20200113.tif", 14.0, rng.normal(0, 1, (10, 10)))
    b = _geotiff_ifg(tmp_path / "ifg_20200113-20200125.tif", 15.0, rng.normal(0, 1, (10, 10)))
    mets = ingest([a, b], tmp_path / "l2")
    with pytest.raises(InputValidationError, match="does not overlap"):
        _run_ts(mets, tmp_path / "l3")
    # same grid, but the valid areas do not intersect
    pa, pb = rng.normal(0, 1, (10, 10)), rng.normal(0, 1, (10, 10))
    pa[:, 5:] = np.nan
    pb[:, :5] = np.nan
    c = _geotiff_ifg(tmp_path / "half_20200101-20200113.tif", 14.0, pa)
    d = _geotiff_ifg(tmp_path / "half_20200113-20200125.tif", 14.0, pb)
    mets = ingest([c, d], tmp_path / "l2b")
    with pytest.raises(InputValidationError, match="no pixel is valid in all 2 interferograms"):
        _run_ts(mets, tmp_path / "l3b")


# ----------------------------------------------------------------------------------- GNSS comparison


def _write_tenv3(
    path: Path, lat: float, lon: float, days: list[date], e: np.ndarray, n: np.ndarray, u: np.ndarray
) -> None:
    lines = [
        "site YYMMMDD yyyy.yyyy __MJD week d reflon _e0(m) __east(m) ____n0(m) _north(m) u0(m) ____up(m) _ant(m) "
        "sig_e(m) sig_n(m) sig_u(m) __corr_en __corr_eu __corr_nu _latitude(deg) _longitude(deg) __height(m)"
    ]
    for d, de, dn, du in zip(days, e, n, u, strict=True):
        mjd = (d - date(1858, 11, 17)).days
        dy = d.year + (d.timetuple().tm_yday - 1) / 365.25
        lines.append(
            f"SYNT {d:%y%b%d} {dy:.4f} {mjd} 2000 1 {lon:.1f} 100 {de:.6f} 4000000 {dn:.6f} 50 {du:.6f} "
            f"0.0 0.001 0.001 0.003 0.0 0.0 0.0 {lat:.10f} {lon:.10f} 50.0"
        )
    path.write_text("\n".join(lines) + "\n")


def _station_scene(tmp_path: Path):
    rng = np.random.default_rng(11)
    dates = [date(2020, 1, 1) + timedelta(days=36 * k) for k in range(12)]
    inc, head = 34.0, -10.0
    from pges.gnss import los_unit_vector

    los = los_unit_vector(inc, head)
    v_enu = np.array([0.0, 0.0, -20.0])  # mm/yr subsidence at the station
    v_los = float(v_enu @ los)
    rows, cols = 20, 20
    field = np.zeros((rows, cols))
    field[8:13, 8:13] = v_los  # the station's block moves, the rest is still
    t = decimal_years(dates)
    wl = 0.0555
    files = []
    for i, j in _nearest_pairs(len(dates), 2):
        d_mm = field * (t[j] - t[i]) + rng.normal(0, 0.3, (rows, cols))
        phase = -d_mm / 1000.0 * 4 * np.pi / wl
        files.append(_geotiff_ifg(tmp_path / f"s_{dates[i]:%Y%m%d}-{dates[j]:%Y%m%d}.tif", 14.0, phase))
    mets = ingest(files, tmp_path / "l2", wavelength_m=wl)
    lat, lon = 41.0 - 10.5 * 0.001, 14.0 + 10.5 * 0.001  # centre of pixel (10, 10)
    days = [dates[0] + timedelta(days=k) for k in range((dates[-1] - dates[0]).days + 1)]
    ty = np.array([(d - days[0]).days / 365.25 for d in days])
    up = v_enu[2] / 1000 * ty + rng.normal(0, 0.002, ty.size)
    _write_tenv3(tmp_path / "SYNT.tenv3", lat, lon, days, np.zeros(ty.size), np.zeros(ty.size), up)
    return mets, inc, head, v_los


def test_gnss_comparison_at_a_station_inside_the_scene(tmp_path: Path) -> None:
    mets, inc, head, v_los = _station_scene(tmp_path)
    result = _run_ts(
        mets,
        tmp_path / "l3",
        reference={"lat": 41.0 - 0.0015, "lon": 14.0015},
        incidence_deg=inc,
        heading_deg=head,
        gnss_files=[str(tmp_path / "SYNT.tenv3")],
    )
    props = json.loads(Path(result["products"][0]["met_uri"]).read_text())["properties"]
    (cmp,) = props["sarlake:gnss_comparison"]
    assert cmp["status"] == "ok" and (cmp["row"], cmp["col"]) == (10, 10)
    print(f"GNSS LOS {cmp['gnss_los_mm_yr']} mm/yr vs InSAR {cmp['insar_mm_yr']} mm/yr (truth {v_los:.2f})")
    assert cmp["gnss_los_mm_yr"] == pytest.approx(v_los, abs=1.0)
    assert cmp["insar_mm_yr"] == pytest.approx(v_los, abs=1.0)
    assert abs(cmp["difference_mm_yr"]) < 1.5


PYRATE_RATE = DATA / "pyrate_linrate" / "linear_rate.npy"


def test_real_envisat_velocity_matches_pyrate_linear_rate(envisat_l2: list[Path], tmp_path: Path) -> None:
    """SBAS velocity against PyRate's published linear rate for the same 17 interferograms.

    PyRate (sign: range increase, so compared as -rate) removes a planar orbital ramp per interferogram,
    filters the atmosphere spatio-temporally, smooths the time series and picks its own reference pixel;
    we do none of these. So the maps may differ by a constant (the reference) and by a few tenths of a mm/yr
    of ramps and filtering: measured 0.56 mm/yr RMSE after the median offset, correlation 0.978, over the
    79 % of pixels where PyRate has a rate (signal range ~30 mm/yr). Bounds: RMSE < 1.0 mm/yr, correlation
    > 0.95, offset < 3 mm/yr. A flipped sign gives RMSE 5.3 and correlation -0.98; a factor 2 (2 pi for
    4 pi) RMSE 2.9 mm/yr.
    """
    result = _run_ts(envisat_l2, tmp_path / "l3", reference={"lat": -34.175, "lon": 150.915}, aoi="sydney")
    with rasterio.open(Path(result["products"][0]["met_uri"]).parent / "velocity_mm_yr.tif") as src:
        ours = src.read(1).astype(np.float64)
    pyrate = -np.load(PYRATE_RATE).astype(np.float64)
    assert ours.shape == pyrate.shape == (72, 47)
    ok = np.isfinite(ours) & np.isfinite(pyrate)
    assert ok.mean() > 0.75
    diff = ours[ok] - pyrate[ok]
    offset = float(np.median(diff))
    rmse = float(np.sqrt(np.mean((diff - offset) ** 2)))
    corr = float(np.corrcoef(ours[ok], pyrate[ok])[0, 1])
    print(f"vs PyRate linear rate: RMSE {rmse:.2f} mm/yr after offset {offset:.2f}, correlation {corr:.3f}")
    assert np.ptp(pyrate[ok]) > 20  # a real signal to compare
    assert abs(offset) < 3.0
    assert rmse < 1.0
    assert corr > 0.95
def test_reference_at_a_gnss_station_puts_the_series_in_the_gnss_frame(tmp_path: Path) -> None:
    mets, inc, head, v_los = _station_scene(tmp_path)
    result = _run_ts(mets, tmp_path / "l3", reference={"gnss_station": "SYNT", "radius_px": 0},
                     incidence_deg=inc, heading_deg=head, gnss_files=[str(tmp_path / "SYNT.tenv3")])
    met = Path(result["products"][0]["met_uri"])
    props = json.loads(met.read_text())["properties"]
    ref = props["sarlake:reference_point"]
    assert ref["method"] == "gnss:SYNT" and (ref["row"], ref["col"]) == (10, 10)
    with rasterio.open(met.parent / "velocity_mm_yr.tif") as src:
        v = src.read(1)
    # the reference moves with the station (truth v_los); the still ground now shows 0, not -v_los
    assert v[10, 10] == pytest.approx(v_los, abs=1.0)
    assert np.nanmedian(v[:5, :5]) == pytest.approx(0.0, abs=1.0)
    (station,) = props["sarlake:gnss_stations"]
    assert station["distance_to_reference_km"] < 0.1 and station["residual_rms_mm"] < 2.0
    assert (met.parent / "gnss_residuals.csv").is_file() and (met.parent / "gnss_requirement.png").is_file()


def test_weather_model_files_for_other_dates_are_invalid_input(envisat_l2: list[Path], tmp_path: Path) -> None:
    hrrr = Path(__file__).parent / "data" / "troposphere" / "HRRR_tropo_20200101T120000_ztd.nc"
    with pytest.raises(InputValidationError, match=r"no weather-model delay grid for 13 date\(s\)"):
        _run_ts(envisat_l2, tmp_path / "l3", incidence_deg=23.0, troposphere={"weather_model_files": [str(hrrr)]})
    bad = tmp_path / "20060619.ztd.tif"
    import shutil

    shutil.copy(Path(__file__).parent / "data" / "envisat_sydney_roipac" / "roipac_test_trimmed.tif", bad)  # heights
    with pytest.raises(InputValidationError, match="not a zenith delay in metres"):
        _run_ts(envisat_l2, tmp_path / "l3b", incidence_deg=23.0, troposphere={"weather_model_files": [str(bad)]})


def _mask_tif(path: Path, values: np.ndarray, **profile) -> Path:
    with rasterio.open(path, "w", driver="GTiff", height=values.shape[0], width=values.shape[1], count=1,
                       dtype=values.dtype.name, crs="EPSG:4326", transform=from_origin(14.0, 41.0, 0.001, 0.001),
                       **profile) as dst:
        dst.write(values, 1)
    return path


def test_an_all_zero_deformation_mask_is_a_valid_mask_where_nothing_deforms(tmp_path: Path) -> None:
    """The reader refused a mask of zeros as 'no data'; zero is its value for still ground, not a fill."""
    from types import SimpleNamespace

    from pges.timeseries.pge import read_inputs

    grid = SimpleNamespace(phase=np.zeros((2, 4, 5), np.float32))

    def mask_of(path: Path) -> np.ndarray | None:
        p = TimeseriesParameters.model_validate({"troposphere": {"deformation_mask": str(path)}})
        return read_inputs(grid, p, Path).deformation_mask

    np.testing.assert_array_equal(mask_of(_mask_tif(tmp_path / "still.tif", np.zeros((4, 5), np.uint8))),
                                  np.zeros((4, 5), bool))
    some = np.zeros((4, 5), np.uint8)
    some[1:3, 2:4] = 1
    np.testing.assert_array_equal(mask_of(_mask_tif(tmp_path / "some.tif", some)), some == 1)
    # a mask with nothing in it is still refused: every pixel NaN, or the declared no-data value
    with pytest.raises(InputValidationError,
                       match=r"^nan.tif: no pixel has a value \(every one is NaN or the no-data value\)$"):
        mask_of(_mask_tif(tmp_path / "nan.tif", np.full((4, 5), np.nan, np.float32)))
    with pytest.raises(InputValidationError,
                       match=r"^nodata.tif: no pixel has a value \(every one is NaN or the no-data value\)$"):
        mask_of(_mask_tif(tmp_path / "nodata.tif", np.full((4, 5), 255, np.uint8), nodata=255))


def test_pixels_outside_every_footprint_raise_no_numpy_warning(tmp_path: Path) -> None:
    """A scene's corners outside the footprint (NaN in every interferogram and coherence, as in every
    geocoded product) printed 'RuntimeWarning: Mean of empty slice' and the numpy line twice into the task log
    of each timeseries PGE run, which reads like a fault; they are simply no data."""
    import warnings

    rng = np.random.default_rng(8)
    dates = [date(2020, 1, 1) + timedelta(days=12 * k) for k in range(4)]
    outside = np.zeros((20, 20), bool)
    outside[:6, :6] = True
    files = []
    for i, j in _nearest_pairs(len(dates), 2):
        name = f"c_{dates[i]:%Y%m%d}-{dates[j]:%Y%m%d}"
        phase, coh = rng.normal(0, 0.3, (20, 20)), rng.uniform(0.5, 0.9, (20, 20))
        phase[outside] = coh[outside] = np.nan
        files.append(_geotiff_ifg(tmp_path / f"{name}.tif", 14.0, phase))
        _geotiff_ifg(tmp_path / f"{name}_cc.tif", 14.0, coh)
    mets = ingest(files, tmp_path / "l2", wavelength_m=0.0555)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _run_ts(mets, tmp_path / "l3")
    assert result["status"] == "ok", result
    assert not [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]


def test_the_l3_products_carry_the_track_their_interferograms_share(tmp_path: Path) -> None:
    """The L3 products' met.json had no track or orbit direction although every input had them, so the lake and
    the browse UI could not say which track a time series is of. A series of one track carries it (L3_TS and
    L3_COH); one whose inputs disagree carries none."""
    rng = np.random.default_rng(9)
    dates = [date(2020, 1, 1) + timedelta(days=12 * k) for k in range(4)]
    files = []
    for i, j in _nearest_pairs(len(dates), 2):
        name = f"t_{dates[i]:%Y%m%d}-{dates[j]:%Y%m%d}"
        files.append(_geotiff_ifg(tmp_path / f"{name}.tif", 14.0, rng.normal(0, 0.3, (12, 12))))
        _geotiff_ifg(tmp_path / f"{name}_cc.tif", 14.0, rng.uniform(0.5, 0.9, (12, 12)))

    def orbits(mets: list, out: Path) -> dict[str, tuple]:
        result = _run_ts(mets, out)
        assert result["status"] == "ok", result
        docs = [json.loads(Path(p["met_uri"]).read_text()) for p in result["products"]]
        return {d["properties"]["sarlake:product_type"]: (d["properties"].get("sat:relative_orbit"),
                                                          d["properties"].get("sat:orbit_state")) for d in docs}

    one = ingest(files, tmp_path / "one", wavelength_m=0.0555, track=44, orbit_state="ascending")
    assert orbits(one, tmp_path / "l3_one") == {"L3_TS": (44, "ascending"), "L3_COH": (44, "ascending")}
    mixed = (ingest(files[:2], tmp_path / "mixed", wavelength_m=0.0555, track=44, orbit_state="ascending")
             + ingest(files[2:], tmp_path / "mixed", wavelength_m=0.0555, track=117, orbit_state="ascending"))
    assert orbits(mixed, tmp_path / "l3_mixed") == {"L3_TS": (None, "ascending"), "L3_COH": (None, "ascending")}
