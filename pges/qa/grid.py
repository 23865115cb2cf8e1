"""Operations on the QA work grid (at most 96 x 96 pixels), written for its size.

On a grid this small numpy's per-call cost dominates, so the 3x3 box sums, the cross dilation, erosion and minimum
are shifted slices (not ``np.pad`` or ``scipy.ndimage``, which cost more in set-up than in work here), and the
99th percentile is one partition. Each gives exactly what the general function gives (``tests/test_pges_qa_grid.py``).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["box3", "dilate_cross", "erode_cross", "min_cross", "quantile99", "wrap"]


def wrap(x: np.ndarray) -> np.ndarray:
    """Wrap to [-pi, pi] (rounding to the nearest cycle: several times faster than a floating modulo)."""
    return x - math.tau * np.rint(x * (1.0 / math.tau))


def quantile99(x: np.ndarray) -> float:
    """``np.quantile(x, 0.99)`` (linear interpolation, the same value to the bit) by one partition of ``x``.

    ``np.quantile`` costs four times the partition it does on a few thousand values, in argument handling.
    """
    n = x.size
    at = n * 0.99 + (1.0 + 0.99 * (1.0 - 1.0 - 1.0)) - 1.0  # numpy's virtual index for alpha = beta = 1
    lo = int(math.floor(at))
    hi = min(lo + 1, n - 1)
    part = np.partition(x, [lo, hi] if hi != lo else lo)
    a, b, t = part[lo], part[hi], at - lo
    return float(b - (b - a) * (1 - t)) if t >= 0.5 else float(a + (b - a) * t)  # numpy's two-sided lerp


def box3(a: np.ndarray) -> np.ndarray:
    """Sum over each pixel's 3x3 neighbourhood (zero outside), by shifted slices (faster than a filter here)."""
    r, c = a.shape
    p = np.zeros((r + 2, c + 2), dtype=a.dtype)  # np.pad, without its cost on a small grid
    p[1:-1, 1:-1] = a
    rows = p[:-2] + p[1:-1] + p[2:]
    return rows[:, :c] + rows[:, 1 : c + 1] + rows[:, 2:]


def dilate_cross(m: np.ndarray) -> np.ndarray:
    """Binary dilation by the 4-neighbour cross (as ``ndimage.binary_dilation(m)``), by slices."""
    out = m.copy()
    out[1:] |= m[:-1]
    out[:-1] |= m[1:]
    out[:, 1:] |= m[:, :-1]
    out[:, :-1] |= m[:, 1:]
    return out


def erode_cross(m: np.ndarray) -> np.ndarray:
    """Binary erosion by the 4-neighbour cross, outside the grid False (``ndimage.binary_erosion(m)``), by slices."""
    out = m.copy()
    out[0] = out[-1] = False
    out[:, 0] = out[:, -1] = False
    out[1:] &= m[:-1]
    out[:-1] &= m[1:]
    out[:, 1:] &= m[:, :-1]
    out[:, :-1] &= m[:, 1:]
    return out


def min_cross(a: np.ndarray) -> np.ndarray:
    """Minimum over each pixel's 4-neighbour cross (pixels outside the grid ignored), by slices."""
    out = a.copy()
    np.minimum(out[1:], a[:-1], out=out[1:])
    np.minimum(out[:-1], a[1:], out=out[:-1])
    np.minimum(out[:, 1:], a[:, :-1], out=out[:, 1:])
    np.minimum(out[:, :-1], a[:, 1:], out=out[:, :-1])
    return out
