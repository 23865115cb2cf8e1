"""The second simulator's building blocks against their definitions (speckle statistics, power-law spectrum,
an enclosing ring) and its products' layout."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from pges.train.second_simulator import fractal, simulate_product, speckle_pair, star_ring


def test_speckle_pair_has_the_coherence_and_phase_it_was_given():
    rng = np.random.default_rng(0)
    shape = (256, 256)
    ref, sec = speckle_pair(np.full(shape, 2.0), np.full(shape, 0.6), np.full(shape, 1.0), rng)
    cross = (ref * np.conj(sec)).astype(np.complex128)
    gamma = np.abs(cross.mean()) / np.sqrt((np.abs(ref) ** 2).mean() * (np.abs(sec) ** 2).mean())
    assert abs(gamma - 0.6) < 0.01  # E[ref conj(sec)] = a^2 g exp(j phase), 65,536 looks
    assert abs(np.angle(cross.mean()) - 1.0) < 0.01
    assert abs((np.abs(sec) ** 2).mean() - 4.0) < 0.1  # power a^2


def test_fractal_field_has_the_power_law_it_was_given():
    rng = np.random.default_rng(1)
    for beta in (2.5, 3.5):
        f = fractal((256, 256), beta, rng)
        assert abs(f.mean()) < 1e-9 and abs(f.std() - 1.0) < 1e-9
        power = np.abs(np.fft.rfft2(f)) ** 2
        k = np.hypot(np.fft.fftfreq(256)[:, None], np.fft.rfftfreq(256)[None, :])
        sel = (k > 0.02) & (k < 0.3)
        slope = np.polyfit(np.log(k[sel]), np.log(power[sel]), 1)[0]
        assert abs(slope + beta) < 0.15


def test_star_ring_encloses_its_inside():
    rng = np.random.default_rng(2)
    inside, ring = star_ring((120, 140), (60.0, 70.0), 25.0, 4.0, rng)
    assert inside.sum() > 0.3 * np.pi * 25**2 and not (inside & ring).any()
    outside = ~(inside | ring)
    labels, _ = ndimage.label(~ring)  # cutting the ring leaves the inside in parts of its own
    assert not set(np.unique(labels[inside])) & set(np.unique(labels[outside]))
    assert ring.sum() > 2 * np.pi * 25 * 3  # at least ~3 pixels wide all round


def test_a_product_is_on_the_multilooked_grid_with_its_truth():
    p, truth = simulate_product(5)
    rows, cols = truth["rows"], truth["cols"]
    for layer in (p.unw, p.coherence, p.wrapped, p.dem):
        assert layer.shape == (rows, cols)
    assert np.isfinite(p.unw).mean() > 0.3
    assert truth["UWE"] in (0, 1, 2, 3) and truth["uwe_severity"] >= 0
    assert truth["unwrapper"] in ("snaphu", "quality")


def test_second_check_summary_scores_a_perfect_and_a_wrong_predictor():
    from pges.train.second_check import SecondCheck

    y = np.array([0, 1, 2, 3, 0, 3, 2, 1])
    check = SecondCheck(y, np.array([True] * 6 + [False] * 2), {})
    right = check.summary(np.eye(4)[y])
    assert right["second_sim_f1_uwe2"] == 1.0 and right["second_sim_accuracy"] == 1.0
    assert right["second_sim_visible_roc_auc_uwe2"] == 1.0 and right["second_sim_products"] == 8
    wrong = check.summary(np.eye(4)[3 - y])  # UWE_0 called UWE_3 and so on
    assert wrong["second_sim_accuracy"] == 0.0 and wrong["second_sim_f1_uwe2"] == 0.0
    assert wrong["second_sim_visible_accuracy_uwe1"] == 0.0
