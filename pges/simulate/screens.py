"""Phase screens and delay models: tropospheric (turbulent, stratified), ionospheric, orbital ramps.

A power-law screen has the 2-D spectrum ``P(k) ~ (k^2 + k0^2)^(-beta/2)`` with ``k0 = 1 / outer_scale``;
``beta = 8/3`` is Kolmogorov turbulence (Hanssen 2001, Radar Interferometry, ch. 4.7). It is made by
shaping white Gaussian noise in the Fourier domain.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ionospheric_delay", "plane", "powerlaw_screen", "radial_power_spectrum", "stratified_delay"]


def powerlaw_screen(
    shape: tuple[int, int],
    spacing_m: float,
    beta: float,
    outer_scale_m: float,
    rng: np.random.Generator,
    inner_scale_m: float | None = None,
) -> np.ndarray:
    """A zero-mean, unit-std power-law random field (float64) on a grid of ``spacing_m`` pixels.

    ``inner_scale_m`` (optional) tapers the spectrum by ``exp(-(2 pi k l)^2 / 2)``: the tropospheric
    spectrum steepens below ~1-2 km (Hanssen 2001, ch. 4.7), so strong screens stay smooth pixel to pixel.
    """
    rows, cols = shape
    ky = np.fft.fftfreq(rows, d=spacing_m)[:, None]
    kx = np.fft.rfftfreq(cols, d=spacing_m)[None, :]
    k2 = kx**2 + ky**2 + (1.0 / outer_scale_m) ** 2
    amp = k2 ** (-beta / 4.0)
    if inner_scale_m:
        amp = amp * np.exp(-0.5 * (2 * np.pi * inner_scale_m) ** 2 * (kx**2 + ky**2))
    amp[0, 0] = 0.0
    white = rng.standard_normal((rows, cols // 2 + 1)) + 1j * rng.standard_normal((rows, cols // 2 + 1))
    field = np.fft.irfft2(white * amp, s=(rows, cols))
    field -= field.mean()
    std = field.std()
    return field / std if std > 0 else field


# ------------------------------------------------------------------------ deterministic delay models

SPEED_OF_LIGHT = 299_792_458.0
IONO_K = 40.28  # m^3 s^-2: one-way ionospheric path delay = 40.28 TEC / f^2 (TEC in electrons/m^2)
TECU = 1.0e16  # electrons per m^2


def stratified_delay(dem_m: np.ndarray, k_per_m: float, h_ref_m: float, incidence_deg: np.ndarray) -> np.ndarray:
    """One-way stratified tropospheric LOS delay (m): ``k (h - h_ref) / cos(theta)``.

    The vertical refractivity profile changes from date to date, so the delay difference between two
    heights does too; to first order over the few km of relief of a frame it is linear in height with a
    per-date coefficient ``k`` (m of zenith delay per m of height; typically a few mm/km), mapped to the
    line of sight with ``1 / cos(incidence)`` (Doin et al. 2009, J. Appl. Geophys. 69, 35-50).
    """
    return k_per_m * (dem_m - h_ref_m) / np.cos(np.deg2rad(incidence_deg))


def ionospheric_delay(tec_tecu: np.ndarray, frequency_hz: float, incidence_deg: np.ndarray) -> np.ndarray:
    """One-way ionospheric LOS *phase* delay (m), negative (a phase advance): ``-40.28 TEC / f^2 / cos(theta)``.

    ``tec_tecu`` is the vertical total electron content (TECU = 1e16 el/m^2) relative to any constant;
    the ``1/f^2`` dispersion makes the same TEC screen ``(f_C / f_L)^2 ~ 18.5`` times larger at L-band
    than at C-band (in metres; ``4.3`` times larger in fringes). Thin-shell mapping approximated by the
    ground incidence angle. Reference: Gomba et al. (2016), IEEE TGRS 54(3), 1446-1461.
    """
    return -IONO_K * tec_tecu * TECU / frequency_hz**2 / np.cos(np.deg2rad(incidence_deg))


def plane(shape: tuple[int, int], spacing_m: float, grad_az: float, grad_rg: float) -> np.ndarray:
    """A zero-mean plane ``grad_az * az + grad_rg * rg`` (gradients per metre) on the radar grid (float64)."""
    rows, cols = shape
    az = (np.arange(rows) - (rows - 1) / 2)[:, None] * spacing_m
    rg = (np.arange(cols) - (cols - 1) / 2)[None, :] * spacing_m
    return grad_az * az + grad_rg * rg


def radial_power_spectrum(field: np.ndarray, spacing_m: float, nbins: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Radially averaged 2-D power spectrum ``(k, P(k))`` (k in cycles/m, log-spaced bins, empty bins dropped)."""
    rows, cols = field.shape
    spec = np.abs(np.fft.fft2(field - field.mean())) ** 2
    ky = np.fft.fftfreq(rows, d=spacing_m)[:, None]
    kx = np.fft.fftfreq(cols, d=spacing_m)[None, :]
    k = np.hypot(kx, ky)
    edges = np.geomspace(k[k > 0].min(), k.max(), nbins + 1)
    idx = np.digitize(k.ravel(), edges) - 1
    ok = (idx >= 0) & (idx < nbins) & (k.ravel() > 0)
    power = np.bincount(idx[ok], weights=spec.ravel()[ok], minlength=nbins)
    count = np.bincount(idx[ok], minlength=nbins)
    centre = np.sqrt(edges[:-1] * edges[1:])
    keep = count > 0
    return centre[keep], power[keep] / count[keep]
