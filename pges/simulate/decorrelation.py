"""Decorrelation of simulated dates: temporal, geometric (baseline) and land cover, generated per date.

Coherence belongs to a pair, but the simulator makes one date at a time, and a date may never depend on
which other dates are simulated. Each date's unit-power complex scattering field is therefore built from
random fields that several dates share, keyed only by the frame and by time:

    f_i(x) = a(x) S_i[c] + b(x) S_i[X_i] + w(x) e_i,   a^2 = g(x), b^2 = 1 - g(x) (land), w = 1 (water)

* ``c``: a frame-wide complex white "ground" spectrum, common to every date: the part of the scattering
  that stays coherent forever (long-term coherence ``g``).
* ``X_i = sum_j h_j z_{k_i - j} / ||h||`` with ``h_j = exp(-j T / tau)``: a one-sided exponential moving
  average of white fields ``z_k`` drawn once per time bin ``k`` of ``T`` days (``T = 6`` days for
  ``tau <= 32`` days, coarser for longer ``tau`` so at most ~16 bins are drawn per date) and truncated after
  ``J = ceil(3 tau / T)`` bins. Two dates ``n`` bins apart share bins and their ``X`` correlate as
  ``rho_t(n) = exp(-n T / tau) (1 - exp(-2 (J - n) T / tau)) / (1 - exp(-2 J T / tau))`` (0 for n >= J),
  the Ornstein-Uhlenbeck (exponential) decorrelation of Rocca (2007) / Zebker & Villasenor (1992) on a
  6-day clock. Sentinel-1 dates of one track are multiples of 6 days apart, so ``n T`` is their exact
  time difference.
* ``S_i[.]``: geometric decorrelation by the range spectral shift (Gatelli et al. 1994). Both ``c`` and
  ``z_k`` are drawn as range spectra ``M`` bins wider than the ``N`` range samples; date ``i`` sees the
  ``N`` bins starting at ``s_i = M/2 + round(N B_perp,i / B_c)`` (flattened: each spectral sample stays at
  its own frequency). Two dates share ``N - |s_i - s_j|`` bins, so their coherence is
  ``1 - |s_i - s_j| / N ~ 1 - |B_perp,i - B_perp,j| / B_c``, the critical baseline
  ``B_c = lambda R tan(theta) B_range / c``.
* ``e_i``: independent per date (water, and the per-date noise of artefacts).

Expected coherence of a pair of land pixels: ``gamma = (1 - |ds|/N) (g + (1 - g) rho_t(|dk|))``; water 0.
Land cover (optional): water where the DEM is at or below 0 m (sea), vegetated patches (a seeded smooth
field thresholded to ``vegetation_fraction`` of the land) with ``g = vegetation_coherence``.

References:
    Zebker, H. A. and Villasenor, J. (1992), Decorrelation in interferometric radar echoes, IEEE TGRS 30(5).
    Gatelli, F. et al. (1994), The wavenumber shift in SAR interferometry, IEEE TGRS 32(4), 855-865.
    Rocca, F. (2007), Modeling interferogram stacks, IEEE TGRS 45(10), 3289-3299.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from pges.simulate.config import BAND_DEFAULTS, SimulateParameters
from pges.simulate.deformation import DEFORMATION_EPOCH
from pges.simulate.geometry import RadarGrid
from pges.simulate.screens import SPEED_OF_LIGHT, powerlaw_screen
from pges.simulate.seeds import rng_for

__all__ = ["FrameDecorrelation", "critical_baseline", "expected_coherence", "frame_decorrelation", "temporal_rho"]

BASE_BIN_DAYS = 6
MAX_BINS = 16


def _complex_normal(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Unit-power circular complex Gaussian field (complex64)."""
    re = rng.standard_normal(shape, dtype=np.float32)
    im = rng.standard_normal(shape, dtype=np.float32)
    out = np.empty(shape, dtype=np.complex64)
    out.real = re * np.float32(np.sqrt(0.5))
    out.imag = im * np.float32(np.sqrt(0.5))
    return out


def critical_baseline(wavelength_m: float, slant_range_m: float, incidence_deg: float, bandwidth_hz: float) -> float:
    """Critical perpendicular baseline (m) of flat terrain: ``lambda R tan(theta) B_range / c``."""
    return wavelength_m * slant_range_m * math.tan(math.radians(incidence_deg)) * bandwidth_hz / SPEED_OF_LIGHT


def temporal_rho(n_bins: int | np.ndarray, tau_days: float, bin_days: int, window: int) -> np.ndarray:
    """Correlation of the temporal fields ``X`` of two dates ``n_bins`` time bins apart (see module doc)."""
    n = np.abs(np.asarray(n_bins, dtype=np.float64))
    a = 2.0 * bin_days / tau_days
    rho = np.exp(-n * bin_days / tau_days) * (1.0 - np.exp(-a * (window - n))) / (1.0 - np.exp(-a * window))
    return np.where(n < window, rho, 0.0)


@dataclass
class FrameDecorrelation:
    """What every date of a frame shares: the common spectrum, coherence maps and the time clock."""

    key: tuple[object, ...]
    noise_free: bool
    n_range: int
    margin: int  # M: extra range-spectrum bins for the spectral shift
    critical_baseline_m: float
    geometric: bool
    tau_days: float
    bin_days: int
    window: int  # J: bins in the exponential moving average
    gamma_inf: np.ndarray  # float32 long-term coherence per pixel (0 on water)
    water: np.ndarray  # bool
    common: np.ndarray  # complex64 (rows, N + M) range spectrum of c

    def time_bin(self, day: date) -> int:
        """Index of the time bin of ``day`` (bins of ``bin_days`` from the deformation epoch)."""
        return (day - DEFORMATION_EPOCH).days // self.bin_days

    def spectral_shift(self, bperp_m: float) -> int:
        """First range-spectrum bin seen by a date of perpendicular baseline ``bperp_m``."""
        if self.noise_free or not self.geometric:
            return self.margin // 2
        s = self.margin // 2 + int(round(self.n_range * bperp_m / self.critical_baseline_m))
        return int(np.clip(s, 0, self.margin))

    def _window(self, spectrum: np.ndarray, shift: int) -> np.ndarray:
        n = self.n_range
        folded = np.concatenate([spectrum[:, n : n + shift], spectrum[:, shift:n]], axis=1)
        return np.fft.ifft(folded, axis=1, norm="ortho").astype(np.complex64)

    def date_field(self, day: date, bperp_m: float) -> np.ndarray:
        """The unit-power complex scattering field ``f_i`` of ``day`` (complex64); see the module doc."""
        shift = self.spectral_shift(bperp_m)
        ground = self._window(self.common, shift)
        if self.noise_free:
            return ground
        k = self.time_bin(day)
        h = np.exp(-np.arange(self.window) * self.bin_days / self.tau_days)
        h /= np.sqrt(np.sum(h**2))
        acc = np.zeros_like(self.common)
        for j in range(self.window):
            z = _complex_normal(rng_for(*self.key, "temporal", self.bin_days, k - j), self.common.shape)
            acc += np.complex64(h[j]) * z
        temporal = self._window(acc, shift)
        a = np.sqrt(self.gamma_inf)
        b = np.sqrt(1.0 - self.gamma_inf) * ~self.water
        field = a * ground + b * temporal
        if self.water.any():
            e = _complex_normal(rng_for(*self.key, "water", day.isoformat()), self.gamma_inf.shape)
            field = np.where(self.water, e, field)
        return field.astype(np.complex64)

    def info(self, day: date, bperp_m: float) -> dict[str, object]:
        """JSON-ready record of a date's decorrelation state (met.json ``sarlake:decorrelation``)."""
        return {"time_bin": self.time_bin(day), "bin_days": self.bin_days, "window_bins": self.window,
                "tau_days": self.tau_days, "spectral_shift_bins": self.spectral_shift(bperp_m),
                "range_bins": self.n_range, "critical_baseline_m": round(self.critical_baseline_m, 3),
                "noise_free": self.noise_free}


def frame_decorrelation(
    p: SimulateParameters, grid: RadarGrid, dem: np.ndarray, key: tuple[object, ...]
) -> FrameDecorrelation:
    """Build the frame's shared decorrelation state (deterministic in ``key`` and the parameters)."""
    n = p.noise
    rows, cols = grid.shape
    lam = p.wavelength
    bandwidth = BAND_DEFAULTS[p.band][1]
    rc = float(grid.slant_range()[cols // 2])
    bc = n.critical_baseline_m or critical_baseline(lam, rc, grid.incidence_deg, bandwidth)
    # spectrum margin: room for +-6 sigma of baseline, at least 2 bins
    margin = 2 * max(1, int(math.ceil(cols * 6.0 * p.baseline_sigma_m / bc)))
    margin = min(margin, 2 * cols)
    bin_days = BASE_BIN_DAYS * max(1, math.ceil(3.0 * n.tau_days / (BASE_BIN_DAYS * MAX_BINS)))
    window = max(1, math.ceil(3.0 * n.tau_days / bin_days))
    noise_free = n.coherence >= 1.0
    gamma = np.full(grid.shape, n.coherence, dtype=np.float32)
    water = np.zeros(grid.shape, dtype=bool)
    if n.landcover and not noise_free:
        water = dem <= 0.0
        veg_field = powerlaw_screen(grid.shape, grid.posting_m, 3.0, 3000.0, rng_for(*key, "vegetation"))
        land = ~water
        if land.any() and n.vegetation_fraction > 0:
            thr = np.quantile(veg_field[land], 1.0 - n.vegetation_fraction)
            gamma[land & (veg_field >= thr)] = n.vegetation_coherence
        gamma[water] = 0.0
    common = _complex_normal(rng_for(*key, "scene"), (rows, cols + margin))
    return FrameDecorrelation(key=key, noise_free=noise_free, n_range=cols, margin=margin, critical_baseline_m=bc,
                              geometric=n.geometric, tau_days=n.tau_days, bin_days=bin_days, window=window,
                              gamma_inf=gamma, water=water, common=common)


def expected_coherence(fd: FrameDecorrelation, day_i: date, bperp_i: float, day_j: date, bperp_j: float) -> np.ndarray:
    """Expected coherence map (float32) of the pair of dates ``i``, ``j`` (before any artefact)."""
    if fd.noise_free:
        return np.ones(fd.gamma_inf.shape, dtype=np.float32)
    geo = 1.0 - abs(fd.spectral_shift(bperp_i) - fd.spectral_shift(bperp_j)) / fd.n_range
    rho = float(temporal_rho(fd.time_bin(day_i) - fd.time_bin(day_j), fd.tau_days, fd.bin_days, fd.window))
    if day_i == day_j:
        rho = 1.0
    g = fd.gamma_inf.astype(np.float64)
    out = geo * (g + (1.0 - g) * rho)
    out[fd.water] = 0.0 if day_i != day_j else 1.0
    return out.astype(np.float32)
