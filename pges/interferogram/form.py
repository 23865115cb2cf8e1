"""Interferogram formation, complex multilooking and coherence, fused in one pass over the SLCs.

For looks ``L = la * lr`` over a window ``W``::

    I     = 1/L * sum_W  r * conj(s)                         (complex interferogram)
    gamma = |sum_W r conj(s)| / sqrt(sum_W |r|^2 * sum_W |s|^2)   (sample coherence magnitude, 0..1)
    A     = (1/L^2 * sum_W |r|^2 * sum_W |s|^2) ** (1/4)     (amplitude: geometric mean of the two)

Phase convention: ``arg(I) = phi_ref - phi_sec``; with SLC phase ``+4 pi r / lambda`` a positive phase
is a range increase (motion away from the satellite). Trailing rows/columns that do not fill a window
are dropped. Windows with no power give NaN coherence and 0 amplitude.

Reference: Touzi, R. et al. (1999), Coherence estimation for SAR imagery, IEEE TGRS 37(1), 135-149.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["form_multilook", "form_multilook_numpy"]


@numba.njit(cache=True, fastmath=True, nogil=True, boundscheck=False)
def _kernel(ref: np.ndarray, sec: np.ndarray, la: int, lr: int, ifg: np.ndarray, coh: np.ndarray, amp: np.ndarray):
    rows_out, cols_out = coh.shape
    inv_l = np.float32(1.0 / (la * lr))
    acc_re = np.empty(cols_out, np.float32)
    acc_im = np.empty(cols_out, np.float32)
    acc_pr = np.empty(cols_out, np.float32)
    acc_ps = np.empty(cols_out, np.float32)
    for io in range(rows_out):
        acc_re[:] = 0.0
        acc_im[:] = 0.0
        acc_pr[:] = 0.0
        acc_ps[:] = 0.0
        for k in range(la):
            rrow = ref[io * la + k]  # float32 view: re, im interleaved
            srow = sec[io * la + k]
            for jo in range(cols_out):
                sre = np.float32(0.0)
                sim = np.float32(0.0)
                spr = np.float32(0.0)
                sps = np.float32(0.0)
                base = 2 * jo * lr
                for m in range(lr):
                    ar = rrow[base + 2 * m]
                    ai = rrow[base + 2 * m + 1]
                    br = srow[base + 2 * m]
                    bi = srow[base + 2 * m + 1]
                    sre += ar * br + ai * bi
                    sim += ai * br - ar * bi
                    spr += ar * ar + ai * ai
                    sps += br * br + bi * bi
                acc_re[jo] += sre
                acc_im[jo] += sim
                acc_pr[jo] += spr
                acc_ps[jo] += sps
        for jo in range(cols_out):
            den = acc_pr[jo] * acc_ps[jo]
            ifg[io, jo] = complex(acc_re[jo] * inv_l, acc_im[jo] * inv_l)
            if den > 0.0:
                coh[io, jo] = np.sqrt(acc_re[jo] * acc_re[jo] + acc_im[jo] * acc_im[jo]) / np.sqrt(den)
                amp[io, jo] = np.sqrt(np.sqrt(den)) * np.sqrt(inv_l)
            else:
                coh[io, jo] = np.nan
                amp[io, jo] = 0.0


def form_multilook(
    ref: np.ndarray, sec: np.ndarray, looks_azimuth: int, looks_range: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interferogram (complex64), coherence (float32, 0..1) and amplitude (float32) at ``la x lr`` looks.

    Args:
        ref: reference SLC (later date), complex64 ``(rows, cols)``.
        sec: secondary SLC (earlier date), same shape.
        looks_azimuth: looks along rows.
        looks_range: looks along columns.

    Returns:
        ``(ifg, coherence, amplitude)``, each ``(rows // la, cols // lr)``.
    """
    if ref.shape != sec.shape:
        raise ValueError(f"SLC shapes differ: {ref.shape} vs {sec.shape}")
    rows_out, cols_out = ref.shape[0] // looks_azimuth, ref.shape[1] // looks_range
    r = np.ascontiguousarray(ref, dtype=np.complex64).view(np.float32)
    s = np.ascontiguousarray(sec, dtype=np.complex64).view(np.float32)
    ifg = np.empty((rows_out, cols_out), np.complex64)
    coh = np.empty((rows_out, cols_out), np.float32)
    amp = np.empty((rows_out, cols_out), np.float32)
    _kernel(r, s, looks_azimuth, looks_range, ifg, coh, amp)
    return ifg, coh, amp


def form_multilook_numpy(
    ref: np.ndarray, sec: np.ndarray, looks_azimuth: int, looks_range: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Straightforward numpy version of :func:`form_multilook` (the reference for tests and benchmarks)."""
    la, lr = looks_azimuth, looks_range
    rows, cols = (ref.shape[0] // la) * la, (ref.shape[1] // lr) * lr
    r, s = ref[:rows, :cols], sec[:rows, :cols]

    def look(x: np.ndarray) -> np.ndarray:
        return x.reshape(rows // la, la, cols // lr, lr).sum(axis=(1, 3))

    cross = look(r * np.conj(s))
    pr = look((r * np.conj(r)).real)
    ps = look((s * np.conj(s)).real)
    n = la * lr
    with np.errstate(invalid="ignore", divide="ignore"):
        coh = np.abs(cross) / np.sqrt(pr * ps)
    amp = (pr * ps / n**2) ** 0.25
    return (cross / n).astype(np.complex64), coh.astype(np.float32), amp.astype(np.float32)
