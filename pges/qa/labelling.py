"""Connected-component labelling of small binary masks, numbered exactly as ``scipy.ndimage.label`` numbers them.

The QA features label about ten masks of the 96 x 96 work grid per product. ``ndimage.label`` spends most of
its 0.1-0.15 ms per call validating arguments and setting up generic iterators for a mask of a few thousand
pixels; this two-pass union-find (Rosenheld-Pfaltz scan, path halving) does the same in a few microseconds.
The numbering is scipy's (1, 2, ... in raster order of each component's first pixel), so a feature that breaks
ties between equal-sized components by label breaks them the same way: ``tests/test_pges_qa_labelling.py``
checks the labels against ``ndimage.label`` itself.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

__all__ = ["enclosed_best_level", "label4", "label8"]


@numba.njit(cache=True, nogil=True, inline="always")
def _root(parent: np.ndarray, a: Any) -> Any:
    while parent[a] != a:
        parent[a] = parent[parent[a]]  # path halving
        a = parent[a]
    return a


@numba.njit(cache=True, nogil=True, inline="always")
def _join(parent: np.ndarray, a: Any, b: Any) -> Any:
    ra, rb = _root(parent, a), _root(parent, b)
    if ra < rb:
        parent[rb] = ra
        return ra
    parent[ra] = rb
    return rb


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _label(mask: np.ndarray, eight: bool) -> tuple[np.ndarray, Any]:
    r, c = mask.shape
    lab = np.zeros((r, c), np.int32)
    parent = np.empty(r * c + 1, np.int32)
    n = np.int32(0)
    zero = np.int32(0)
    for i in range(r):
        left = zero  # the label of the pixel to the left, kept in a register rather than read back
        for j in range(c):
            if not mask[i, j]:
                left = zero
                continue
            cur = left
            if i > 0:
                up = lab[i - 1, j]
                if up != 0 and up != cur:
                    cur = up if cur == 0 else _join(parent, cur, up)
                if eight:
                    if j > 0:
                        up = lab[i - 1, j - 1]
                        if up != 0 and up != cur:
                            cur = up if cur == 0 else _join(parent, cur, up)
                    if j < c - 1:
                        up = lab[i - 1, j + 1]
                        if up != 0 and up != cur:
                            cur = up if cur == 0 else _join(parent, cur, up)
            if cur == 0:
                n += 1
                parent[n] = n
                cur = n
            lab[i, j] = cur
            left = cur
    final = np.zeros(n + 1, np.int32)
    m = np.int32(0)
    prev, prev_final = zero, zero
    for i in range(r):
        for j in range(c):
            a = lab[i, j]
            if a == 0:
                continue
            if a != prev:
                root = _root(parent, a)
                if final[root] == 0:
                    m += 1
                    final[root] = m
                prev, prev_final = a, final[root]
            lab[i, j] = prev_final
    return lab, m


def label4(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Components of ``mask`` joined through the 4 edge neighbours (``ndimage.label(mask)``): labels, count."""
    labels, n = _label(np.ascontiguousarray(mask, dtype=np.bool_), False)
    return labels, int(n)


def label8(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Components joined through the 8 neighbours (``ndimage.label(mask, np.ones((3, 3)))``): labels, count."""
    labels, n = _label(np.ascontiguousarray(mask, dtype=np.bool_), True)
    return labels, int(n)


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _part_counts(labels: np.ndarray, n: int, beyond: np.ndarray) -> np.ndarray:
    """Pixels per label; 0 for the background and for labels touching the grid's edge or ``beyond``."""
    r, c = labels.shape
    counts = np.zeros(n + 1, np.int64)
    flat = labels.ravel()
    for p in range(flat.size):
        counts[flat[p]] += 1
    counts[0] = 0
    for j in range(c):
        counts[labels[0, j]] = 0
        counts[labels[r - 1, j]] = 0
    for i in range(r):
        counts[labels[i, 0]] = 0
        counts[labels[i, c - 1]] = 0
    for k in range(beyond.size):
        counts[flat[beyond[k]]] = 0
    return counts


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _enclosed_best_level(level: np.ndarray, thresholds: np.ndarray, beyond: np.ndarray,
                         smallest: float) -> tuple[int, np.ndarray, np.ndarray]:
    best, best_i = 0, -1
    best_labels, best_counts = np.zeros(level.shape, np.int32), np.zeros(1, np.int64)
    n_in_before = -1
    for ti in range(thresholds.size):
        parts = level >= thresholds[ti]
        n_in = int(parts.sum())
        if n_in == 0:
            break  # nested: no higher level has any part either
        if n_in == parts.size or n_in == n_in_before:
            continue  # one part touching every edge; or the level below's mask again (nested: it encloses the same)
        n_in_before = n_in
        labels, n = _label(parts, False)
        counts = _part_counts(labels, n, beyond)
        area = 0
        for k in range(n + 1):
            if counts[k] >= smallest:
                area += counts[k]
        if area > best:
            best, best_i, best_labels, best_counts = area, ti, labels, counts
    return best_i, best_labels, best_counts


def enclosed_best_level(level: np.ndarray, thresholds: tuple[float, ...], beyond: np.ndarray | None,
                        smallest: float) -> tuple[int, np.ndarray, np.ndarray]:
    """The threshold of ``level`` whose parts (4-connected, ``level >= t``) enclose the most pixels.

    A part is enclosed when it touches no edge of the grid and no pixel of ``beyond``; only parts of at least
    ``smallest`` pixels count. Of equal areas the lowest threshold wins (``thresholds`` increasing); levels are
    nested, so the scan stops at the first empty one and skips one that fills the grid or equals the one below.
    (A union-find over all levels at once, adding pixels from the top level down, was tried: on a 96 x 96 grid
    it costs twice the eight labellings.)

    Returns:
        The index of the best threshold (-1 when nothing is enclosed), its labels (as :func:`label4`) and the
        pixel count of each label (0 for the background and for parts that are not enclosed).
    """
    at = np.zeros(0, np.int64) if beyond is None else np.flatnonzero(beyond)
    # thresholds in the level's own precision, as numpy compares a float32 array with a Python float
    t = np.asarray(thresholds, dtype=level.dtype)
    return _enclosed_best_level(np.ascontiguousarray(level), t, at, float(smallest))
