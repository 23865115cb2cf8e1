"""The work-grid operations give what scipy.ndimage gives for the same neighbourhoods and borders."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from pges.qa.grid import box3, dilate_cross, erode_cross, min_cross, quantile99


def _grids(rng: np.random.Generator):
    for _ in range(200):
        r, c = (int(x) for x in rng.integers(1, 40, 2))
        yield ndimage.uniform_filter(rng.random((r, c)), 3) < rng.uniform(0.3, 0.7), rng.random((r, c))


def test_cross_dilation_erosion_and_minimum_and_the_box_sum_are_scipys():
    rng = np.random.default_rng(5)
    for mask, values in _grids(rng):
        grown = mask
        for _ in range(5):
            grown = dilate_cross(grown)
        np.testing.assert_array_equal(grown, ndimage.binary_dilation(mask, iterations=5))
        np.testing.assert_array_equal(erode_cross(erode_cross(mask)), ndimage.binary_erosion(mask, iterations=2))
        cross = ndimage.generate_binary_structure(2, 1)
        np.testing.assert_array_equal(min_cross(values), ndimage.minimum_filter(values, footprint=cross,
                                                                                 mode="constant", cval=np.inf))
        np.testing.assert_allclose(box3(values), ndimage.uniform_filter(values, 3, mode="constant") * 9,
                                   rtol=1e-12, atol=1e-12)


def test_the_99th_percentile_is_numpys_to_the_bit():
    rng = np.random.default_rng(11)
    for n in (1, 2, 3, 99, 100, 101, 1000, 14_600):
        for _ in range(20):
            g = np.abs(rng.normal(0, rng.uniform(0.01, 5), n)).astype(np.float32)
            assert quantile99(g) == float(np.quantile(g, 0.99))
