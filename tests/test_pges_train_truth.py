"""The truth of the labelled set: UWE intensity from the measured error map (analytic cases)."""

from __future__ import annotations

import numpy as np
import pytest

from pges.train.truth import UWE_SEVERITY, error_cycles, observable_error_cycles, uwe_class

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
    err = error_cycles(unw, true, coh, corrupted)
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
    full, seen = error_cycles(unw, true, coh, none), observable_error_cycles(unw, true, coh, none)
    assert (full == -2).sum() == int((d <= 10).sum()) and (full == 1).sum() == int(patch.sum())
    assert (seen != 0).sum() == (seen == 1).sum() == int(patch.sum())


def _sample_coherence_mean_of_noise(looks: int) -> float:
    """E|gamma_hat| of N-look sample coherence on pure noise: Gamma(N) Gamma(3/2) / Gamma(N + 1/2) (Touzi 1999)."""
    from math import exp, lgamma

    return exp(lgamma(looks) + lgamma(1.5) - lgamma(looks + 0.5))


def test_pair_coherence_reads_noise_as_noise_where_the_products_4_look_estimate_reads_0_46():
    from pges.interferogram.form import form_multilook
    from pges.train.second_simulator import speckle_pair
    from pges.train.truth import JUDGED_COHERENCE, pair_coherence

    rng = np.random.default_rng(7)
    i, j = np.mgrid[0:400, 0:400].astype(float)
    phase = 0.9 * j + 0.4 * i  # steep fringes: 7 pixels a cycle across, no bias from them once taken out
    gamma = np.where(j < 200, 0.0, 0.8)
    ref, sec = speckle_pair(np.ones(phase.shape), gamma, phase, rng)
    _, coh4, _ = form_multilook(ref, sec, 2, 2)
    carries = pair_coherence(ref, sec, phase, coh4.shape)
    noise, signal = (slice(5, 195), slice(5, 95)), (slice(5, 195), slice(105, 195))
    # the product's own estimate: 4 looks, biased to 0.46 on noise, so a 0.25 cut keeps most of it
    assert float(coh4[noise].mean()) == pytest.approx(_sample_coherence_mean_of_noise(4), abs=0.01)
    # |gamma_hat|^2 of noise is Beta(1, N - 1): P(|gamma_hat| >= 0.25) = (1 - 0.25^2)^(N - 1) = 0.82 for N = 4
    assert float((coh4[noise] >= JUDGED_COHERENCE).mean()) == pytest.approx((1 - JUDGED_COHERENCE**2) ** 3, abs=0.02)
    # the truth's: 100 looks with the fringes taken out, 0.089 on noise, 0.8 where the pair is coherent
    assert float(carries[noise].mean()) == pytest.approx(_sample_coherence_mean_of_noise(100), abs=0.01)
    assert float((carries[noise] >= JUDGED_COHERENCE).mean()) < 0.01
    assert float(carries[signal].mean()) == pytest.approx(0.8, abs=0.02)


def test_cycle_slips_in_noise_are_not_counted_an_island_in_coherent_data_is():
    from pges.interferogram.form import form_multilook
    from pges.train.second_simulator import speckle_pair
    from pges.train.truth import error_map, multilook_phase, pair_coherence

    rng = np.random.default_rng(8)
    i, j = np.mgrid[0:400, 0:400].astype(float)
    phase = 0.02 * i + 0.01 * j
    gamma = np.where((i > 200) & (j < 200), 0.0, 0.9)  # a decorrelated quarter of the frame
    ref, sec = speckle_pair(np.ones(phase.shape), gamma, phase, rng)
    _, coh4, _ = form_multilook(ref, sec, 2, 2)
    true = multilook_phase(phase, 2)
    unw = true.copy()
    slips = np.zeros(unw.shape, bool)
    slips[120:180, 20:80] = True  # an unwrapper's patch of cycle slips inside the noise
    unw[slips] += TWO_PI
    island = np.zeros(unw.shape, bool)
    island[30:40, 130:140] = True  # 100 pixels a cycle off in coherent data
    unw[island] += TWO_PI
    none = np.zeros(unw.shape, bool)
    by_product = error_map(unw, true, coh4, none)
    by_truth = error_map(unw, true, pair_coherence(ref, sec, phase, unw.shape), none)
    assert (by_truth[island] == 1).all() and (np.nan_to_num(by_truth[~island & ~slips]) == 0).all()
    # noise reads >= 0.25 over 100 looks with probability 0.2 %: a few of the 3,600 slips, not the patch
    assert (by_truth[slips] == 1).sum() < 0.01 * slips.sum()
    assert (by_product[slips] == 1).sum() > 0.7 * slips.sum()  # what the 4-look cut counted as errors
