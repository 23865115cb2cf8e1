"""The simulator's physics against analytic truth: Okada, Mogi, screens, delays, decorrelation, artefacts, bands."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest

from pges.cli import main
from pges.raster import read_raster
from pges.simulate.artefacts import PHASE_TYPES
from pges.simulate.config import (
    ARTEFACT_TYPES,
    C_BAND_WAVELENGTH_M,
    L_BAND_WAVELENGTH_M,
    OkadaSource,
    SimulateParameters,
)
from pges.simulate.decorrelation import expected_coherence, temporal_rho
from pges.simulate.deformation import mogi
from pges.simulate.okada import moment_from_magnitude, okada85, okada85_fault_frame, wells_coppersmith
from pges.simulate.pge import _Frame
from pges.simulate.scene import simulate_date
from pges.simulate.screens import powerlaw_screen, radial_power_spectrum

BBOX = [14.40, 40.78, 14.46, 40.83]
QUIET = {"atmosphere": {"turbulence_mm": 0.0}, "noise": {"coherence": 1.0}, "deformation": []}


def _params(**kw) -> SimulateParameters:
    base = {"bbox": BBOX, "track": 44, "direction": "A", "frame": "F0440",
            "acquisitions": [{"id": "x", "start_time": "2024-01-03T05:00:00Z"}]}
    return SimulateParameters(**{**base, **kw})


def _t(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=5, tzinfo=UTC)


# ----------------------------------------------------------------------------------- Okada and Mogi


@pytest.mark.parametrize(
    ("case", "x", "y", "d", "dip", "expected"),
    [
        # Okada (1985) Table 2, case 2: finite fault, L = 3, W = 2, nu = 0.25; rows = strike, dip, tensile
        (2, 2.0, 3.0, 4.0, 70.0, [[-8.689e-3, -4.298e-3, -2.747e-3],
                                  [-4.682e-3, -3.527e-2, -3.564e-2],
                                  [-2.660e-4, 1.056e-2, 3.214e-3]]),
        # case 3: vertical fault, observation point above the origin
        (3, 0.0, 0.0, 4.0, 90.0, [[0.0, 5.253e-3, 0.0], [0.0, 0.0, 0.0], [1.223e-2, 0.0, -1.606e-2]]),
    ],
)
def test_okada_matches_published_check_values(case, x, y, d, dip, expected) -> None:
    for row, u in zip(expected, ((1, 0, 0), (0, 1, 0), (0, 0, 1)), strict=True):
        got = [float(v) for v in okada85_fault_frame(x, y, d, dip, 3.0, 2.0, *u)]
        np.testing.assert_allclose(got, row, rtol=2e-3, atol=2e-6, err_msg=f"case {case} U={u}")


def test_okada_vertical_strike_slip_symmetry_and_screw_dislocation() -> None:
    """Long vertical strike-slip fault from the surface to D: antisymmetric, no vertical, u = U/pi atan(D/y)."""
    y = np.array([500.0, 2000.0, 10_000.0, 30_000.0])
    dd, slip = 10_000.0, 1.0
    ue, un, uz = okada85(y, 0 * y, dd / 2, 0.0, 90.0, 4.0e6, dd, 0.0, slip)  # strike north: un is fault-parallel
    ue2, un2, uz2 = okada85(-y, 0 * y, dd / 2, 0.0, 90.0, 4.0e6, dd, 0.0, slip)
    np.testing.assert_allclose(un, -un2, atol=1e-12)
    np.testing.assert_allclose(np.abs(ue) + np.abs(uz) + np.abs(uz2), 0.0, atol=1e-9)
    np.testing.assert_allclose(np.abs(un), slip / np.pi * np.arctan(dd / y), rtol=2e-3)
    # a buried fault of finite length: antisymmetric across the trace, zero vertical on it (far from the ends)
    e = np.linspace(-20e3, 20e3, 81)
    ue, un, uz = okada85(e, 0 * e, 8000.0, 0.0, 90.0, 30e3, 10e3, 0.0, 2.0)
    np.testing.assert_allclose(un, -un[::-1], atol=1e-9)
    np.testing.assert_allclose(uz, -uz[::-1], atol=1e-9)
    assert abs(uz[40]) < 1e-12 and np.abs(un).max() > 0.1


def test_okada_sill_far_field_is_the_point_source() -> None:
    """A tiny horizontal tensile crack: uz -> 3 dV d^3 / (2 pi R^5) (Okada 1985 point source)."""
    e = np.array([0.0, 1000.0, 3000.0, 5000.0])
    d, side, opening = 2000.0, 10.0, 1.0
    _, _, uz = okada85(e, 0 * e, d, 0.0, 1e-4, side, side, 0.0, 0.0, opening)
    r = np.hypot(e, d)
    np.testing.assert_allclose(uz, 3 * opening * side**2 * d**3 / (2 * np.pi * r**5), rtol=1e-3)


def test_mogi_uplift_volume_and_formula() -> None:
    """Mogi: uz = (1 - nu) dV / pi * d / R^3 and the uplift volume integrates to 2 (1 - nu) dV."""
    x = np.linspace(-200e3, 200e3, 2001)
    east, north = np.meshgrid(x, x)
    dv, depth, nu = 1.0e6, 3000.0, 0.25
    _, _, uz = mogi(east, north, dv, depth, nu)
    np.testing.assert_allclose(uz[1000, 1000], (1 - nu) * dv / np.pi / depth**2)
    volume = uz.sum() * (x[1] - x[0]) ** 2
    assert volume == pytest.approx(2 * (1 - nu) * dv, rel=0.03)


def test_magnitude_scaling() -> None:
    length, width, slip = wells_coppersmith(6.0, "strike-slip")
    assert length == pytest.approx(10 ** (-2.57 + 0.62 * 6) * 1000) and 10e3 < length < 20e3
    assert width == pytest.approx(10 ** (-0.76 + 0.27 * 6) * 1000)
    assert 3.0e10 * length * width * slip == pytest.approx(moment_from_magnitude(6.0))
    src = OkadaSource.from_magnitude(7.0, "reverse", datetime(2024, 1, 10, tzinfo=UTC))
    ln, wd, sl, dip, rake, depth = src.resolved()
    assert (dip, rake) == (30.0, 90.0) and depth - wd / 2 * np.sin(np.deg2rad(dip)) >= 1000.0
    with pytest.raises(ValueError, match="breaks the surface"):
        OkadaSource(event_time="2024-01-10T00:00:00Z", length_m=1e4, width_m=2e4, slip_m=1, depth_m=2000, dip_deg=90)


def test_coseismic_step_only_in_spanning_pairs() -> None:
    okada = {"kind": "okada", "event_time": "2024-01-10T12:00:00Z", "magnitude": 6.0, "mechanism": "normal",
             "center_lon": 14.43, "center_lat": 40.805}
    p = _params(**{**QUIET, "deformation": [okada]})
    frame = _Frame(p)
    s = {d: simulate_date(p, frame.scene, _t(d)) for d in ("2024-01-03", "2024-01-09", "2024-01-15", "2024-01-27")}
    before = s["2024-01-09"].deformation_los_mm - s["2024-01-03"].deformation_los_mm
    after = s["2024-01-27"].deformation_los_mm - s["2024-01-15"].deformation_los_mm
    span = s["2024-01-15"].deformation_los_mm - s["2024-01-09"].deformation_los_mm
    assert np.abs(before).max() == 0 and np.abs(after).max() == 0
    assert np.abs(span).max() > 20  # an Mw 6 normal fault: several cm in LOS
    dphi = s["2024-01-15"].phase_rad.astype(np.float64) - s["2024-01-09"].phase_rad
    np.testing.assert_allclose(dphi, -4 * np.pi / C_BAND_WAVELENGTH_M * span / 1000.0, atol=1e-3)


# ----------------------------------------------------------------------------------- delays


def test_turbulent_screen_spectral_slope() -> None:
    beta = 8.0 / 3.0
    screen = powerlaw_screen((512, 512), 40.0, beta, 1.0e7, np.random.default_rng(3))
    k, power = radial_power_spectrum(screen, 40.0, nbins=40)
    band = (k > 4 * k.min()) & (k < 0.25 * k.max())
    slope = np.polyfit(np.log(k[band]), np.log(power[band]), 1)[0]
    assert slope == pytest.approx(-beta, abs=0.3)


def test_stratified_delay_follows_the_dem() -> None:
    p = _params(**{**QUIET, "atmosphere": {"turbulence_mm": 0.0, "stratified_mm_per_km": 8.0}})
    frame = _Frame(p)
    for day in ("2024-01-03", "2024-01-15"):
        atmo = simulate_date(p, frame.scene, _t(day)).atmosphere_los_mm
        assert abs(np.corrcoef(atmo.ravel(), frame.dem.ravel())[0, 1]) > 0.9


def test_dem_error_scales_with_perpendicular_baseline() -> None:
    p = _params(**{**QUIET, "dem_error": {"std_m": 15.0}, "baseline_sigma_m": 80.0})
    frame = _Frame(p)
    days = ("2024-01-03", "2024-01-15", "2024-01-27")
    s = [simulate_date(p, frame.scene, _t(d)) for d in days]
    b = [x.perpendicular_baseline_m for x in s]
    assert len({round(v) for v in b}) == 3
    d10 = s[1].dem_error_los_mm.astype(np.float64) - s[0].dem_error_los_mm
    d20 = s[2].dem_error_los_mm.astype(np.float64) - s[0].dem_error_los_mm
    tol = 1e-3 * np.abs(d20).max() * abs(b[1] - b[0])
    np.testing.assert_allclose(d10 * (b[2] - b[0]), d20 * (b[1] - b[0]), atol=tol)
    g = frame.grid
    expect = b[0] * frame.scene.dem_error_m / (g.slant_range() * np.sin(np.deg2rad(g.incidence())))[None, :] * 1000
    np.testing.assert_allclose(s[0].dem_error_los_mm, expect, rtol=1e-4, atol=1e-6)
    # and the phase carries it: 4 pi / lambda per metre of delay
    dphi = s[1].phase_rad.astype(np.float64) - s[0].phase_rad
    np.testing.assert_allclose(dphi, 4 * np.pi / C_BAND_WAVELENGTH_M * d10 / 1000.0, atol=1e-3)


def test_l_band_wavelength_and_ionosphere_scaling(tmp_path: Path, sarlake_home: Path) -> None:
    kw = {**QUIET, "atmosphere": {"turbulence_mm": 0.0, "ionosphere_tecu": 0.5}}
    pc, pl = _params(**kw), _params(**kw, band="L")
    assert pc.wavelength == C_BAND_WAVELENGTH_M and pl.wavelength == L_BAND_WAVELENGTH_M == 0.2384
    fc, fl = _Frame(pc), _Frame(pl)
    ic = simulate_date(pc, fc.scene, _t("2024-01-03")).ionosphere_los_mm.astype(np.float64)
    il = simulate_date(pl, fl.scene, _t("2024-01-03")).ionosphere_los_mm.astype(np.float64)
    ratio = (L_BAND_WAVELENGTH_M / C_BAND_WAVELENGTH_M) ** 2  # (f_C / f_L)^2 ~ 18.5
    assert np.ptp(ic) > 0.1
    np.testing.assert_allclose(il, ratio * ic, rtol=1e-4, atol=1e-4)
    out = tmp_path / "l"
    cfg = {"pge": "simulate", "output_dir": str(out),
           "parameters": {"bbox": BBOX, "track": 44, "direction": "A", "frame": "F0440", "band": "L",
                          "acquisitions": [{"id": "NISAR_1", "start_time": "2024-01-03T05:00:00Z"}]}}
    assert main(["simulate", "--run-config-json", json.dumps(cfg)]) == 0
    props = json.loads((out / "NISAR_1" / "NISAR_1.met.json").read_text())["properties"]
    assert props["sar:frequency_band"] == "L" and props["sarlake:wavelength_m"] == 0.2384
    assert props["platform"] == "nisar" and props["sar:center_frequency"] == pytest.approx(1.2575, abs=1e-3)


# ----------------------------------------------------------------------------------- decorrelation


def _coherence(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(np.sum(a * np.conj(b))) / np.sqrt(np.sum(np.abs(a) ** 2) * np.sum(np.abs(b) ** 2)))


def test_pair_coherence_matches_the_model() -> None:
    p = _params(noise={"coherence": 0.5, "tau_days": 24.0}, baseline_sigma_m=200.0)
    fd = _Frame(p).scene.decorrelation
    days = [date(2024, 1, 3), date(2024, 1, 15), date(2024, 2, 20), date(2024, 9, 1)]
    bp = [-150.0, 100.0, 0.0, 250.0]
    f = [fd.date_field(d, b) for d, b in zip(days, bp, strict=True)]
    for i, j in ((1, 0), (2, 1), (3, 0)):
        expect = float(expected_coherence(fd, days[i], bp[i], days[j], bp[j]).mean())
        assert _coherence(f[i], f[j]) == pytest.approx(expect, abs=0.02), (i, j)
    # 12 days apart: close to g + (1 - g) exp(-12/24) with the baseline loss
    assert float(temporal_rho(2, 24.0, 6, fd.window)) == pytest.approx(np.exp(-0.5), abs=0.01)
    assert float(expected_coherence(fd, days[3], bp[3], days[0], bp[0]).mean()) < 0.5


def test_landcover_water_decorrelates() -> None:
    p = _params(bbox=[14.30, 40.76, 14.40, 40.82], noise={"coherence": 0.8, "landcover": True})
    frame = _Frame(p)
    fd = frame.scene.decorrelation
    assert 0.05 < fd.water.mean() < 0.95
    a, b = fd.date_field(date(2024, 1, 3), 0.0), fd.date_field(date(2024, 1, 15), 0.0)
    assert _coherence(a[fd.water], b[fd.water]) < 0.05
    land = ~fd.water
    expect = float(expected_coherence(fd, date(2024, 1, 3), 0.0, date(2024, 1, 15), 0.0)[land].mean())
    assert _coherence(a[land], b[land]) == pytest.approx(expect, abs=0.03)


# ----------------------------------------------------------------------------------- artefacts


@pytest.fixture(scope="module")
def artefact_world():
    p = _params(**QUIET)
    return p, _Frame(p), simulate_date(p, _Frame(p).scene, _t("2024-01-15"))


@pytest.mark.parametrize("kind", ARTEFACT_TYPES)
def test_artefact_intensity_zero_is_a_no_op_and_three_changes_the_mask(kind, artefact_world) -> None:
    p, frame, base = artefact_world
    zero = SimulateParameters.model_validate(
        {**p.model_dump(), "artefacts": [{"type": kind, "intensity": 0, "date": "2024-01-15"}]}
    )
    s0 = simulate_date(zero, frame.scene, _t("2024-01-15"))
    assert np.array_equal(s0.slc, base.slc) and np.array_equal(s0.phase_rad, base.phase_rad)
    assert s0.artefacts[kind][0].sum() == 0 and s0.artefacts[kind][1] == 0

    three = SimulateParameters.model_validate({**p.model_dump(), "artefacts": [{"type": kind, "intensity": 3}]})
    s3 = simulate_date(three, frame.scene, _t("2024-01-15"))
    mask = s3.artefacts[kind][0].astype(bool)
    assert s3.artefacts[kind][1] == 3
    if kind in ("ORB", "TNS", "TNT"):  # smooth screens: a strong one may move the phase everywhere
        assert 0 < mask.mean() <= 1
    else:  # local artefacts: some of the scene, never all of it
        assert 0 < mask.mean() < 1
    slc_changed = np.abs(s3.slc - base.slc) > 1e-4 * np.abs(base.slc).mean()
    phase_changed = np.abs(s3.phase_rad - base.phase_rad) > 1e-4
    assert (slc_changed | phase_changed)[mask].mean() > 0.5
    if kind in PHASE_TYPES:
        # geophysical: in the truth too, and the SLC stays consistent with it
        assert phase_changed[mask].mean() > 0.5
        err = np.angle(s3.slc * np.conj(base.slc) * np.exp(-1j * (s3.phase_rad.astype(np.float64) - base.phase_rad)))
        ok = ~mask if kind == "UWE" else np.ones_like(mask)
        assert np.abs(err[ok]).max() < 1e-3
    else:
        # corruptions: the truth is untouched and nothing changes outside the mask
        assert not phase_changed.any()
        assert not slc_changed[~mask].any()
    if kind == "PML":
        assert np.all(s3.slc[mask] == 0) and mask.all(axis=1).any()
    if kind == "UWE":
        dphi = (s3.phase_rad.astype(np.float64) - base.phase_rad)[mask]
        np.testing.assert_allclose(dphi[np.abs(dphi) > 1], 3 * 2 * np.pi, atol=1e-3)


def test_artefacts_only_on_their_date(artefact_world) -> None:
    p, frame, base = artefact_world
    q = SimulateParameters.model_validate({**p.model_dump(), "artefacts": [{"type": "ORB", "intensity": 2,
                                                                              "date": "2024-01-03"}]})
    s = simulate_date(q, frame.scene, _t("2024-01-15"))
    assert np.array_equal(s.slc, base.slc) and s.artefacts == {}


# ----------------------------------------------------------------------------------- the PGE, everything on

EVERYTHING = {
    "atmosphere": {"turbulence_mm": 4.0, "stratified_mm_per_km": 6.0, "ionosphere_tecu": 0.3},
    "orbit": {"ramp_mm_per_km": 0.5},
    "dem_error": {"std_m": 10.0},
    "noise": {"coherence": 0.7, "landcover": True},
    "deformation": [{"kind": "gaussian"}, {"kind": "mogi"},
                    {"kind": "okada", "event_time": "2024-01-10T00:00:00Z", "magnitude": 5.8, "mechanism": "normal"}],
    "artefacts": [{"type": "UWE", "intensity": 2, "date": "2024-01-15"}, {"type": "PML", "intensity": 1},
                  {"type": "TNT", "intensity": 3, "date": "2024-01-03"}],
}
DATES = [("S1_A", "2024-01-03T05:00:00Z"), ("S1_B", "2024-01-15T05:00:00Z"), ("S1_C", "2024-01-27T05:00:00Z")]


def _sim(out: Path, acqs, **extra) -> None:
    params = {"bbox": BBOX, "track": 44, "direction": "A", "frame": "F0440",
              "acquisitions": [{"id": i, "start_time": t} for i, t in acqs], **extra}
    cfg = {"pge": "simulate", "output_dir": str(out), "parameters": params}
    assert main(["simulate", "--run-config-json", json.dumps(cfg)]) == 0


def test_everything_on_is_deterministic_and_coregistered(tmp_path: Path, sarlake_home: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    _sim(a, DATES[:2], **EVERYTHING)
    _sim(b, [DATES[2], DATES[1]], **EVERYTHING)
    pid = DATES[1][0]
    files = sorted(f.relative_to(a / pid) for f in (a / pid).rglob("*.tif"))
    assert Path("truth/artefacts/UWE_mask.tif") in files and Path("truth/artefacts/PML_mask.tif") in files
    assert Path("truth/ionosphere_los_mm.tif") in files and Path("truth/long_term_coherence.tif") in files
    for f in files:
        assert (a / pid / f).read_bytes() == (b / pid / f).read_bytes(), f
    props = json.loads((a / pid / f"{pid}.met.json").read_text())["properties"]
    arts = {x["type"]: x for x in props["sarlake:artefacts"]}
    assert arts["UWE"]["intensity"] == 2 and arts["PML"]["intensity"] == 1 and "TNT" not in arts
    assert 0 < arts["UWE"]["fraction"] < 0.5 and arts["UWE"]["mask"] == "truth/artefacts/UWE_mask.tif"
    assert props["sarlake:decorrelation"]["spectral_shift_bins"] >= 0
    mask = read_raster(a / pid / "truth/artefacts/UWE_mask.tif")
    assert mask.dtype == np.uint8 and set(np.unique(mask)) == {0, 1}


def test_pair_truth_is_the_interferogram_when_noise_free(tmp_path: Path, sarlake_home: Path) -> None:
    extra = {**EVERYTHING, "noise": {"coherence": 1.0},
             "artefacts": [{"type": t, "intensity": 2} for t in ("TNS", "ION", "ORB", "DME")]}
    _sim(tmp_path, DATES[:2], **extra)
    s0, s1 = (read_raster(tmp_path / pid / "slc.tif") for pid, _ in DATES[:2])
    t0, t1 = (read_raster(tmp_path / pid / "truth/phase_rad.tif").astype(np.float64) for pid, _ in DATES[:2])
    err = np.angle(s1 * np.conj(s0) * np.exp(-1j * (t1 - t0)))
    assert np.abs(err).max() < 1e-3
    # the truth components add up to the phase (deformation, delays, artefacts)
    comp = {n: read_raster(tmp_path / DATES[1][0] / f"truth/{n}.tif").astype(np.float64)
            for n in ("deformation_los_mm", "atmosphere_los_mm", "ionosphere_los_mm", "orbit_los_mm",
                      "dem_error_los_mm", "artefact_phase_rad")}
    k = 4 * np.pi / C_BAND_WAVELENGTH_M / 1000.0
    total = (-k * comp["deformation_los_mm"] + k * (comp["atmosphere_los_mm"] + comp["ionosphere_los_mm"]
             + comp["orbit_los_mm"] + comp["dem_error_los_mm"]) + comp["artefact_phase_rad"])
    np.testing.assert_allclose(total, t1, atol=2e-2)
