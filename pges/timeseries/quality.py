"""Per-pixel quality of an SBAS inversion: temporal coherence and the number of interferograms used.

Temporal coherence (Pepe & Lanari 2006; Tizzani et al. 2007; MintPy's ``temporalCoherence``) measures how
well the inverted time series reproduces the interferograms at a pixel:

``gamma_t = | (1/M) sum_k exp(j (phi_k - phi_hat_k)) |``,  ``phi_hat = A x``,

with ``M`` the interferograms used at the pixel and the residual in radians. It is 1 for a network whose
interferograms close exactly (noise that is per date, not per pair) and drops towards 0 where unwrapping
errors or decorrelation noise break closure. MintPy masks pixels below 0.7 (``minTempCoh``). A network
without redundancy (a tree) has zero residual and so ``gamma_t = 1`` whatever the data: a pixel's
``ifg_count`` must be read alongside.

References:
    Pepe, A., Lanari, R. (2006), On the extension of the minimum cost flow algorithm for phase unwrapping
    of multitemporal differential SAR interferograms, IEEE TGRS 44(9), 2374-2383.
    Tizzani, P. et al. (2007), Surface deformation of Long Valley caldera and Mono Basin, California,
    investigated with the SBAS-InSAR approach, Remote Sensing of Environment 108(3), 277-289.
    Yunjun, Z., Fattahi, H., Amelung, F. (2019), Computers & Geosciences 133, 104331, eq. 4.
"""

from __future__ import annotations

import numpy as np

__all__ = ["finite_mean", "ifg_count", "mm_to_rad", "temporal_coherence"]


def mm_to_rad(los_mm: np.ndarray, wavelength_m: float) -> np.ndarray:
    """LOS mm (positive toward the satellite) -> interferometric phase, rad (positive = range increase)."""
    return -np.asarray(los_mm, dtype=np.float64) / 1000.0 * 4.0 * np.pi / wavelength_m


def temporal_coherence(residual_rad: np.ndarray) -> np.ndarray:
    """``|mean_k exp(j r_k)|`` over the finite residuals of each pixel (``(n_ifg, rows, cols)`` rad in).

    Returns:
        ``(rows, cols)`` float32 in 0..1, NaN where no interferogram was used.
    """
    r = np.asarray(residual_rad, dtype=np.float64)
    ok = np.isfinite(r)
    n = ok.sum(axis=0)
    z = np.where(ok, np.exp(1j * np.where(ok, r, 0.0)), 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        g = np.abs(z) / n
    return np.where(n > 0, g, np.nan).astype(np.float32)


def ifg_count(ifg_stack: np.ndarray) -> np.ndarray:
    """Interferograms with a finite value at each pixel (``(rows, cols)`` int16): those the inversion used."""
    return np.isfinite(np.asarray(ifg_stack)).sum(axis=0).astype(np.int16)


def finite_mean(stack: np.ndarray) -> np.ndarray:
    """Mean over the first axis of the finite values of each pixel; NaN where there are none.

    ``np.nanmean`` gives the same values but warns ('Mean of empty slice') for every pixel outside the
    footprint, which a PGE's log then shows as if something were wrong.
    """
    a = np.asarray(stack, dtype=np.float64)
    ok = np.isfinite(a)
    n = ok.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, np.where(ok, a, 0.0).sum(axis=0) / n, np.nan)
