"""The numba labelling the QA features use numbers components exactly as scipy.ndimage.label does."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from pges.qa.labelling import enclosed_best_level, label4, label8


def _masks(rng: np.random.Generator):
    for _ in range(150):
        r, c = (int(x) for x in rng.integers(1, 100, 2))
        yield rng.random((r, c)) < rng.uniform(0.2, 0.8)  # speckle: near the percolation threshold, many joins
        yield ndimage.uniform_filter(rng.random((r, c)), 5) < 0.5  # blobs, as coherence masks are
    yield np.ones((40, 30), bool)
    yield np.zeros((40, 30), bool)
    yield np.eye(20, dtype=bool)  # diagonal: one part for 8 neighbours, twenty for 4


@pytest.mark.parametrize(("ours", "structure"), [(label4, None), (label8, np.ones((3, 3), bool))])
def test_labels_and_their_numbering_are_scipys(ours, structure):
    rng = np.random.default_rng(7)
    for mask in _masks(rng):
        expected, n_expected = ndimage.label(mask, structure)
        got, n = ours(mask)
        assert n == n_expected
        np.testing.assert_array_equal(got, expected)


def _enclosed_reference(level, thresholds, beyond, smallest):
    """The scan written with scipy, as qa-features-4 to 7 did it before the numba kernel."""
    n_in_before, best, best_i, best_counts = -1, 0, -1, None
    for i, t in enumerate(thresholds):
        parts = level >= np.float32(t)
        n_in = int(parts.sum())
        if n_in == 0:
            break
        if n_in == parts.size or n_in == n_in_before:
            continue
        n_in_before = n_in
        labels, n = ndimage.label(parts)
        counts = np.bincount(labels.ravel(), minlength=n + 1)
        counts[0] = 0
        for edge in (labels[0], labels[-1], labels[:, 0], labels[:, -1]):
            counts[edge] = 0
        if beyond is not None:
            counts[labels[beyond]] = 0
        area = int(counts[counts >= smallest].sum())
        if area > best:
            best, best_i, best_counts = area, i, counts
    return best_i, best_counts


def test_the_enclosing_level_is_the_one_a_scan_with_scipy_finds():
    rng = np.random.default_rng(3)
    thresholds = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65)
    found = 0
    for k in range(120):
        r, c = (int(x) for x in rng.integers(8, 90, 2))
        level = ndimage.uniform_filter(rng.random((r, c)), int(rng.integers(1, 6))).astype(np.float32)
        level = 0.2 + (level - level.min()) * 0.6 / max(float(np.ptp(level)), 1e-6)
        beyond = None if k % 2 else ndimage.binary_dilation(np.pad(np.zeros((r - 4, c - 4), bool), 2,
                                                                   constant_values=True))
        i, counts = _enclosed_reference(level, thresholds, beyond, 4)
        got_i, _, got_counts = enclosed_best_level(level, thresholds, beyond, 4)
        assert got_i == i
        if i >= 0:
            found += 1
            np.testing.assert_array_equal(got_counts, counts)
    assert found > 20  # the cases exercise enclosures, not only empty answers


def test_a_ring_of_low_level_encloses_its_inside_at_the_threshold_above_the_ring():
    yy, xx = np.mgrid[0:40, 0:40]
    r = np.hypot(yy - 20, xx - 20)
    level = np.where((r > 8) & (r < 11), 0.32, 0.8).astype(np.float32)  # a moat at 0.32 around a disc
    i, labels, counts = enclosed_best_level(level, (0.3, 0.35, 0.4), None, 4)
    assert i == 1  # 0.3 does not cut the moat; 0.35 does, and 0.4 encloses the same (skipped as equal)
    assert int(counts.sum()) == int((r <= 8).sum())  # the disc, and not the part outside the moat
