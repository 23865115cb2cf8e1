"""Both unwrappers (SNAPHU, quality-guided) against analytic and simulated truth."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from pges.cli import main
from pges.interferogram.config import InterferogramParameters, QualityGuidedConfig, SnaphuConfig
from pges.interferogram.geocode import multilook_mean
from pges.interferogram.pge import process_pair
from pges.interferogram.reference import phase_to_los_mm
from pges.interferogram.unwrap import unwrap
from pges.interferogram.unwrap_quality import label_components, quality_unwrap
from pges.raster import read_raster

TWO_PI = 2 * np.pi
DATES = [("S1_044A_20240103", "2024-01-03T05:00:00Z"), ("S1_044A_20240702", "2024-07-02T05:00:00Z")]
WAVELENGTH = 0.05546576


def _bowl(rows: int, cols: int, depth: float) -> np.ndarray:
    y, x = np.mgrid[:rows, :cols].astype(np.float64)
    return depth * np.exp(-((x - cols / 2) ** 2 + (y - rows / 2) ** 2) / (2 * (min(rows, cols) / 5) ** 2)) + 0.05 * x


def test_unwrap_config_is_a_tagged_union() -> None:
    assert isinstance(InterferogramParameters().unwrap, SnaphuConfig)
    assert isinstance(InterferogramParameters(unwrap={"cost": "defo"}).unwrap, SnaphuConfig)  # tag defaults to snaphu
    q = InterferogramParameters(unwrap={"method": "quality", "conncomp_min_coherence": 0.4}).unwrap
    assert isinstance(q, QualityGuidedConfig) and q.conncomp_min_coherence == 0.4
    with pytest.raises(ValidationError):
        InterferogramParameters(unwrap={"method": "quality", "cost": "defo"})  # a SNAPHU key on the other method
    with pytest.raises(ValidationError):
        InterferogramParameters(unwrap={"method": "branchcut"})


def test_quality_unwrap_noise_free_is_exact() -> None:
    truth = _bowl(150, 170, 40.0)  # ~6 fringes, steepest step < pi per pixel
    mask = np.ones(truth.shape, bool)
    unw = quality_unwrap(np.angle(np.exp(1j * truth)), mask)
    err = unw - truth
    assert np.ptp(truth) > 6 * np.pi
    assert np.abs(err - err[0, 0]).max() < 1e-4 and abs(err[0, 0] / TWO_PI - round(err[0, 0] / TWO_PI)) < 1e-5


def test_quality_unwrap_masked_pieces_and_integer_cycles() -> None:
    rng = np.random.default_rng(3)
    truth = _bowl(120, 120, 30.0)
    psi = np.angle(np.exp(1j * (truth + 0.4 * rng.standard_normal(truth.shape))))
    mask = np.ones(truth.shape, bool)
    mask[:, 58:62] = False  # two pieces, each unwrapped on its own
    unw = quality_unwrap(psi, mask)
    assert np.isnan(unw[~mask]).all() and np.isfinite(unw[mask]).all()
    k = (unw[mask] - psi[mask]) / TWO_PI
    np.testing.assert_allclose(k, np.round(k), atol=1e-4)  # integer-consistent: only whole cycles added
    for piece in (np.s_[:, :58], np.s_[:, 62:]):
        d = unw[piece] - truth[piece]
        cyc = np.round((d - np.median(d)) / TWO_PI)
        assert np.mean(cyc != 0) < 0.01


def test_label_components_drops_small_and_orders_by_size() -> None:
    valid = np.zeros((50, 50), bool)
    valid[:20, :20] = True  # 400
    valid[30:, 30:] = True  # 400 + 0 -> same size: stable order
    valid[25:35, 0:10] = True  # 100
    valid[45, 2] = True  # 1 pixel: dropped
    cc = label_components(valid, 0.01)
    assert cc.dtype == np.uint16 and set(np.unique(cc)) == {0, 1, 2, 3}
    assert cc[45, 2] == 0 and (cc == 3).sum() == 100


@pytest.mark.parametrize("method", ["snaphu", "quality"])
def test_unwrappers_agree_on_a_clean_ramp(method: str) -> None:
    truth = _bowl(96, 110, 25.0).astype(np.float32)
    ifg = np.exp(1j * truth).astype(np.complex64)
    coh = np.full(truth.shape, 0.95, np.float32)
    cfg = InterferogramParameters(unwrap={"method": method}).unwrap
    res = unwrap(ifg, coh, 9.0, np.ones(truth.shape, bool), cfg)
    err = res.phase - truth
    assert np.abs(err - np.median(err)).max() < 1e-3
    assert (res.conncomp == 1).all()


def test_snaphu_progress_goes_to_debug_and_one_summary_line_to_info(caplog, capfd) -> None:
    """SNAPHU writes ~20 progress lines per run on stdout, the PGE's result channel: none may reach it, and the
    task log (INFO) gets one line with what SNAPHU itself reports (its version and solution cost)."""
    import logging

    truth = _bowl(64, 64, 10.0).astype(np.float32)
    cfg = InterferogramParameters(unwrap={"method": "snaphu"}).unwrap
    with caplog.at_level(logging.DEBUG, logger="pges.interferogram.unwrap"):
        unwrap(np.exp(1j * truth).astype(np.complex64), np.full(truth.shape, 0.9, np.float32), 9.0,
               np.ones(truth.shape, bool), cfg)
    out, err = capfd.readouterr()
    assert out == "" and "snaphu v" not in err
    records = [r for r in caplog.records if r.name == "pges.interferogram.unwrap"]
    info = [r.getMessage() for r in records if r.levelno == logging.INFO and "SNAPHU" in r.getMessage()]
    assert len(info) == 1 and "snaphu v2" in info[0] and "Total solution cost" in info[0], info
    debug = [r.getMessage() for r in records if r.levelno == logging.DEBUG]
    assert len(debug) >= 10 and any("Program snaphu done" in m for m in debug)


# --------------------------------------------------------------------------------- a realistic scene


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~580 x 600 SLC pair: ifg coherence ~0.6, a bowl of ~6 fringes, 3 mm turbulent atmosphere per date.

    3 mm per date is typical of the turbulent delay over a ~20 km scene; the interferogram carries the delay
    difference of the two dates, which no single interferogram can separate from deformation.
    """
    root = tmp_path_factory.mktemp("unw")
    params = {"bbox": [14.30, 40.72, 14.55, 40.90], "track": 44, "direction": "A", "frame": "F0440", "seed": 7,
              "acquisitions": [{"id": i, "start_time": t} for i, t in DATES],
              "deformation": [{"kind": "gaussian", "rate_mm_per_yr": -300.0, "sigma_m": 2500.0}],
              "noise": {"coherence": 0.6}, "atmosphere": {"turbulence_mm": 3.0}}
    cfg = {"pge": "simulate", "output_dir": str(root / "archive"), "parameters": params}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SARLAKE_HOME", str(root / "home"))
        assert main(["simulate", "--run-config-json", json.dumps(cfg)]) == 0
    return root / "archive"


def scene_accuracy(archive: Path, p: InterferogramParameters) -> dict[str, float]:
    """Wrong-cycle share and LOS RMSE (mm) of ``process_pair`` against the simulator's truth.

    The truth is the multilook mean of the true phase difference (deformation and atmosphere; it is smooth
    at the scale of the looks), referenced at the product's own reference window. A pixel has a wrong cycle
    count when ``round((unw - truth) / 2 pi) != 0``.
    """
    s0, s1 = (read_raster(archive / pid / "slc.tif") for pid, _ in DATES)
    t0, t1 = (read_raster(archive / pid / "truth/phase_rad.tif").astype(np.float64) for pid, _ in DATES)
    arrays = process_pair(s1, s0, p)
    truth = multilook_mean(t1 - t0, p.looks_azimuth, p.looks_range)
    (r, c), h = arrays.reference_rc, p.reference.window // 2
    win = np.s_[max(r - h, 0) : r + h + 1, max(c - h, 0) : c + h + 1]
    truth = truth - truth[win][arrays.valid[win]].mean()
    ok = arrays.valid & np.isfinite(arrays.unwrapped)
    diff = (arrays.unwrapped - truth)[ok]
    los_err = phase_to_los_mm(arrays.unwrapped, WAVELENGTH)[ok] - phase_to_los_mm(truth, WAVELENGTH)[ok]
    d0, d1 = (read_raster(archive / pid / "truth/deformation_los_mm.tif").astype(np.float64) for pid, _ in DATES)
    defo = multilook_mean(d1 - d0, p.looks_azimuth, p.looks_range)
    defo = defo - defo[win][arrays.valid[win]].mean()
    unw_mm = phase_to_los_mm(arrays.unwrapped, WAVELENGTH)
    defo_err = (unw_mm - np.nanmean((unw_mm - defo)[ok]))[ok] - defo[ok]
    return {"wrong_cycle_frac": float(np.mean(np.round(diff / TWO_PI) != 0)),
            "los_rmse_mm": float(np.sqrt(np.mean(los_err**2))), "valid_frac": float(ok.mean()),
            "deformation_rmse_mm": float(np.sqrt(np.mean(defo_err**2))),
            "coherence": float(np.nanmean(arrays.coherence)), "truth_ptp_rad": float(np.ptp(truth))}


@pytest.mark.parametrize("method", ["snaphu", "quality"])
def test_realistic_scene_against_truth(scene: Path, method: str) -> None:
    acc = scene_accuracy(scene, InterferogramParameters(unwrap={"method": method}))
    d0, d1 = (read_raster(scene / pid / "truth/deformation_los_mm.tif") for pid, _ in DATES)
    assert np.ptp(d1.astype(np.float64) - d0) > 4 * WAVELENGTH / 2 * 1000  # several fringes of deformation
    assert acc["coherence"] > 0.5 and acc["valid_frac"] > 0.9
    assert acc["wrong_cycle_frac"] < 0.01, acc
    assert acc["los_rmse_mm"] < 5.0, acc  # against the true LOS signal (deformation + delay difference)
    assert acc["deformation_rmse_mm"] < 5.0, acc  # against the true deformation alone
