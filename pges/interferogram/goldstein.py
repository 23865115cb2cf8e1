"""Goldstein-Werner adaptive filter of a complex interferogram (patch FFTs, overlap-add).

Each ``patch x patch`` block's spectrum ``S`` is weighted by ``H = (smooth(|S|) / max smooth(|S|))^alpha``
(``smooth`` = 3x3 box on the periodic spectrum), so dominant fringe frequencies are kept and noise is
damped; ``alpha`` in [0, 1] sets the strength (0 = no filtering, returned unchanged). Blocks overlap by
half a patch and are blended with a periodic Hann window (the windows of half-overlapping blocks sum to
one), divided by the summed window at the borders. The blocks of one offset do not overlap, so each
offset is a reshape and one batched FFT: no Python loop over patches.

Reference: Goldstein, R. M. & Werner, C. L. (1998), Radar interferogram filtering for geophysical
applications, Geophys. Res. Lett. 25(21), 4035-4038.
"""

from __future__ import annotations

import numpy as np
import scipy.fft as sfft

__all__ = ["goldstein", "goldstein_reference"]


def _hann2d(patch: int) -> np.ndarray:
    w = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(patch) / patch)
    return np.outer(w, w).astype(np.float32)


def _weight(spec: np.ndarray, alpha: float) -> np.ndarray:
    mag = np.abs(spec)
    sm = mag.copy()
    for axis in (-2, -1):  # 3-point box along each axis, periodic: a 3x3 box
        sm = sm + np.roll(sm, 1, axis=axis) + np.roll(sm, -1, axis=axis)
    peak = sm.max(axis=(-2, -1), keepdims=True)
    peak[peak == 0] = 1.0
    return (sm / peak) ** alpha


def goldstein(ifg: np.ndarray, alpha: float, patch: int = 32, workers: int = 1) -> np.ndarray:
    """Goldstein-filter a complex interferogram.

    Args:
        ifg: complex interferogram ``(rows, cols)``; NaN is treated as 0.
        alpha: filter strength in [0, 1]; 0 returns the input unchanged.
        patch: block size (power of two), pixels.
        workers: FFT threads.

    Returns:
        The filtered interferogram, complex64, same shape.
    """
    if alpha == 0:
        return ifg.astype(np.complex64, copy=False)
    if patch % 2:
        raise ValueError("patch must be even")
    step = patch // 2
    rows, cols = ifg.shape
    data = np.nan_to_num(ifg.astype(np.complex64))
    # pad so that every pixel is covered by the full set of offsets
    pr = step + ((-(rows + step)) % patch) + patch
    pc = step + ((-(cols + step)) % patch) + patch
    padded = np.zeros((rows + step + pr, cols + step + pc), np.complex64)
    padded[step : step + rows, step : step + cols] = data
    out = np.zeros(padded.shape, np.complex64)
    wsum = np.zeros(padded.shape, np.float32)
    win = _hann2d(patch)
    for oy in (0, step):
        for ox in (0, step):
            ny = (padded.shape[0] - oy) // patch
            nx = (padded.shape[1] - ox) // patch
            view = padded[oy : oy + ny * patch, ox : ox + nx * patch]
            blocks = view.reshape(ny, patch, nx, patch).transpose(0, 2, 1, 3)
            spec = sfft.fft2(blocks, axes=(-2, -1), workers=workers)
            spec *= _weight(spec, alpha).astype(np.float32)
            filt = sfft.ifft2(spec, axes=(-2, -1), workers=workers) * win
            out[oy : oy + ny * patch, ox : ox + nx * patch] += filt.transpose(0, 2, 1, 3).reshape(ny * patch, nx * patch)
            wsum[oy : oy + ny * patch, ox : ox + nx * patch] += np.tile(win, (ny, nx))
    res = out[step : step + rows, step : step + cols] / np.maximum(wsum[step : step + rows, step : step + cols], 1e-6)
    return res.astype(np.complex64)


def goldstein_reference(ifg: np.ndarray, alpha: float, patch: int = 32) -> np.ndarray:
    """Straightforward version of :func:`goldstein` (a Python loop over patches) for tests and benchmarks."""
    if alpha == 0:
        return ifg.astype(np.complex64, copy=False)
    step = patch // 2
    rows, cols = ifg.shape
    data = np.nan_to_num(ifg.astype(np.complex64))
    pr = step + ((-(rows + step)) % patch) + patch
    pc = step + ((-(cols + step)) % patch) + patch
    padded = np.zeros((rows + step + pr, cols + step + pc), np.complex64)
    padded[step : step + rows, step : step + cols] = data
    out = np.zeros(padded.shape, np.complex128)
    wsum = np.zeros(padded.shape)
    win = _hann2d(patch)
    for i in range(0, padded.shape[0] - patch + 1, step):
        for j in range(0, padded.shape[1] - patch + 1, step):
            spec = np.fft.fft2(padded[i : i + patch, j : j + patch])
            filt = np.fft.ifft2(spec * _weight(spec, alpha)) * win
            out[i : i + patch, j : j + patch] += filt
            wsum[i : i + patch, j : j + patch] += win
    return (out[step : step + rows, step : step + cols] / np.maximum(wsum[step : step + rows, step : step + cols], 1e-6)).astype(np.complex64)
