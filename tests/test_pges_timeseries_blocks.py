"""Chunked SBAS inversion: the analytic truth is recovered, chunks change nothing, and memory stays bounded.

Truth is analytic: displacement ``d(t) = v t`` per pixel (plus, where said, per-date noise that closes
exactly), interferograms ``d_j - d_i``; gaps (NaN) in some interferograms at some pixels give many
valid-interferogram patterns, and one pixel loses every interferogram touching a date (disconnected).
"""

from __future__ import annotations

import tracemalloc
from datetime import date, timedelta

import numpy as np
import pytest

from pges.timeseries.blocks import invert_blocks, rows_per_block
from pges.timeseries.sbas import decimal_years, invert_sbas, velocity

WAVELENGTH_M = 0.0555


def _network(n_dates: int, k: int = 3):
    dates = [date(2020, 1, 1) + timedelta(days=12 * n) for n in range(n_dates)]
    pairs = [(i, j) for i in range(n_dates) for j in range(i + 1, min(i + k + 1, n_dates))]
    return dates, pairs


def _stack(rows, cols, n_dates, noise_mm=0.0, gaps=True, seed=0):
    rng = np.random.default_rng(seed)
    dates, pairs = _network(n_dates)
    t = decimal_years(dates)
    v = np.linspace(-30, 20, rows * cols).reshape(rows, cols)  # mm/yr
    d = t[:, None, None] * v + noise_mm * rng.standard_normal((n_dates, rows, cols))
    ifg = np.stack([d[j] - d[i] for i, j in pairs])
    if gaps:
        holes = rng.random(ifg.shape) < 0.05
        holes[:, 0, 0] = False  # the first pixel keeps every interferogram
        ifg[holes] = np.nan
        ifg[[k for k, (i, j) in enumerate(pairs) if 2 in (i, j)], 0, 1] = np.nan  # date 2 cut off at (0, 1)
    return ifg, pairs, dates, v, d


def test_blocks_recover_the_analytic_time_series_and_velocity():
    ifg, pairs, dates, v, d = _stack(9, 7, 12)
    seen = {}

    def sink(cut, ts):
        seen[cut.start] = ts.copy()

    res = invert_blocks(ifg, pairs, dates, WAVELENGTH_M, max_memory_mb=0.01, prepare=None, sink=sink)
    assert res.rows_per_block == 1  # the tiny budget forces one row per block: 9 blocks
    ts = np.concatenate([seen[r] for r in sorted(seen)], axis=1)
    connected = np.ones(v.shape, bool)
    connected[0, 1] = False
    assert (res.connected == connected).all()
    np.testing.assert_allclose(res.velocity[connected], v[connected], atol=1e-4)  # float32 maps
    assert np.isnan(res.velocity[0, 1])
    truth = d - d[0]
    np.testing.assert_allclose(ts[:, connected], truth[:, connected], atol=1e-9)
    np.testing.assert_allclose(res.temporal_coherence[connected], 1.0, atol=1e-6)  # exact closure
    assert res.ifg_count[0, 0] == len(pairs)


def test_chunked_inversion_equals_the_unchunked_one():
    ifg, pairs, dates, *_ = _stack(16, 11, 15, noise_mm=3.0, seed=1)
    ifg = ifg + np.random.default_rng(2).normal(0, 1.0, ifg.shape)  # noise per pair: residuals are not zero
    whole = invert_sbas(ifg, pairs, dates)
    chunked = invert_sbas(ifg, pairs, dates, max_memory_mb=0.02)
    for name in ("timeseries", "residual"):
        np.testing.assert_allclose(getattr(chunked, name), getattr(whole, name), rtol=0, atol=1e-9, err_msg=name)
    assert (chunked.component == whole.component).all()
    v_whole, s_whole = velocity(whole.timeseries, dates, whole.component)
    res = invert_blocks(ifg, pairs, dates, WAVELENGTH_M, max_memory_mb=0.02)
    assert res.rows_per_block < 16
    ok = whole.connected
    np.testing.assert_allclose(res.velocity[ok], v_whole[ok], rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(res.velocity_sigma[ok], s_whole[ok], rtol=1e-4, atol=1e-4)
    assert np.isnan(res.velocity[~ok]).all()


def test_block_memory_stays_within_the_budget(tmp_path):
    """Peak numpy allocation (tracemalloc) of a 40 x 256 x 256 stack on disk, with a 6 MB budget.

    Inverting it at once needs ~200 MB; in blocks it must stay under the budget plus the per-pixel maps
    (15 bytes per pixel, ~1 MB) and a small margin.
    """
    dates, pairs = _network(14)
    n, rows, cols = len(pairs), 256, 256
    mm = np.lib.format.open_memmap(tmp_path / "stack.npy", mode="w+", dtype=np.float32, shape=(n, rows, cols))
    t = decimal_years(dates)
    for r0 in range(0, rows, 32):
        v = np.random.default_rng(r0).normal(0, 10, (32, cols))
        mm[:, r0 : r0 + 32] = np.stack([(t[j] - t[i]) * v for i, j in pairs])
    mm.flush()
    stack = np.load(tmp_path / "stack.npy", mmap_mode="r")
    budget = 6.0
    assert rows_per_block(budget, n, len(dates), cols) < rows / 4
    tracemalloc.start()
    try:
        res = invert_blocks(stack, pairs, dates, WAVELENGTH_M, max_memory_mb=budget,
                            prepare=lambda b: b.astype(np.float64))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    maps = rows * cols * 15
    print(f"peak {peak / 2**20:.1f} MB for a {budget} MB budget + {maps / 2**20:.1f} MB of maps")
    assert peak < budget * 2**20 + maps + 2**20
    assert np.isfinite(res.velocity).all()


@pytest.mark.parametrize("budget", [0.05, 1.0])
def test_pixels_are_grouped_by_validity_pattern_whatever_the_chunk(budget):
    ifg, pairs, dates, v, _ = _stack(20, 20, 10, seed=3)
    res = invert_sbas(ifg, pairs, dates, max_memory_mb=budget)
    vel, _ = velocity(res.timeseries, dates, res.component)
    ok = res.connected
    assert ok.sum() == ok.size - 1
    np.testing.assert_allclose(vel[ok], v[ok], atol=1e-9)
