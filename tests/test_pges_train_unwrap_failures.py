"""Unwrapper failures of the labelled set: whole-cycle, congruent, of varied size, and visible in the product."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from pges.qa.features import FEATURE_NAMES, compute_features
from pges.train.truth import error_cycles, uwe_class
from pges.train.unwrap_failures import AREA_RANGE, apply_failure

TWO_PI = 2 * np.pi


def _field(seed: int) -> np.ndarray:
    """A smooth unwrapped field with a few holes of no data (never a whole-cycle step anywhere)."""
    i, j = np.mgrid[0:150, 0:180].astype(float)
    rng = np.random.default_rng(seed)
    unw = 0.04 * i - 0.03 * j + 2.0 * np.sin(i / 23.0) + rng.normal(0, 0.05, i.shape)
    unw[ndimage.gaussian_filter(rng.standard_normal(i.shape), 6) > 0.12] = np.nan
    return unw


@pytest.mark.parametrize("seed", range(12))
def test_a_failure_offsets_one_region_by_whole_cycles_and_keeps_the_product_congruent(seed):
    unw = _field(seed)
    out, failure = apply_failure(unw, np.random.default_rng(seed))
    valid = np.isfinite(unw)
    assert np.array_equal(np.isfinite(out), valid)  # no pixel gained or lost
    steps = (out - unw)[valid] / TWO_PI
    assert np.allclose(steps, np.round(steps), atol=1e-9)  # whole cycles only: wrap(out) == wrap(unw)
    moved = np.round(steps) != 0
    assert set(np.unique(np.round(steps[moved]))) == {failure.cycles} and 1 <= abs(failure.cycles) <= 3
    assert moved.mean() == pytest.approx(failure.area, abs=1e-4)
    region = np.zeros(unw.shape, bool)
    region[valid] = moved
    if failure.kind == "edge":  # beyond a line from edge to edge: it reaches the frame's border
        assert region[0].any() or region[-1].any() or region[:, 0].any() or region[:, -1].any()
    else:  # an island is one connected part
        assert ndimage.label(region, structure=np.ones((3, 3)))[1] == 1


def test_failures_vary_in_kind_size_and_cycle_count():
    draws = [apply_failure(_field(0), np.random.default_rng(s))[1] for s in range(150)]
    areas = np.array([f.area for f in draws])
    assert {f.kind for f in draws} == {"island", "edge"}
    assert {abs(f.cycles) for f in draws} == {1, 2, 3} and {np.sign(f.cycles) for f in draws} == {-1, 1}
    assert areas.min() < 2 * AREA_RANGE[0] and areas.max() > 0.5 * AREA_RANGE[1]


def test_the_truth_measures_a_failure_as_its_area_times_its_cycles_and_the_features_see_its_step():
    """The severity the labels come from is |k| x area of a failure on an otherwise perfect product, and the
    product-only features read the cycle count off the step (unlike the simulator's hidden island)."""
    true = _field(3)
    coh, none = np.full(true.shape, 0.8), np.zeros(true.shape, bool)
    step = FEATURE_NAMES.index("cc_step_cycles_max")
    clean = compute_features(true, None, None, None, None).vector()
    assert clean[step] == 0
    for seed in range(8):
        out, failure = apply_failure(true + 0.4, np.random.default_rng(seed))  # + a reference constant
        k, frac, sev = uwe_class(error_cycles(out, true, coh, none))
        assert frac == pytest.approx(failure.area, abs=2e-3)
        assert sev == pytest.approx(abs(failure.cycles) * failure.area, abs=6e-3)
        assert compute_features(out, None, None, None, None).vector()[step] == abs(failure.cycles)
