"""Quality-guided (reliability-sorted) path-following phase unwrapping, after Herráez et al. (2002).

Every pixel gets a reliability from the second differences of the wrapped phase in its 3x3
neighbourhood (horizontal, vertical and both diagonals, each re-wrapped)::

    D = sqrt(H^2 + V^2 + D1^2 + D2^2),   H = W(psi[i, j-1] - psi[i, j]) - W(psi[i, j] - psi[i, j+1]), ...

optionally weighted by the coherence ``gamma`` as ``D / gamma + (1 - gamma)`` (``weight_coherence``), so
smooth and coherent pixels come first.
Each edge between 4-neighbours is scored by the sum of the ``D`` of its two pixels, and edges are
processed from the most to the least reliable: when an edge joins two groups, the smaller group is
shifted by the integer number of cycles that makes the edge's phase step lie in ``[-pi, pi)``, and the
groups merge (union by size with member lists, so each pixel moves O(log N) times; O(N log N) in all).
The result is integer-consistent: ``unw = psi + 2 pi k`` with integer ``k`` everywhere.

Masked pixels take no part; each connected piece of the mask is unwrapped on its own. Connected
components (made by ``unwrap.unwrap_quality`` with :func:`label_components`) are the regions where the
5x5 mean coherence is at least ``conncomp_min_coherence`` inside the mask (8-connected labelling),
those smaller than ``min_conncomp_frac`` of the grid dropped (label 0), numbered by decreasing size;
phases of different components are tied only through less coherent pixels.

Reference: Herráez, M. A., Burton, D. R., Lalor, M. J. & Gdeisat, M. A. (2002), Fast two-dimensional
phase-unwrapping algorithm based on sorting by reliability following a noncontinuous path, Applied
Optics 41(35), 7437-7444.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["label_components", "quality_unwrap", "reliability"]


@numba.njit(cache=True, nogil=True, inline="always")
def _wrap(x: float) -> float:
    return x - math.tau * np.floor((x + np.pi) / math.tau)


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _second_differences(psi: np.ndarray, mask: np.ndarray, out: np.ndarray) -> None:
    rows, cols = psi.shape
    big = np.float32(1e6)
    for i in range(rows):
        for j in range(cols):
            if not mask[i, j]:
                out[i, j] = np.inf
                continue
            if i == 0 or j == 0 or i == rows - 1 or j == cols - 1:
                out[i, j] = big  # border: least reliable, unwrapped last
                continue
            c = psi[i, j]
            h = _wrap(psi[i, j - 1] - c) - _wrap(c - psi[i, j + 1])
            v = _wrap(psi[i - 1, j] - c) - _wrap(c - psi[i + 1, j])
            d1 = _wrap(psi[i - 1, j - 1] - c) - _wrap(c - psi[i + 1, j + 1])
            d2 = _wrap(psi[i - 1, j + 1] - c) - _wrap(c - psi[i + 1, j - 1])
            out[i, j] = np.sqrt(h * h + v * v + d1 * d1 + d2 * d2)


def reliability(psi: np.ndarray, mask: np.ndarray, coherence: np.ndarray | None = None) -> np.ndarray:
    """Unreliability ``D`` (rad, lower = better; ``inf`` where masked); ``D / gamma + 1 - gamma`` with coherence."""
    d = np.empty(psi.shape, np.float32)
    _second_differences(psi.astype(np.float64), mask, d)
    if coherence is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            coh = np.clip(np.nan_to_num(coherence, nan=0.0), 0.0, 1.0)
            d = d / np.maximum(coh, 1e-3) + (1.0 - coh)
    return d.astype(np.float32)


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _edges(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows, cols = d.shape
    n = 0
    for i in range(rows):
        for j in range(cols):
            if np.isfinite(d[i, j]):
                if j + 1 < cols and np.isfinite(d[i, j + 1]):
                    n += 1
                if i + 1 < rows and np.isfinite(d[i + 1, j]):
                    n += 1
    a = np.empty(n, np.int64)
    b = np.empty(n, np.int64)
    w = np.empty(n, np.float32)
    k = 0
    for i in range(rows):
        for j in range(cols):
            if np.isfinite(d[i, j]):
                p = i * cols + j
                if j + 1 < cols and np.isfinite(d[i, j + 1]):
                    a[k], b[k], w[k] = p, p + 1, d[i, j] + d[i, j + 1]
                    k += 1
                if i + 1 < rows and np.isfinite(d[i + 1, j]):
                    a[k], b[k], w[k] = p, p + cols, d[i, j] + d[i + 1, j]
                    k += 1
    return a, b, w


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _merge(psi: np.ndarray, a: np.ndarray, b: np.ndarray, order: np.ndarray) -> np.ndarray:
    n = psi.size
    group = np.arange(n)  # group id = index of its first member; kept current for every member
    nxt = np.full(n, -1, np.int64)  # member list per group
    tail = np.arange(n)
    size = np.ones(n, np.int64)
    k = np.zeros(n, np.int64)  # cycles added to each pixel
    for e in order:
        p, q = a[e], b[e]
        gp, gq = group[p], group[q]
        if gp == gq:
            continue
        step = (psi[p] + math.tau * k[p]) - (psi[q] + math.tau * k[q])
        shift = np.int64(np.floor(step / math.tau + 0.5))  # cycles to add to q's side
        if size[gq] > size[gp]:  # move the smaller group: p's side by -shift
            gp, gq = gq, gp
            shift = -shift
        m = gq
        while m != -1:
            k[m] += shift
            group[m] = gp
            m = nxt[m]
        nxt[tail[gp]] = gq
        tail[gp] = tail[gq]
        size[gp] += size[gq]
    return k


def label_components(valid: np.ndarray, min_frac: float) -> np.ndarray:
    """8-connected labels of ``valid`` (uint16, 0 = none), largest first, dropping those under ``min_frac`` of it."""
    from scipy import ndimage

    labels, n = ndimage.label(valid, structure=np.ones((3, 3), bool))
    if n == 0:
        return np.zeros(valid.shape, np.uint16)
    counts = np.bincount(labels.ravel())[1:]
    keep = np.flatnonzero(counts >= max(1, min_frac * valid.size))
    keep = keep[np.argsort(-counts[keep], kind="stable")][:65535]
    lut = np.zeros(n + 1, np.uint16)
    lut[keep + 1] = np.arange(1, keep.size + 1, dtype=np.uint16)
    return lut[labels]


def quality_unwrap(
    psi: np.ndarray, mask: np.ndarray, coherence: np.ndarray | None = None
) -> np.ndarray:
    """Unwrap the wrapped phase ``psi`` (rad) by reliability-sorted region growing.

    Args:
        psi: wrapped phase, rad, ``(rows, cols)``.
        mask: pixels to unwrap (others are NaN in the result).
        coherence: when given, pixel reliability is weighted by it (coherent pixels first).

    Returns:
        Unwrapped phase, float32 rad, ``psi + 2 pi k`` with integer ``k``; NaN outside ``mask``.
    """
    psi64 = np.where(mask, np.nan_to_num(psi.astype(np.float64)), 0.0)
    ok = mask & np.isfinite(psi)
    d = reliability(psi64, ok, coherence)
    a, b, w = _edges(d)
    order = np.argsort(w, kind="stable")
    k = _merge(psi64.ravel(), a, b, order).reshape(psi.shape)
    return np.where(ok, psi64 + math.tau * k, np.nan).astype(np.float32)
