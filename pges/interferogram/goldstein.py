"""Goldstein-Werner adaptive filter of a complex interferogram (patch FFTs, overlap-add).

Each ``patch x patch`` block's spectrum ``S`` is weighted by ``H = (smooth(|S|) / max smooth(|S|))^alpha``
(``smooth`` = 3x3 box on the periodic spectrum), so dominant fringe frequencies are kept and noise is
damped; ``alpha`` in [0, 1] sets the strength (0 = no filtering, returned unchanged). Blocks overlap by
half a patch and are blended with a periodic Hann window (the windows of half-overlapping blocks sum to
one), divided by the summed window at the borders. The blocks of one offset do not overlap, so each
offset is a reshape and one batched FFT: no Python loop over patches; the spectral weighting is one
numba pass per block.

Reference: Goldstein, R. M. & Werner, C. L. (1998), Radar interferogram filtering for geophysical
applications, Geophys. Res. Lett. 25(21), 4035-4038.
"""

from __future__ import annotations

import numba
import numpy as np
import scipy.fft as sfft

__all__ = ["goldstein", "goldstein_reference"]


def _hann1d(patch: int) -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(patch) / patch)).astype(np.float32)


def _hann2d(patch: int) -> np.ndarray:
    w = _hann1d(patch)
    return np.outer(w, w)


def _weight(spec: np.ndarray, alpha: float) -> np.ndarray:
    mag = np.abs(spec)
    sm = mag.copy()
    for axis in (-2, -1):  # 3-point box along each axis, periodic: a 3x3 box
        sm = sm + np.roll(sm, 1, axis=axis) + np.roll(sm, -1, axis=axis)
    peak = sm.max(axis=(-2, -1), keepdims=True)
    peak[peak == 0] = 1.0
    return (sm / peak) ** alpha


@numba.njit(cache=True, fastmath=True, nogil=True, boundscheck=False)
def _weight_blocks(spec: np.ndarray, alpha: float) -> None:
    """In place: ``spec[by, :, bx, :] *= (box3x3(|S|) / max)^alpha`` for every block (periodic 3x3 box).

    Works one row of blocks at a time on ``(patch, nx * patch)`` contiguous rows, so the inner loops
    vectorise; alpha 0.5 and 1 avoid the ``exp(alpha log w)``.
    """
    ny, p, nx, _ = spec.shape
    n = nx * p
    mag = np.empty((p, n), np.float32)
    row = np.empty((p, n), np.float32)
    box = np.empty((p, n), np.float32)
    inv = np.empty(nx, np.float32)
    a = np.float32(alpha)
    for by in range(ny):
        s = spec[by].reshape(p, n)
        for i in range(p):
            for k in range(n):
                z = s[i, k]
                mag[i, k] = np.sqrt(z.real * z.real + z.imag * z.imag)
        for i in range(p):  # 3-point sum along columns, periodic within each block
            for k in range(1, n - 1):
                row[i, k] = mag[i, k - 1] + mag[i, k] + mag[i, k + 1]
            for bx in range(nx):
                k0, k1 = bx * p, bx * p + p - 1
                row[i, k0] = mag[i, k1] + mag[i, k0] + mag[i, k0 + 1]
                row[i, k1] = mag[i, k1 - 1] + mag[i, k1] + mag[i, k0]
        for i in range(p):  # 3-point sum along rows (periodic): the 3x3 box
            im, ip = (i - 1) % p, (i + 1) % p
            for k in range(n):
                box[i, k] = row[im, k] + row[i, k] + row[ip, k]
        for bx in range(nx):
            peak = np.float32(0.0)
            for i in range(p):
                for j in range(bx * p, bx * p + p):
                    peak = max(peak, box[i, j])
            inv[bx] = np.float32(1.0) / peak if peak > 0 else np.float32(0.0)
        for i in range(p):
            for bx in range(nx):
                f = inv[bx]
                for k in range(bx * p, bx * p + p):
                    w = box[i, k] * f
                    if a == np.float32(0.5):
                        w = np.sqrt(w)
                    elif a != np.float32(1.0):
                        w = np.exp(a * np.log(w)) if w > 0 else np.float32(0.0)
                    s[i, k] *= w


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _copy_finite(src: np.ndarray, dst: np.ndarray) -> None:
    """``dst[:] = src`` with non-finite values (NaN, inf) as 0, in one pass."""
    for i in range(src.shape[0]):
        for j in range(src.shape[1]):
            z = src[i, j]
            dst[i, j] = z if np.isfinite(z.real) and np.isfinite(z.imag) else 0j


@numba.njit(cache=True, fastmath=True, nogil=True, boundscheck=False)
def _add_windowed(out: np.ndarray, filt: np.ndarray, w1: np.ndarray) -> None:
    """``out[by, i, bx, j] += filt[by, i, bx, j] * w1[i] * w1[j]`` (overlap-add under the 2-D Hann window)."""
    ny, p, nx, _ = filt.shape
    for by in range(ny):
        for i in range(p):
            wi = w1[i]
            for bx in range(nx):
                for j in range(p):
                    out[by, i, bx, j] += filt[by, i, bx, j] * (wi * w1[j])


def goldstein(ifg: np.ndarray, alpha: float, patch: int = 32, workers: int = 1) -> np.ndarray:
    """Goldstein-filter a complex interferogram.

    The blocks of one offset are FFT'd in place of the image (axes 1 and 3 of a ``(ny, patch, nx, patch)``
    view: no transposes), weighted by a numba kernel, inverse-FFT'd and added back under the window,
    all in complex64/float32.

    Args:
        ifg: complex interferogram ``(rows, cols)``; NaN is treated as 0.
        alpha: filter strength in [0, 1]; 0 returns the input unchanged.
        patch: block size (even), pixels.
        workers: FFT threads (``scipy.fft`` ``workers``).

    Returns:
        The filtered interferogram, complex64, same shape.
    """
    if alpha == 0:
        return ifg.astype(np.complex64, copy=False)
    if patch % 2:
        raise ValueError("patch must be even")
    step = patch // 2
    rows, cols = ifg.shape
    # pad so that every pixel is covered by the full set of offsets
    pr = step + ((-(rows + step)) % patch) + patch
    pc = step + ((-(cols + step)) % patch) + patch
    padded = np.zeros((rows + step + pr, cols + step + pc), np.complex64)
    _copy_finite(np.asarray(ifg, np.complex64), padded[step : step + rows, step : step + cols])
    out = np.zeros(padded.shape, np.complex64)
    w1 = _hann1d(patch)
    # the summed window is separable: (sum over row offsets) x (sum over column offsets)
    wsum_r = np.zeros(padded.shape[0], np.float32)
    wsum_c = np.zeros(padded.shape[1], np.float32)
    strip = max(1, (1 << 20) // (patch * padded.shape[1]))  # ~1 Mpix (8 MB complex64) per FFT batch
    for oy in (0, step):
        for ox in (0, step):
            ny = (padded.shape[0] - oy) // patch
            nx = (padded.shape[1] - ox) // patch
            for by in range(0, ny, strip):  # strips of block rows: the working set stays in cache
                nb = min(strip, ny - by)
                region = np.s_[oy + by * patch : oy + (by + nb) * patch, ox : ox + nx * patch]
                # a 2-D FFT as two batched 1-D FFTs (faster in pocketfft than fft2 over strided axes)
                spec = sfft.fft(padded[region].reshape(nb, patch, nx, patch), axis=3, workers=workers)
                spec = sfft.fft(spec, axis=1, workers=workers, overwrite_x=True)
                _weight_blocks(spec, float(alpha))
                filt = sfft.ifft(spec, axis=1, workers=workers, overwrite_x=True)
                filt = sfft.ifft(filt, axis=3, workers=workers, overwrite_x=True)
                _add_windowed(out[region].reshape(nb, patch, nx, patch), filt, w1)
            if ox == 0:
                wsum_r[oy : oy + ny * patch] += np.tile(w1, ny)
            if oy == 0:
                wsum_c[ox : ox + nx * patch] += np.tile(w1, nx)
    inner = np.s_[step : step + rows, step : step + cols]
    wr, wc = wsum_r[step : step + rows], wsum_c[step : step + cols]
    if np.abs(wr - 1).max() < 1e-6 and np.abs(wc - 1).max() < 1e-6:  # half-overlapping Hann windows sum to 1
        return np.ascontiguousarray(out[inner])
    res = out[inner] * (1.0 / np.maximum(wr, 1e-6))[:, None]
    res *= (1.0 / np.maximum(wc, 1e-6))[None, :]
    return res


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
    inner = np.s_[step : step + rows, step : step + cols]
    return (out[inner] / np.maximum(wsum[inner], 1e-6)).astype(np.complex64)
