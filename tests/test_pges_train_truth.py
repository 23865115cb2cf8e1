"""The truth of the labelled set: UWE intensity from the measured error map (analytic cases)."""

from __future__ import annotations

import numpy as np
import pytest

from pges.train.dataset import UWE_SEVERITY, _error_cycles, _observable_error_cycles, uwe_class

TWO_PI = 2 * np.pi


def test_severity_weighs_the_area_in_error_by_its_cycle_count():
    n = 10_000
    for cycles, share, expected in ((1, 0.002, 0), (1, 0.02, 1), (2, 0.03, 2), (1, 0.08, 2), (3, 0.045, 3)):
        err = np.zeros(n)
        err[: int(share * n)] = cycles
        k, frac, sev = uwe_class(err)
        assert (k, frac) == (expected, pytest.approx(share)) and sev == pytest.approx(cycles * share)
    assert UWE_SEVERITY == tuple(sorted(UWE_SEVERITY))


def test_error_map_counts_islands_not_regions_cut_by_missing_lines_nor_corrupted_pixels():
    rng = np.random.default_rng(0)
    i, j = np.mgrid[0:100, 0:100].astype(float)
    true = 0.05 * i + 0.02 * j + rng.normal(0, 0.3, i.shape)
    unw = true + 0.7  # a reference constant: not an error
    unw[54:] += TWO_PI * 3  # below a band of missing lines the offset is unknowable: not an error
    unw[50:54] = np.nan
    island = np.hypot(i - 20, j - 20) < 8
    unw[island] += TWO_PI * 2  # a real 2-cycle error
    corrupted = np.zeros(i.shape, bool)
    corrupted[:, 90:] = True
    unw[:, 90:] += TWO_PI  # inside a corruption mask: not judged
    coh = np.full(i.shape, 0.8)
    err = _error_cycles(unw, true, coh, corrupted)
    assert err.size == int((np.isfinite(unw) & ~corrupted).sum())
    assert set(np.unique(err)) == {0, 2} and (err == 2).sum() == int((island & ~corrupted).sum())


def test_observable_error_leaves_out_an_offset_behind_a_decorrelated_moat_but_not_one_inside_coherent_data():
    rng = np.random.default_rng(1)
    i, j = np.mgrid[0:100, 0:100].astype(float)
    true = 0.04 * i + 0.03 * j + rng.normal(0, 0.3, i.shape)
    d = np.hypot(i - 30, j - 30)
    coh = np.where((d > 10) & (d <= 14), 0.1, 0.8)  # a fully decorrelated moat around an island
    unw = true - 2 * TWO_PI * (d <= 10)  # the island's offset is not in the data: behind the moat
    patch = (np.abs(i - 75) < 6) & (np.abs(j - 70) < 6)
    unw[patch] += TWO_PI  # a 1-cycle error inside coherent data: observable
    none = np.zeros(i.shape, bool)
    full, seen = _error_cycles(unw, true, coh, none), _observable_error_cycles(unw, true, coh, none)
    assert (full == -2).sum() == int((d <= 10).sum()) and (full == 1).sum() == int(patch.sum())
    assert (seen != 0).sum() == (seen == 1).sum() == int(patch.sum())
