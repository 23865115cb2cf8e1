"""Triplet phase closure and the integer ambiguity it reveals (unwrapping errors).

For three dates ``i < j < k`` with interferograms ``ij``, ``jk`` and ``ik`` the closure phase
``C = phi_ij + phi_jk - phi_ik`` is zero for consistent data; after unwrapping it is ``2 pi`` times an
integer plus a small non-closure term, so ``round(C / 2 pi) != 0`` flags an unwrapping error in one of the
three interferograms. Per pixel we count the triplets with a non-zero integer ambiguity (MintPy's
``numTriNonzeroIntAmbiguity``); per interferogram the pixels flagged by at least one of its triplets.

Reference: Yunjun, Z., Fattahi, H., Amelung, F. (2019), Small baseline InSAR time series analysis:
unwrapping error correction and noise reduction, Computers & Geosciences 133, 104331, section 3.2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["ClosureResult", "closure_check", "closure_phase", "closure_triplets"]

Pair = tuple[int, int]


@dataclass
class ClosureResult:
    """Closure of every triplet, its integer ambiguity, and the counts per pixel and per interferogram."""

    triplets: np.ndarray  # (n_trip, 3) interferogram indices (ij, jk, ik)
    closure: np.ndarray  # (n_trip, rows, cols) radians, NaN where an interferogram has no data
    ambiguity: np.ndarray  # (n_trip, rows, cols) int16 round(closure / 2 pi); 0 where NaN
    count: np.ndarray  # (rows, cols) int16: triplets with a non-zero ambiguity at each pixel
    n_triplets: np.ndarray  # (rows, cols) int16: triplets with valid closure at each pixel
    ifg_flagged_pixels: np.ndarray  # (n_ifg,) pixels where some triplet holding the interferogram is flagged


def closure_triplets(pairs: Sequence[Pair]) -> np.ndarray:
    """All triplets ``(ij, jk, ik)`` of interferogram indices whose three pairs are in the network."""
    index = {tuple(p): n for n, p in enumerate(pairs)}
    out = []
    for (i, j), ij in index.items():
        for (j2, k), jk in index.items():
            if j2 == j and (i, k) in index:
                out.append((ij, jk, index[(i, k)]))
    return np.array(sorted(out), dtype=np.int64).reshape(-1, 3)


def closure_phase(ifg_stack: np.ndarray, triplets: np.ndarray) -> np.ndarray:
    """``phi_ij + phi_jk - phi_ik`` for each triplet (radians in, radians out), ``(n_trip, rows, cols)``."""
    s = np.asarray(ifg_stack, dtype=np.float64)
    if triplets.size == 0:
        return np.zeros((0, *s.shape[1:]))
    return s[triplets[:, 0]] + s[triplets[:, 1]] - s[triplets[:, 2]]


def closure_check(ifg_stack: np.ndarray, pairs: Sequence[Pair]) -> ClosureResult:
    """Closure phase, integer ambiguity and flag counts of an unwrapped-phase stack (radians).

    Args:
        ifg_stack: ``(n_ifg, rows, cols)`` unwrapped phase, radians, NaN = no data.
        pairs: ``(i, j)`` date indices of each interferogram, ``i < j``.
    """
    stack = np.asarray(ifg_stack, dtype=np.float64)
    trip = closure_triplets(pairs)
    c = closure_phase(stack, trip)
    ok = np.isfinite(c)
    amb = np.where(ok, np.rint(np.where(ok, c, 0) / (2 * np.pi)), 0).astype(np.int16)
    flagged = amb != 0
    per_ifg = np.zeros(stack.shape[0], np.int64)
    for n in range(stack.shape[0]):
        holds = np.flatnonzero((trip == n).any(axis=1))
        if holds.size:
            per_ifg[n] = int(flagged[holds].any(axis=0).sum())
    return ClosureResult(
        triplets=trip,
        closure=c,
        ambiguity=amb,
        count=flagged.sum(axis=0).astype(np.int16),
        n_triplets=ok.sum(axis=0).astype(np.int16),
        ifg_flagged_pixels=per_ifg,
    )
