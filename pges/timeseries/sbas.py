"""SBAS least-squares inversion of an interferogram network, per pixel, and the linear velocity.

Model: each interferogram ``k`` between dates ``i < j`` measures ``phi_k = d_j - d_i`` (plus noise), with
``d`` the displacement of every date. The incidence (design) matrix ``A`` has ``+1`` at ``j`` and ``-1`` at
``i``. Its null space is one constant per connected component of the network graph (dates = nodes,
interferograms = edges), so a network that falls apart in ``K`` groups has rank ``n_dates - K``
(Berardino et al. 2002). Following their SVD approach we take the minimum-norm least-squares solution
``x = pinv(A) phi`` and then fix each component's free constant by setting its first date to zero: the
time series of the component holding the first date is relative to the first date, as usual; the other
components are relative to their own first date and are reported as such (``component`` labels), never
silently joined.

Each pixel uses only the interferograms valid (finite) there; pixels are grouped by that validity pattern
so the inversion is one small pseudo-inverse per pattern times a (n_ifg, n_pixels) matrix (no per-pixel
Python loop).

References:
    Berardino, P., Fornaro, G., Lanari, R., Sansosti, E. (2002), A new algorithm for surface deformation
    monitoring based on small baseline differential SAR interferograms, IEEE TGRS 40(11), 2375-2383.
    Yunjun, Z., Fattahi, H., Amelung, F. (2019), Small baseline InSAR time series analysis: unwrapping error
    correction and noise reduction, Computers & Geosciences 133, 104331.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from pges.errors import InputValidationError

__all__ = [
    "SBASResult",
    "check_network",
    "component_labels",
    "decimal_years",
    "design_matrix",
    "invert_pixels",
    "invert_sbas",
    "network_components",
    "pair_indices",
    "pixels_per_chunk",
    "velocity",
]

logger = logging.getLogger(__name__)

Pair = tuple[int, int]


@dataclass
class SBASResult:
    """Output of :func:`invert_sbas` (arrays are ``(n, rows, cols)`` stacks; units those of the input)."""

    timeseries: np.ndarray  # (n_dates, rows, cols): displacement of each date; NaN where not connected
    residual: np.ndarray  # (n_ifg, rows, cols): observed minus modelled interferogram; NaN where invalid
    component: np.ndarray  # (n_dates, rows, cols) int16: component of each date at each pixel, -1 = none
    n_components: np.ndarray  # (rows, cols) int16: network components (of >= 2 dates) at each pixel
    connected: np.ndarray  # (rows, cols) bool: every date in one component (time series fully tied)
    network_components: list[list[int]]  # components of the full network (date indices), largest first


def pair_indices(pairs: Sequence[tuple[date, date]], dates: Sequence[date]) -> list[Pair]:
    """Date pairs -> ``(i, j)`` index pairs into ``dates`` with ``i < j`` (earlier, later).

    Raises:
        InputValidationError: a date not in ``dates``, or a pair of one date.
    """
    index = {d: n for n, d in enumerate(dates)}
    out = []
    for a, b in pairs:
        if a not in index or b not in index:
            raise InputValidationError(f"pair {a}/{b} has a date that is not in the date list")
        i, j = sorted((index[a], index[b]))
        if i == j:
            raise InputValidationError(f"pair {a}/{b} joins a date to itself")
        out.append((i, j))
    return out


def design_matrix(pairs: Sequence[Pair], n_dates: int) -> np.ndarray:
    """Incidence matrix ``A`` (n_ifg, n_dates): ``+1`` at the later date, ``-1`` at the earlier one."""
    A = np.zeros((len(pairs), n_dates))
    for k, (i, j) in enumerate(pairs):
        A[k, i], A[k, j] = -1.0, 1.0
    return A


def component_labels(pairs: Sequence[Pair], n_dates: int) -> np.ndarray:
    """Connected-component label of every date (union-find); a date in no pair gets ``-1``.

    Labels are numbered in order of each component's first (earliest) date.
    """
    parent = list(range(n_dates))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    used = np.zeros(n_dates, bool)
    for i, j in pairs:
        used[i] = used[j] = True
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    labels = np.full(n_dates, -1, np.int16)
    roots: dict[int, int] = {}
    for d in range(n_dates):
        if used[d]:
            labels[d] = roots.setdefault(find(d), len(roots))
    return labels


def network_components(pairs: Sequence[Pair], n_dates: int) -> list[list[int]]:
    """Return the connected components of the network as lists of date indices, largest first (ties: earliest first)."""
    labels = component_labels(pairs, n_dates)
    comps = [[int(d) for d in np.flatnonzero(labels == c)] for c in range(int(labels.max()) + 1)]
    return sorted(comps, key=lambda c: (-len(c), c[0]))


def invert_sbas(
    ifg_stack: np.ndarray, pairs: Sequence[Pair], dates: Sequence[date], *, max_memory_mb: float | None = None
) -> SBASResult:
    """Invert a stack of interferograms into a displacement time series, pixel by pixel.

    Args:
        ifg_stack: ``(n_ifg, rows, cols)`` interferograms (e.g. LOS mm, or radians), NaN = no data, all
            referenced to the same point.
        pairs: ``(i, j)`` date indices of each interferogram, ``i < j``; ``ifg = d_j - d_i``.
        dates: the acquisition dates, ascending (``len(dates) = n_dates``).
        max_memory_mb: bound on the inversion's working memory (the float64 copies, products and residuals
            of one chunk of pixels); the stack is inverted in as many pixel chunks as that needs. ``None``
            inverts every pixel at once. The result does not depend on it (each pixel is solved on its own).

    Returns:
        :class:`SBASResult`. With a connected network the time series is relative to ``dates[0]``; with a
        disconnected one each component is relative to its own first date (see ``component``).

    Raises:
        InputValidationError: shapes that disagree, fewer than 2 interferograms, dates not ascending.
    """
    stack = np.asarray(ifg_stack)
    if stack.ndim == 2:
        stack = stack[:, :, None]
    n_ifg, rows, cols = stack.shape
    n_dates = len(dates)
    check_network(n_ifg, pairs, dates)
    A = design_matrix(pairs, n_dates)
    flat = stack.reshape(n_ifg, -1)
    n_pix = flat.shape[1]
    ts = np.full((n_dates, n_pix), np.nan)
    resid = np.full((n_ifg, n_pix), np.nan)
    comp = np.full((n_dates, n_pix), -1, np.int16)
    ncomp = np.zeros(n_pix, np.int16)
    step = n_pix if max_memory_mb is None else pixels_per_chunk(max_memory_mb, n_ifg, n_dates)
    for p0 in range(0, n_pix, step):
        cut = slice(p0, min(p0 + step, n_pix))
        invert_pixels(flat[:, cut], A, pairs, ts[:, cut], resid[:, cut], comp[:, cut], ncomp[cut])
    connected = (comp >= 0).all(axis=0) & (comp.max(axis=0) == 0)
    shape = (rows, cols)
    return SBASResult(
        timeseries=ts.reshape(n_dates, *shape),
        residual=resid.reshape(n_ifg, *shape),
        component=comp.reshape(n_dates, *shape),
        n_components=ncomp.reshape(shape),
        connected=connected.reshape(shape),
        network_components=network_components(pairs, n_dates),
    )


def check_network(n_ifg: int, pairs: Sequence[Pair], dates: Sequence[date]) -> None:
    """Raise :class:`InputValidationError` when the stack, pairs and dates do not describe one network."""
    if n_ifg != len(pairs):
        raise InputValidationError(f"{n_ifg} interferograms but {len(pairs)} pairs")
    if n_ifg < 2:
        raise InputValidationError(f"a time series needs at least 2 interferograms, got {n_ifg}")
    if any(b <= a for a, b in zip(dates, dates[1:], strict=False)):
        raise InputValidationError("dates must be strictly ascending")
    if any(not (0 <= i < j < len(dates)) for i, j in pairs):
        raise InputValidationError("every pair must be (earlier index, later index) into dates")


#: Bytes of working memory per pixel and interferogram / per pixel and date of :func:`invert_pixels`
#: (float64 copy, gathered observations, model, residual, validity; time series, labels) and of the
#: temporal coherence and velocity that follow it in :func:`pges.timeseries.blocks.invert_blocks`.
BYTES_PER_IFG, BYTES_PER_DATE = 64, 96


def pixels_per_chunk(max_memory_mb: float, n_ifg: int, n_dates: int) -> int:
    """Pixels whose inversion fits in ``max_memory_mb`` (at least one)."""
    return max(1, int(max_memory_mb * 2**20 // (BYTES_PER_IFG * n_ifg + BYTES_PER_DATE * n_dates)))


def _group_patterns(valid: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Distinct validity patterns of ``valid`` (n_ifg, n_pix) and the pixels of each (bit-packed sort)."""
    n_ifg, n_pix = valid.shape
    if valid.all():
        return np.ones((1, n_ifg), bool), [np.arange(n_pix)]
    packed = np.ascontiguousarray(np.packbits(valid, axis=0).T)
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    uniq, inverse = np.unique(keys, return_inverse=True)
    patterns = np.unpackbits(uniq.view(np.uint8).reshape(len(uniq), -1), axis=1, count=n_ifg).astype(bool)
    order = np.argsort(inverse.ravel(), kind="stable")
    bounds = np.cumsum(np.bincount(inverse.ravel(), minlength=len(uniq)))[:-1]
    return patterns, np.split(order, bounds)


def invert_pixels(
    flat: np.ndarray, A: np.ndarray, pairs: Sequence[Pair], ts: np.ndarray, resid: np.ndarray, comp: np.ndarray,
    ncomp: np.ndarray,
) -> None:
    """Invert ``flat`` (n_ifg, n_pix) into the given output views (time series, residual, labels, counts).

    Pixels are grouped by which interferograms are finite there; each group is one minimum-norm solve
    with many right-hand sides (Berardino et al. 2002, SVD), then each component is tied to its first date.
    """
    n_dates = A.shape[1]
    valid = np.isfinite(flat)
    patterns, groups = _group_patterns(valid)
    for pattern, pix in zip(patterns, groups, strict=True):
        sel = np.flatnonzero(pattern)
        if sel.size == 0:
            continue
        labels = component_labels([pairs[int(k)] for k in sel], n_dates)
        As = A[sel]
        whole = sel.size == flat.shape[0] and pix.size == flat.shape[1]
        obs = np.asarray(flat if whole else flat[np.ix_(sel, pix)], dtype=np.float64)
        x = np.linalg.pinv(As) @ obs  # minimum-norm solution (Berardino et al. 2002, SVD)
        res = obs - As @ x
        for c in range(int(labels.max()) + 1):
            members = np.flatnonzero(labels == c)
            x[members] -= x[members[0]]
        x[labels < 0] = np.nan
        if whole:
            resid[...] = res
            ts[...] = x
            comp[...] = labels[:, None]
            ncomp[...] = int(labels.max()) + 1
        else:
            resid[np.ix_(sel, pix)] = res
            ts[:, pix] = x
            comp[:, pix] = labels[:, None]
            ncomp[pix] = int(labels.max()) + 1


def decimal_years(dates: Sequence[date]) -> np.ndarray:
    """Years since ``dates[0]`` (days / 365.25)."""
    return np.array([(d - dates[0]).days for d in dates], dtype=np.float64) / 365.25


def velocity(
    timeseries: np.ndarray, dates: Sequence[date], component: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares linear rate of a displacement time series, per pixel, with its 1-sigma error.

    Model ``d(t) = v t + c_k``: one rate ``v`` for the pixel and one offset ``c_k`` per network component
    ``k`` (so a disconnected network, whose components have unknown relative offsets, still gives one
    rate). Solved in closed form by centring ``t`` and ``d`` within each component:
    ``v = sum(tc dc) / sum(tc^2)``. The error is from the residuals of that fit,
    ``sigma_v = sqrt(RSS / (n - K - 1) / sum(tc^2))`` (white noise; NaN when n - K - 1 < 1).

    Args:
        timeseries: ``(n_dates, rows, cols)`` displacement (e.g. mm), NaN = none.
        dates: the dates of the time series.
        component: ``(n_dates, rows, cols)`` component labels from :func:`invert_sbas` (default: one).

    Returns:
        ``(v, sigma_v)`` in displacement units per year, ``(rows, cols)``; NaN where fewer than 2 dates.
    """
    d = np.asarray(timeseries, dtype=np.float64)
    t = decimal_years(dates)[:, None, None] * np.ones_like(d)
    finite = np.isfinite(d)
    labels = np.zeros(d.shape, np.int16) if component is None else np.asarray(component)
    labels = np.where(finite, labels, -1)
    tc = np.zeros_like(d)
    dc = np.zeros_like(d)
    n_groups = np.zeros(d.shape[1:], np.int16)
    for k in range(int(labels.max()) + 1 if labels.size else 0):
        m = labels == k
        cnt = m.sum(axis=0)
        has = cnt > 0
        n_groups += has
        with np.errstate(invalid="ignore", divide="ignore"):
            t_mean = np.where(m, t, 0).sum(axis=0) / cnt
            d_mean = np.where(m, d, 0).sum(axis=0) / cnt
        tc = np.where(m, t - t_mean, tc)
        dc = np.where(m, d - d_mean, dc)
    stt = (tc**2).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        v = (tc * dc).sum(axis=0) / stt
        rss = ((dc - v * tc) ** 2 * (labels >= 0)).sum(axis=0)
        dof = (labels >= 0).sum(axis=0) - n_groups - 1
        sigma = np.sqrt(rss / dof / stt)
    v = np.where(stt > 0, v, np.nan)
    sigma = np.where((stt > 0) & (dof >= 1), sigma, np.nan)
    return v, sigma
