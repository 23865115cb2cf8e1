"""Troposphere corrections, the GNSS tie and NISAR requirement, the coherence product, parameter-hashed ids."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
import rasterio

from pges.contract import RunConfig
from pges.errors import InputValidationError
from pges.gnss import GNSSTimeSeries, los_unit_vector
from pges.ingest import ingest
from pges.runner import execute
from pges.timeseries.config import TimeseriesParameters
from pges.timeseries.gnss_tie import nisar_transient_mm, tie_to_gnss
from pges.timeseries.pge import run
from pges.timeseries.troposphere import (
    ZenithDelay,
    read_zenith_delay,
    stratified_correction,
    weather_model_correction,
)

DATA = Path(__file__).parent / "data"
HRRR = DATA / "troposphere" / "HRRR_tropo_20200101T120000_ztd.nc"
SYD = DATA / "envisat_sydney_roipac"

# ------------------------------------------------------------------------------------------ troposphere


def test_real_hrrr_delay_cube_is_read_at_its_nodes_and_heights() -> None:
    zd = read_zenith_delay(HRRR)
    assert zd.day == date(2020, 1, 1)
    assert zd.heights is not None and zd.heights.tolist() == [0, 50, 100, 500, 1000]
    # independent read of the file: wet + hydro at node (row 10, col 20), every height
    layers = []
    for name in ("wet", "hydro"):
        with rasterio.open(f"netcdf:{HRRR}:{name}") as src:
            layers.append(src.read())
            lon = src.transform.c + src.transform.a * 20.5
            lat = src.transform.f + src.transform.e * 10.5
    total = layers[0][:, 10, 20] + layers[1][:, 10, 20]
    for k, h in enumerate([0.0, 50.0, 100.0, 500.0, 1000.0]):
        got = zd.sample(np.array([lon]), np.array([lat]), np.array([h]))[0]
        assert got == pytest.approx(total[k], abs=1e-9)
    mid = zd.sample(np.array([lon]), np.array([lat]), np.array([300.0]))[0]
    assert mid == pytest.approx((total[2] + total[3]) / 2, abs=1e-9)  # linear in height
    # metres of delay (this golden file integrates to 3.4 m at 0 m; ~2.3-2.6 is typical), less higher up
    assert 2.0 < total[0] < 4.0 and np.all(np.diff(total) < 0)
    with pytest.raises(InputValidationError, match="needs heights"):
        zd.sample(np.array([lon]), np.array([lat]))


def test_weather_model_correction_is_the_los_delay_difference() -> None:
    lon, lat = np.meshgrid(np.linspace(10, 11, 5), np.linspace(45, 46, 4))
    nodes_lon, nodes_lat = np.linspace(9.5, 11.5, 9), np.linspace(44.5, 46.5, 9)
    d1, d2 = date(2021, 1, 1), date(2021, 1, 13)
    z1 = ZenithDelay(Path("a_20210101.tif"), d1, nodes_lon, nodes_lat, None, np.full((9, 9), 2.30))
    ramp = 2.30 + 0.01 * (nodes_lon[None, :] - 10) + 0 * nodes_lat[:, None]  # 1 cm more per degree east
    z2 = ZenithDelay(Path("b_20210113.tif"), d2, nodes_lon, nodes_lat, None, ramp)
    wl, inc = 0.0555, 35.0
    phase = np.zeros((1, 4, 5), np.float32)
    out, rep = weather_model_correction(phase, [(0, 1)], [d1, d2], [z1, z2], lon, lat, wavelength_m=wl,
                                        incidence_deg=inc)
    expected = -4 * np.pi / wl * 0.01 * (lon - 10) / np.cos(np.deg2rad(inc))
    np.testing.assert_allclose(out[0], expected, atol=1e-5)
    with pytest.raises(InputValidationError, match="no weather-model delay grid for 1 date"):
        weather_model_correction(phase, [(0, 1)], [d1, d2], [z1], lon, lat, wavelength_m=wl, incidence_deg=inc)


def test_stratified_fit_recovers_k_only_with_the_deforming_mask() -> None:
    rng = np.random.default_rng(1)
    rows, cols = 60, 60
    yy, xx = np.mgrid[0:rows, 0:cols]
    h = 200 + 1500 * np.exp(-((yy - 30) ** 2 + (xx - 30) ** 2) / (2 * 12.0**2))  # a volcano
    k_true = np.array([2e-3, -3e-3, 1e-3])  # rad per m
    bump = np.exp(-((yy - 30) ** 2 + (xx - 30) ** 2) / (2 * 6.0**2)) * 8.0  # uplift at the summit, rad
    phase = np.stack([k * h + bump + rng.normal(0, 0.2, h.shape) for k in k_true])
    deforming = bump > 0.005
    _, rep = stratified_correction(phase, h, deforming)
    k_fit = np.array([e["k_rad_per_km"] for e in rep.per_ifg]) / 1000
    np.testing.assert_allclose(k_fit, k_true, atol=3e-4)  # ~5 sigma of the noise over the unmasked relief
    _, biased = stratified_correction(phase, h, np.zeros_like(deforming))
    k_biased = np.array([e["k_rad_per_km"] for e in biased.per_ifg]) / 1000
    assert np.all(np.abs(k_biased - k_true) > 1e-3)  # deformation leaks into k without the mask


# ------------------------------------------------------------------------------------------ GNSS


def _station(name: str, lat: float, lon: float, v_enu_mm_yr: tuple[float, float, float], t0: date) -> GNSSTimeSeries:
    days = np.arange(np.datetime64(t0), np.datetime64(t0) + 800)
    t = (days - days[0]).astype(float) / 365.25
    e, n, u = (np.asarray(v_enu_mm_yr)[:, None] / 1000.0 * t[None, :])
    z = np.full(t.size, 0.001)
    return GNSSTimeSeries(name, lat, lon, 0.0, days, 2020 + t, e, n, u, z, z, z, "synthetic")


def test_tie_to_gnss_and_nisar_requirement() -> None:
    from rasterio.transform import from_origin

    assert nisar_transient_mm(1.0) == pytest.approx(6.0) and nisar_transient_mm(25.0) == pytest.approx(18.0)
    inc, head = 38.0, -12.0
    los = los_unit_vector(inc, head)
    t0 = date(2020, 1, 1)
    dates = [t0 + timedelta(days=12 * k) for k in range(40)]
    tr = from_origin(14.0, 41.0, 0.01, 0.01)  # 1.1 km pixels, 40 x 40
    rows, cols = 40, 40
    stations = [_station("REF1", 40.995, 14.005, (0, 0, 5.0), t0), _station("MID2", 40.805, 14.205, (2, 1, -10.0), t0),
                _station("FAR3", 40.655, 14.305, (0, 0, -20.0), t0)]
    v_los = {g.station: float(np.array([2, 1, -10.0]) @ los) if g.station == "MID2" else
             float(np.array([0, 0, 5.0 if g.station == "REF1" else -20.0]) @ los) for g in stations}
    t = np.array([(d - t0).days / 365.25 for d in dates])
    ts = np.zeros((len(dates), rows, cols))
    rng = np.random.default_rng(0)
    for g in stations:  # InSAR, relative to the reference pixel (REF1's), with 1 mm noise
        colf, rowf = ~tr @ (g.lon, g.lat)
        ts[:, int(rowf), int(colf)] = (v_los[g.station] - v_los["REF1"]) * t + rng.normal(0, 1.0, t.size)
    ts[:, 0, 0] = 0.0
    tied, tie = tie_to_gnss(ts, dates, tr, (0, 0), stations, los, reference_station="REF1")
    np.testing.assert_allclose(tied[:, 0, 0], v_los["REF1"] * t, atol=0.05)  # the reference moves with REF1
    rows_by = {s["station"]: s for s in tie.stations}
    assert rows_by["MID2"]["residual_rms_mm"] < 2.0 and rows_by["MID2"]["meets_requirement"]
    # 0.34 deg of latitude (37.8 km) and 0.30 deg of longitude at 40.8N (25.3 km): 45.5 km
    assert rows_by["FAR3"]["distance_to_reference_km"] == pytest.approx(45.5, abs=0.3)
    assert tie.summary["requirement_met"]
    # a 15 mm unwrapping-size error on half the dates at FAR3 breaks the requirement at FAR3
    bad = ts.copy()
    colf, rowf = ~tr @ (stations[2].lon, stations[2].lat)
    bad[::2, int(rowf), int(colf)] += 40.0
    _, tie_bad = tie_to_gnss(bad, dates, tr, (0, 0), stations, los, reference_station="REF1")
    far = {s["station"]: s for s in tie_bad.stations}["FAR3"]
    assert not far["meets_requirement"] and far["pass_share"] < 0.1
    with pytest.raises(InputValidationError, match="not among the stations on the grid"):
        tie_to_gnss(ts, dates, tr, (0, 0), stations, los, reference_station="NOPE")


# ------------------------------------------------------------------------------------------ PGE level


@pytest.fixture(scope="module")
def sydney_l2(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("syd_l2")
    unw = sorted((SYD / "roipac_unw").glob("*.unw"))
    return ingest(unw, out, coherence_dirs=[str(SYD / "gamma_coherence")], mission="envisat", aoi="sydney")  # type: ignore[return-value]


def _run(inputs: list[Path], out: Path, **params) -> dict:
    cfg = RunConfig[TimeseriesParameters].model_validate(
        {"pge": "timeseries", "inputs": [str(p) for p in inputs], "output_dir": str(out), "parameters": params}
    )
    return execute("timeseries", cfg, run)


def test_other_settings_make_another_product_same_settings_the_same(sydney_l2: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "l3"
    a = _run(sydney_l2, out, aoi="sydney")
    b = _run(sydney_l2, out, aoi="sydney", min_temporal_coherence=0.5)
    c = _run(sydney_l2, out, aoi="sydney")
    ids = [r["products"][0]["id"] for r in (a, b, c)]
    assert ids[0] != ids[1] and ids[0] == ids[2]
    assert {p["id"] for r in (a, b) for p in r["products"]} == {p.name for p in out.iterdir()}  # nothing overwritten
    kinds = sorted(p["id"].split("-")[1] for p in a["products"])
    assert kinds == ["COH", "TS"]  # the coherence time series is a product of its own


def test_stratified_on_the_real_stack_and_the_coherence_product(sydney_l2: list[Path], tmp_path: Path) -> None:
    r = _run(sydney_l2, tmp_path / "l3", aoi="sydney",
             troposphere={"stratified": True, "dem": str(SYD / "roipac_test_trimmed.tif")})
    ts_met, coh_met = (Path(p["met_uri"]) for p in sorted(r["products"], key=lambda p: "COH" in p["id"]))
    props = json.loads(ts_met.read_text())["properties"]
    (strat,) = props["sarlake:troposphere"]
    assert strat["name"] == "stratified" and len(strat["per_ifg"]) == 17
    assert all(e["k_rad_per_km"] is not None for e in strat["per_ifg"])
    ref = props["sarlake:reference_point"]
    assert ref["method"] == "auto" and ref["in_deforming_mask"] is False and ref["criteria"]["coherence_used"]
    coh = json.loads(coh_met.read_text())
    assert coh["properties"]["sarlake:product_type"] == "L3_COH"
    with rasterio.open(coh_met.parent / "coherence_stack.tif") as src:
        assert src.count == 17
        band = src.read(1)
    from pges.readers import read_coherence

    first = sorted((SYD / "gamma_coherence").glob("*.cc"))[0]  # 20060619-20061002: earliest mid-date
    np.testing.assert_allclose(band, read_coherence(first, (72, 47)), equal_nan=True)


def test_gnss_station_reference_needs_the_station_on_the_grid(sydney_l2: list[Path], tmp_path: Path) -> None:
    with pytest.raises(InputValidationError, match="LHAS"):
        _run(sydney_l2[:4], tmp_path / "l3", reference={"gnss_station": "LHAS"},
             gnss_files=[str(DATA / "gnss" / "LHAS.tenv3")], incidence_deg=23.0, heading_deg=-168.0)


def test_gnss_without_geometry_names_the_flags(sydney_l2: list[Path], tmp_path: Path) -> None:
    with pytest.raises(InputValidationError, match="--incidence"):
        _run(sydney_l2[:4], tmp_path / "l3", gnss_files=[str(DATA / "gnss" / "LHAS.tenv3")])


def test_residual_table_is_written(tmp_path: Path) -> None:
    from pges.timeseries.gnss_tie import GnssTie, write_residual_table

    tie = GnssTie(stations=[{"station": "A", "lat": 1.0, "lon": 2.0, "requirement_mm": 6.0}])
    rows = list(csv.DictReader(write_residual_table(tmp_path / "r.csv", tie).open()))
    assert rows[0]["station"] == "A" and rows[0]["requirement_mm"] == "6.0"
