"""Accuracy of the time series against the simulate PGE's truth: a 2-year, 12-day stack with atmosphere.

The stack: the simulate PGE's scene model (``_Frame`` + ``simulate_date``: Mogi source, turbulent and
stratified troposphere over the Vesuvius SRTM DEM, temporal + geometric decorrelation) for 62 dates 12 days
apart; each date linked to its next 3 (180 interferograms) formed from the SLCs and multilooked 2x2 to
126 x 127 pixels of 80 m. Unwrapping is by oracle (the wrapped noisy phase plus the integer cycles of the
truth), so decorrelation noise stays and unwrapping errors are left out: these tests measure the time
series, not the unwrapper. Truth velocity: the simulator's deformation, LOS, between the first and last
date (a Mogi source grows linearly). "Weather model" grids: the simulator's troposphere, mapped to the
zenith, block-averaged to 320 m and given 2 mm of independent noise and a 2.3 m hydrostatic offset,
written as GACOS-style GeoTIFFs (one per date) and read back by the PGE's reader.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from scipy.ndimage import uniform_filter

from pges.simulate.config import SimulateParameters
from pges.simulate.pge import _Frame
from pges.simulate.scene import simulate_date
from pges.timeseries.config import TimeseriesParameters
from pges.timeseries.process import Inputs, process
from pges.timeseries.stack import IfgStack
from pges.timeseries.troposphere import read_zenith_delay

N_DATES, STEP_DAYS, NEIGHBOURS, LOOKS = 62, 12, 3, 2
DEFORMING_MM_YR = 2.0  # truth |LOS rate| above this = "inside the simulated deformation"


def _ml(a: np.ndarray) -> np.ndarray:
    r, c = (a.shape[0] // LOOKS) * LOOKS, (a.shape[1] // LOOKS) * LOOKS
    return a[:r, :c].reshape(r // LOOKS, LOOKS, c // LOOKS, LOOKS).mean(axis=(1, 3))[::-1]  # north up


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("sim_ts")
    start = datetime(2022, 1, 4, 5, 0, tzinfo=UTC)
    days = [start + timedelta(days=STEP_DAYS * k) for k in range(N_DATES)]
    p = SimulateParameters.model_validate(
        dict(
            bbox=[14.38, 40.78, 14.50, 40.87], track=44, direction="A", frame="TS", heading_deg=0.0, posting_m=40,
            acquisitions=[{"id": "x", "start_time": days[0].isoformat()}], seed=3,
            deformation=[{"kind": "mogi", "volume_rate_m3_per_yr": 4e5, "depth_m": 1500,
                          "center_lon": 14.475, "center_lat": 40.85}],
            atmosphere={"turbulence_mm": 5.0, "stratified_mm_per_km": 10.0},
            noise={"coherence": 0.8, "tau_days": 30},
        )
    )
    frame = _Frame(p)
    scenes = [simulate_date(p, frame.scene, d) for d in days]
    lon, lat = _ml(frame.lon), _ml(frame.lat)
    dx, dy = float(np.mean(np.diff(lon, axis=1))), float(np.mean(-np.diff(lat, axis=0)))
    transform = from_origin(float(lon[0, 0]) - dx / 2, float(lat[0, 0]) + dy / 2, dx, dy)
    inc = np.deg2rad(frame.grid.incidence())[None, :]
    pairs = [(i, j) for i in range(N_DATES) for j in range(i + 1, min(i + NEIGHBOURS + 1, N_DATES))]
    phase, coh = [], []
    for i, j in pairs:
        s1, s2 = scenes[i].slc.astype(np.complex128), scenes[j].slc.astype(np.complex128)
        ifg = s2 * np.conj(s1)
        wrapped = np.angle(_ml(ifg.real) + 1j * _ml(ifg.imag))
        truth = _ml(scenes[j].phase_rad.astype(np.float64) - scenes[i].phase_rad)
        phase.append(wrapped + 2 * np.pi * np.round((truth - wrapped) / (2 * np.pi)))  # oracle unwrapping
        num = np.abs(uniform_filter(ifg.real, 4) + 1j * uniform_filter(ifg.imag, 4))
        den = np.sqrt(uniform_filter(np.abs(s1) ** 2, 4) * uniform_filter(np.abs(s2) ** 2, 4))
        coh.append(_ml(num / den))
    dates = [d.date() for d in days]
    t_years = (dates[-1] - dates[0]).days / 365.25
    v_true = _ml(scenes[-1].deformation_los_mm - scenes[0].deformation_los_mm) / t_years
    stack = IfgStack(
        ids=[f"sim_{dates[i]:%Y%m%d}_{dates[j]:%Y%m%d}" for i, j in pairs], uris=[""] * len(pairs),
        phase=np.stack(phase).astype(np.float32), coherence=np.stack(coh).astype(np.float32),
        pairs=[(dates[i], dates[j]) for i, j in pairs], transform=transform, wavelength_m=p.wavelength,
        incidence_deg=p.incidence_deg, heading_deg=0.0,
    )
    ztd_files = []
    rng = np.random.default_rng(42)
    for d, sc in zip(dates, scenes, strict=True):
        zenith_m = _ml(sc.atmosphere_los_mm * np.cos(inc)) / 1000.0
        r, c = (zenith_m.shape[0] // 4) * 4, (zenith_m.shape[1] // 4) * 4
        coarse = zenith_m[:r, :c].reshape(r // 4, 4, c // 4, 4).mean(axis=(1, 3))
        coarse = 2.3 + coarse + rng.normal(0, 0.002, coarse.shape)
        path = out / f"{d:%Y%m%d}.ztd.tif"
        with rasterio.open(path, "w", driver="GTiff", height=coarse.shape[0], width=coarse.shape[1], count=1,
                           dtype="float32", crs="EPSG:4326",
                           transform=from_origin(transform.c, transform.f, dx * 4, dy * 4)) as dst:
            dst.write(coarse.astype(np.float32), 1)
        ztd_files.append(path)
    atmo_rms = float(np.std([_ml(s.atmosphere_los_mm) for s in scenes]))
    return dict(stack=stack, v_true=v_true, height=_ml(frame.dem), ztd=ztd_files, dates=dates, atmo_rms=atmo_rms)


def _rmse(res, v_true: np.ndarray) -> tuple[float, float]:
    r, c = res.reference_rc
    err = res.velocity_mm_yr - (v_true - v_true[r, c])
    ok = np.isfinite(err)
    return float(np.sqrt(np.mean(err[ok] ** 2))), float(ok.mean())


def test_velocity_rmse_before_and_after_each_correction(sim: dict) -> None:
    delays = [read_zenith_delay(f) for f in sim["ztd"]]
    runs = {
        "none": ({}, Inputs()),
        "stratified": ({"troposphere": {"stratified": True, "dem": "given"}}, Inputs(height_m=sim["height"])),
        "weather model": ({}, Inputs(delays=delays, height_m=sim["height"])),
        "weather model + stratified": (
            {"troposphere": {"stratified": True, "dem": "given"}},
            Inputs(delays=delays, height_m=sim["height"]),
        ),
    }
    table = {}
    for name, (params, inputs) in runs.items():
        res = process(sim["stack"], TimeseriesParameters.model_validate(params), inputs)
        table[name] = _rmse(res, sim["v_true"])
    print(f"\nsimulated 2-year 12-day stack, troposphere rms {sim['atmo_rms']:.1f} mm per date")
    for name, (rmse, share) in table.items():
        print(f"  {name:28s} velocity RMSE {rmse:5.2f} mm/yr over {100 * share:5.1f}% of pixels")
    # the stratified part is a modest share here (relief std 250 m, k ~ 10 mm/km vs 5 mm of turbulence):
    # it must not hurt; its recovery of k is tested on its own in test_pges_timeseries_analytics
    assert table["stratified"][0] < 1.0 * table["none"][0]
    assert table["weather model"][0] < 0.8 * table["none"][0]
    assert table["weather model + stratified"][0] < 2.0  # the target
    assert table["none"][0] > 2.0  # the target is not met without correction: the test can fail
    assert min(share for _, share in table.values()) > 0.95


def test_reference_never_inside_the_simulated_deformation(sim: dict) -> None:
    deforming = np.abs(sim["v_true"] - np.median(sim["v_true"])) > DEFORMING_MM_YR
    assert 0.05 < deforming.mean() < 0.6  # a real deforming area, and room outside it
    for stack, label in ((sim["stack"], "with coherence"), (_without_coherence(sim["stack"]), "no coherence")):
        res = process(stack, TimeseriesParameters(), Inputs())
        r, c = res.reference_rc
        print(f"{label}: reference row {r} col {c}, truth rate {sim['v_true'][r, c]:.2f} mm/yr; "
              f"{res.reference.criteria}")
        assert not deforming[max(r - 1, 0) : r + 2, max(c - 1, 0) : c + 2].any()
        assert (label == "no coherence") == any("no coherence" in w for w in res.reference.warnings)


def _without_coherence(stack: IfgStack) -> IfgStack:
    s = stack.subset(np.ones(len(stack.ids), bool))
    s.coherence = None
    return s


def test_disconnected_pixels_get_no_velocity_and_a_count_map(sim: dict) -> None:
    stack = sim["stack"].subset(np.ones(len(sim["stack"].ids), bool))
    assert stack.coherence is not None
    split = sim["dates"][30]
    bridging = np.array([a < split <= b for a, b in stack.pairs])  # every pair across the split
    patch = np.zeros(stack.phase.shape[1:], bool)
    patch[90:110, 10:40] = True
    coh = stack.coherence.copy()
    for k in np.flatnonzero(bridging):
        coh[k][patch] = 0.05  # decorrelated there, masked by min_coherence
    stack.coherence = coh
    res = process(stack, TimeseriesParameters(min_coherence=0.2), Inputs())
    assert not np.isfinite(res.velocity_mm_yr[patch]).any()  # two networks there: no velocity
    assert (res.ifg_count[patch] <= len(stack.ids) - bridging.sum()).all()
    outside = ~patch & np.isfinite(res.velocity_mm_yr)
    assert outside.sum() > 0.9 * (~patch).sum()
    err = res.velocity_mm_yr - (sim["v_true"] - sim["v_true"][res.reference_rc])
    rmse = float(np.sqrt(np.mean(err[outside] ** 2)))
    assert rmse < 5.0
    assert res.masked["disconnected"] >= int(patch.sum() * 0.9)
