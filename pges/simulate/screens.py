"""Phase screens: spatially correlated random fields for tropospheric (later ionospheric) delays.

A power-law screen has the 2-D spectrum ``P(k) ~ (k^2 + k0^2)^(-beta/2)`` with ``k0 = 1 / outer_scale``;
``beta = 8/3`` is Kolmogorov turbulence (Hanssen 2001, Radar Interferometry, ch. 4.7). It is made by
shaping white Gaussian noise in the Fourier domain.
"""

from __future__ import annotations

import numpy as np

__all__ = ["powerlaw_screen"]


def powerlaw_screen(
    shape: tuple[int, int], spacing_m: float, beta: float, outer_scale_m: float, rng: np.random.Generator
) -> np.ndarray:
    """A zero-mean, unit-std power-law random field (float64) on a grid of ``spacing_m`` pixels."""
    rows, cols = shape
    ky = np.fft.fftfreq(rows, d=spacing_m)[:, None]
    kx = np.fft.rfftfreq(cols, d=spacing_m)[None, :]
    k2 = kx**2 + ky**2 + (1.0 / outer_scale_m) ** 2
    amp = k2 ** (-beta / 4.0)
    amp[0, 0] = 0.0
    white = rng.standard_normal((rows, cols // 2 + 1)) + 1j * rng.standard_normal((rows, cols // 2 + 1))
    field = np.fft.irfft2(white * amp, s=(rows, cols))
    field -= field.mean()
    std = field.std()
    return field / std if std > 0 else field
