"""The truth of the labelled set: UWE intensity from the measured error map (analytic cases)."""

from __future__ import annotations

import numpy as np
import pytest

from pges.train.truth import UWE_SEVERITY, error_cycles, linked_error_cycles, observable_error_cycles, uwe_class

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


def test_the_linked_reading_parts_an_island_behind_coherence_0_as_one_behind_missing_lines_the_truth_does_not():
    """A moat of coherence 0 parts the island from the rest, in the linked reading, as a band of missing pixels
    would; the truth counts the island's offset; a moat of low but nonzero coherence links it in both."""
    rng = np.random.default_rng(2)
    i, j = np.mgrid[0:100, 0:100].astype(float)
    true = 0.04 * i + 0.03 * j + rng.normal(0, 0.3, i.shape)
    d = np.hypot(i - 30, j - 30)
    island, moat = d <= 10, (d > 10) & (d <= 13)
    unw = true - 2 * TWO_PI * island
    patch = (np.abs(i - 75) < 6) & (np.abs(j - 70) < 6)
    unw[patch] += TWO_PI  # a 1-cycle error in coherent data, linked to the rest: an error in every reading
    none = np.zeros(i.shape, bool)
    zero = np.where(moat, 0.0, 0.8)
    linked, truth = linked_error_cycles(unw, true, zero, none), error_cycles(unw, true, zero, none)
    assert linked.size == truth.size == int((~moat).sum())
    assert (linked != 0).sum() == (linked == 1).sum() == int(patch.sum())
    assert (truth == -2).sum() == int(island.sum()) and (truth == 1).sum() == int(patch.sum())
    as_missing = unw.copy()
    as_missing[moat] = np.nan
    assert np.array_equal(np.sort(error_cycles(as_missing, true, np.full(i.shape, 0.8), none)), np.sort(linked))
    low = np.where(moat, 0.01, 0.8)  # a trace of coherence links the island: its offset counts
    assert (linked_error_cycles(unw, true, low, none) == -2).sum() == int(island.sum())


def _sample_coherence_mean_of_noise(looks: int) -> float:
    """E|gamma_hat| of N-look sample coherence on pure noise: Gamma(N) Gamma(3/2) / Gamma(N + 1/2) (Touzi 1999)."""
    from math import exp, lgamma

    return exp(lgamma(looks) + lgamma(1.5) - lgamma(looks + 0.5))


def test_the_products_4_look_coherence_reads_0_46_on_noise_so_it_cannot_say_which_pixels_carry_phase():
    from pges.interferogram.form import form_multilook
    from pges.train.second_simulator import speckle_pair
    from pges.train.truth import JUDGED_COHERENCE

    rng = np.random.default_rng(7)
    i, j = np.mgrid[0:400, 0:400].astype(float)
    phase = 0.9 * j + 0.4 * i
    ref, sec = speckle_pair(np.ones(phase.shape), np.zeros(phase.shape), phase, rng)
    _, coh4, _ = form_multilook(ref, sec, 2, 2)
    assert float(coh4.mean()) == pytest.approx(_sample_coherence_mean_of_noise(4), abs=0.01)
    # |gamma_hat|^2 of noise is Beta(1, N - 1): P(|gamma_hat| >= 0.25) = (1 - 0.25^2)^(N - 1) = 0.82 for N = 4
    assert float((coh4 >= JUDGED_COHERENCE).mean()) == pytest.approx((1 - JUDGED_COHERENCE**2) ** 3, abs=0.02)


def test_the_truths_coherence_is_the_simulators_zero_on_the_moat_and_the_simulated_data_agree():
    from pges.simulate.decorrelation import expected_coherence
    from pges.simulate.pge import _Frame
    from pges.simulate.scene import simulate_date
    from pges.train.dataset import scene_parameters
    from pges.train.truth import pair_coherence

    p, _ = scene_parameters(1)  # its first date has a UWE island (intensity 3), its second a COH ellipse
    assert [(a.type, a.intensity) for a in p.artefacts][0] == ("UWE", 3)
    frame = _Frame(p)
    days = [a.start_time for a in p.acquisitions]
    sec, ref = (simulate_date(p, frame.scene, days[k]) for k in (0, 1))
    moat, mask = sec.decorrelated, sec.artefacts["UWE"][0].astype(bool)
    island = mask & ~moat
    assert ref.decorrelated is None and moat.any() and island.any() and not (moat & ~mask).any()
    # the moat encloses the island: no island pixel touches the outside of the mask
    from scipy import ndimage

    assert not (ndimage.binary_dilation(island) & ~mask).any()
    ok = ~ref.artefacts["COH"][0].astype(bool)
    x = ref.slc * np.conj(sec.slc) * np.exp(-1j * (ref.phase_rad.astype(np.float64) - sec.phase_rad))
    power = np.sqrt(np.abs(ref.slc) ** 2 * np.abs(sec.slc) ** 2)

    def measured(sel: np.ndarray) -> float:
        return float(np.abs(x[sel].sum()) / power[sel].sum())

    g = expected_coherence(frame.scene.decorrelation, days[1].date(), ref.perpendicular_baseline_m, days[0].date(),
                           sec.perpendicular_baseline_m)
    sigma0 = frame.scene.sigma0.astype(np.float64)
    land = ok & ~mask & (g > 0)
    assert measured(moat & ok) < 0.05  # several hundred pixels of independent speckle: |mean| ~ 1/sqrt(N)
    assert measured(island & ok) == pytest.approx(float((sigma0 * g)[island & ok].sum() / sigma0[island & ok].sum()),
                                                  abs=0.03)
    assert measured(land) == pytest.approx(float((sigma0 * g)[land].sum() / sigma0[land].sum()), abs=0.02)
    shape = (ref.slc.shape[0] // 2, ref.slc.shape[1] // 2)
    truth = pair_coherence(frame.scene.decorrelation, ref, sec, days[1].date(), days[0].date())
    inside = moat[: 2 * shape[0], : 2 * shape[1]].reshape(shape[0], 2, shape[1], 2).all(axis=(1, 3))
    assert inside.any() and (truth[inside] == 0).all() and truth[~inside].max() > 0.5


def test_cycle_slips_in_noise_are_not_counted_an_island_in_coherent_data_is():
    from pges.interferogram.form import form_multilook
    from pges.train.second_simulator import speckle_pair
    from pges.train.truth import error_map, multilook_phase

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
    by_truth = error_map(unw, true, gamma.reshape(200, 2, 200, 2).mean(axis=(1, 3)), none)
    assert (by_truth[island] == 1).all() and np.isnan(by_truth[slips]).all()
    assert (np.nan_to_num(by_truth[~island]) == 0).all()
    assert (by_product[slips] == 1).sum() > 0.7 * slips.sum()  # what the 4-look cut counted as errors


def test_a_set_says_which_truth_rule_measured_it_and_a_set_older_than_the_record_is_known_as_such(tmp_path):
    """Sets made before the record (commit 3868135) were measured with the product's own coherence: a met.json
    without ``sarlake:truth_rule`` reads as that rule; a set the qa_dataset PGE writes carries the current one."""
    import json

    from pges.errors import InputValidationError
    from pges.train.labelled_set import truth_rule

    assert truth_rule(tmp_path) == "product-coherence"  # no met.json at all
    (tmp_path / "qa-set-0-420.met.json").write_text(json.dumps({"properties": {"sarlake:scenes": 420}}))
    assert truth_rule(tmp_path) == "product-coherence"
    met = tmp_path / "qa-set-0-420.met.json"
    met.write_text(json.dumps({"properties": {"sarlake:truth_rule": "pair-coherence"}}))
    assert truth_rule(tmp_path) == "pair-coherence"
    (tmp_path / "qa-set-0-420.met.json").write_text("{not json")
    with pytest.raises(InputValidationError, match="qa-set-0-420.met.json"):
        truth_rule(tmp_path)
