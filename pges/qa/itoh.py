"""A second unwrapping to compare a product with: Itoh path integration along rows and along columns.

Itoh (1982) unwraps a line by summing the wrapped differences of neighbouring pixels. Along each row (and,
separately, each column) of the work grid the wrapped differences between coherent neighbours are summed, the
sum is referenced to the product by the line's median offset, and a pixel whose cycle count differs from the
product's in both directions is a disagreement: a place where the product's unwrapper went another way than
the simplest path would. One numba pass per direction, in float32 with numpy's rounding at every step, so the
result is the one the numpy formulation gives (``tests/test_pges_qa_itoh.py`` checks it against that).
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["itoh_disagreement"]

_TWO_PI = np.float32(math.tau)
_INV_TWO_PI = np.float32(1.0 / math.tau)


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _wrap32(x: np.float32) -> np.float32:
    return x - _TWO_PI * np.float32(np.rint(x * _INV_TWO_PI))


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _select(v: np.ndarray, k: int) -> np.float32:
    """The k-th smallest of ``v`` (reordered in place; Hoare's quickselect: a sort per line costs 4x more)."""
    lo, hi = 0, v.size - 1
    while lo < hi:
        pivot = v[(lo + hi) // 2]
        i, j = lo, hi
        while i <= j:
            while v[i] < pivot:
                i += 1
            while v[j] > pivot:
                j -= 1
            if i <= j:
                v[i], v[j] = v[j], v[i]
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            return v[k]
    return v[k]


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _line_disagreement(w: np.ndarray, phi: np.ndarray, high: np.ndarray, out: np.ndarray) -> None:
    """Along each row of ``w`` (the wrapped phase): ``out`` = high pixels whose integrated cycle count differs."""
    r, c = w.shape
    off = np.empty(c, np.float32)
    vals = np.empty(c, np.float32)
    for i in range(r):
        integ = np.float32(0.0)
        n = 0
        for j in range(c):
            if j > 0 and high[i, j] and high[i, j - 1]:
                integ = np.float32(integ + _wrap32(np.float32(w[i, j] - w[i, j - 1])))
            off[j] = np.float32(phi[i, j] - integ)
            if high[i, j]:
                vals[n] = off[j]
                n += 1
        med = np.float32(0.0)
        if n > 0:
            med = _select(vals[:n], (n - 1) // 2)  # the lower median, as numpy's sort would give
        for j in range(c):
            out[i, j] = high[i, j] and np.rint(np.float32(np.float32(off[j] - med) / _TWO_PI)) != 0


def itoh_disagreement(wrapped: np.ndarray, phi: np.ndarray, high: np.ndarray) -> float:
    """Share of the ``high`` pixels whose cycle count differs from Itoh integration along rows and along columns.

    Args:
        wrapped: the wrapped phase (rad) on the work grid, 0 where there is no data.
        phi: the unwrapped phase (rad), 0 where there is no data.
        high: the coherent pixels, the only ones integrated through and counted.
    """
    w, p = np.asarray(wrapped, np.float32), np.asarray(phi, np.float32)
    h = np.ascontiguousarray(high, dtype=np.bool_)
    rows, cols = np.empty(h.shape, np.bool_), np.empty(h.shape[::-1], np.bool_)
    _line_disagreement(np.ascontiguousarray(w), np.ascontiguousarray(p), h, rows)
    _line_disagreement(np.ascontiguousarray(w.T), np.ascontiguousarray(p.T), np.ascontiguousarray(h.T), cols)
    return float(np.count_nonzero(rows & cols.T)) / max(int(h.sum()), 1)
