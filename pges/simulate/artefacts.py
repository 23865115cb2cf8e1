"""Artefacts of the 11 ARIA QA tag types, injected into one date at an intensity 0 (none) to 3 (severe).

Every injector has the signature ``f(phase, slc, amplitude, intensity, rng, ctx) -> (phase, slc, mask)``:
``phase`` the date's true phase (rad, float64), ``slc`` its complex SLC (consistent with ``phase``),
``amplitude`` ``sqrt(sigma0)`` (float), ``rng`` a generator seeded from (frame, date, type), ``ctx`` the
grid and DEM. It returns new arrays and a boolean mask of where the artefact changed the data. Intensity
0 returns the inputs unchanged and an empty mask.

Two families, and what the truth says about them:

* Geophysical signals that are really in the data (their phase is added to ``phase`` and thus to the
  saved ``truth/phase_rad.tif``; the mask is where they move the phase by more than a quarter fringe,
  pi/2). Their size is set in fringes (cycles), so an intensity looks the same at C- and L-band:
  TNS (stratified troposphere, ``k`` cycles across the frame's relief), TNT (turbulent troposphere,
  std ``0.3 k`` cycles, spectrum tapered below 500 m), ION (an ionospheric streak, ``1.5 k`` cycles, a
  Gaussian band across the frame), ORB (an orbital ramp of ``2 k`` cycles across the frame), DME (a
  DEM-error patch of ``k`` cycles, as a DEM error appears in a long-baseline pair).
* Corruptions that leave the true phase alone (the data departs from the truth inside the mask):
  PML (``k`` blocks of 2 % of the azimuth lines zeroed), PMR (one burst, a ninth of the azimuth lines,
  misregistered by ``0.15 k`` pixels in azimuth with a burst phase ramp of ``k pi`` end to end, the TOPS
  signature of azimuth misregistration), PCE (decorrelating noise over ``4 k`` % of the range samples at
  each edge, noise power fraction ``min(0.3 k, 0.9)``), RFI (``4 k`` azimuth lines carrying a range
  sinusoid ``(1 + k)`` times the mean amplitude), COH (an elliptic region with noise power fraction
  0.5/0.8/1.0).
* UWE is made of both: an island whose *true* phase is offset by exactly ``k`` cycles (invisible in the
  wrapped SLC, added to ``truth/phase_rad.tif``) cut off by a fully decorrelated moat 6 pixels wide, so
  no unwrapper can connect the island with the right cycle count: any unwrapped interferogram of a pair
  with this date is off by ``k`` cycles on the island. The mask is island and moat.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pges.simulate.screens import plane, powerlaw_screen

__all__ = ["INJECTORS", "PHASE_TYPES", "ArtefactContext", "inject"]

QUARTER_FRINGE = np.pi / 2

@dataclass
class ArtefactContext:
    """Geometry an injector may need."""

    shape: tuple[int, int]
    posting_m: float
    dem: np.ndarray
    #: pixels an injector replaced entirely with independent speckle (no coherence with any other date), set by
    #: :func:`_blend`; None while there is none
    decorrelated: np.ndarray | None = None


def _noise(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2.0)


def _add_phase(phase, slc, dphi):
    mask = np.abs(dphi) > QUARTER_FRINGE
    return phase + dphi, (slc * np.exp(1j * dphi)).astype(slc.dtype), mask


def _sign(rng: np.random.Generator) -> float:
    return 1.0 if rng.random() < 0.5 else -1.0


def _ij(shape):
    r, c = shape
    return np.arange(r)[:, None].astype(np.float64), np.arange(c)[None, :].astype(np.float64)


# ------------------------------------------------------------------------------------- geophysical


def tns(phase, slc, amplitude, k, rng, ctx):
    """Stratified troposphere much stronger than usual: ``+-k`` cycles across the frame's relief."""
    h = ctx.dem.astype(np.float64)
    lo, mid, hi = np.percentile(h, [1, 50, 99])
    dphi = _sign(rng) * math.tau * k * (h - mid) / max(hi - lo, 100.0)
    return _add_phase(phase, slc, dphi)


def tnt(phase, slc, amplitude, k, rng, ctx):
    """Strong turbulent troposphere: a beta = 8/3 screen (inner scale 500 m) of std ``0.3 k`` cycles."""
    dphi = math.tau * 0.3 * k * powerlaw_screen(ctx.shape, ctx.posting_m, 8.0 / 3.0, 20_000.0, rng, inner_scale_m=500.0)
    return _add_phase(phase, slc, dphi)


def ion(phase, slc, amplitude, k, rng, ctx):
    """Ionospheric streak: a Gaussian band of ``1.5 k`` cycles along a random line, width a sixth of the frame."""
    i, j = _ij(ctx.shape)
    r, c = ctx.shape
    ang = rng.uniform(0, np.pi)
    r0, c0 = rng.uniform(0.3, 0.7) * r, rng.uniform(0.3, 0.7) * c
    dist = (i - r0) * np.cos(ang) - (j - c0) * np.sin(ang)
    width = max(r, c) / 6.0
    dphi = _sign(rng) * math.tau * 1.5 * k * np.exp(-0.5 * (dist / width) ** 2)
    return _add_phase(phase, slc, dphi)


def orb(phase, slc, amplitude, k, rng, ctx):
    """Orbital ramp: a plane of ``2 k`` cycles across the frame diagonal, in a random direction."""
    r, c = ctx.shape
    ang = rng.uniform(0, 2 * np.pi)
    diag = np.hypot(r, c) * ctx.posting_m
    g = math.tau * 2.0 * k / diag
    dphi = plane(ctx.shape, ctx.posting_m, g * np.cos(ang), g * np.sin(ang))
    return _add_phase(phase, slc, dphi)


def dme(phase, slc, amplitude, k, rng, ctx):
    """DEM-error patch: a Gaussian dome of ``k`` cycles, radius (1 sigma) a tenth of the frame."""
    i, j = _ij(ctx.shape)
    r, c = ctx.shape
    r0, c0 = rng.uniform(0.2, 0.8) * r, rng.uniform(0.2, 0.8) * c
    s = min(r, c) / 10.0
    dphi = _sign(rng) * math.tau * k * np.exp(-((i - r0) ** 2 + (j - c0) ** 2) / (2 * s**2))
    return _add_phase(phase, slc, dphi)


# --------------------------------------------------------------------------------------- corruptions


def _blend(slc, amplitude, mask, w, rng, ctx):
    """Replace a fraction ``w`` of the power inside ``mask`` with independent speckle (coherence x sqrt(1-w)).

    Where ``w`` is 1 nothing of the date's scattering is left: the pixels join ``ctx.decorrelated``.
    """
    if w >= 1.0:
        ctx.decorrelated = mask.copy() if ctx.decorrelated is None else ctx.decorrelated | mask
    e = amplitude * _noise(rng, slc.shape)
    out = np.where(mask, np.sqrt(1.0 - w) * slc + np.sqrt(w) * e, slc)
    return out.astype(slc.dtype)


def pml(phase, slc, amplitude, k, rng, ctx):
    """Missing lines: ``k`` blocks, each 2 % of the azimuth lines, zeroed."""
    r, _ = ctx.shape
    n = max(1, int(round(0.02 * r)))
    rows = np.zeros(r, dtype=bool)
    for _ in range(k):
        start = int(rng.integers(0, r - n))
        rows[start : start + n] = True
    mask = np.broadcast_to(rows[:, None], ctx.shape).copy()
    return phase, np.where(mask, 0, slc).astype(slc.dtype), mask


def pmr(phase, slc, amplitude, k, rng, ctx):
    """Misregistration of one burst: azimuth shift ``0.15 k`` px (Fourier) and a ``k pi`` burst phase ramp."""
    r, c = ctx.shape
    nb = 9
    b = int(rng.integers(0, nb))
    r0, r1 = b * r // nb, (b + 1) * r // nb
    shift = 0.15 * k
    f = np.fft.fftfreq(r)[:, None]
    shifted = np.fft.ifft(np.fft.fft(slc, axis=0) * np.exp(-2j * np.pi * f * shift), axis=0)
    t = (np.arange(r1 - r0) / max(r1 - r0 - 1, 1) - 0.5)[:, None]
    out = slc.copy()
    out[r0:r1] = (shifted[r0:r1] * np.exp(1j * np.pi * k * t)).astype(slc.dtype)
    mask = np.zeros(ctx.shape, dtype=bool)
    mask[r0:r1] = True
    return phase, out, mask


def pce(phase, slc, amplitude, k, rng, ctx):
    """Chirp-extension noise at both range edges: ``4 k`` % of the columns each, noise fraction ``0.3 k``."""
    _, c = ctx.shape
    n = max(1, int(round(0.04 * k * c)))
    cols = np.zeros(c, dtype=bool)
    cols[:n] = cols[-n:] = True
    mask = np.broadcast_to(cols[None, :], ctx.shape).copy()
    return phase, _blend(slc, amplitude, mask, min(0.3 * k, 0.9), rng, ctx), mask


def rfi(phase, slc, amplitude, k, rng, ctx):
    """Radio-frequency interference: ``4 k`` azimuth lines carry a strong range sinusoid (stripes)."""
    r, c = ctx.shape
    rows = rng.choice(r, size=min(4 * k, r), replace=False)
    mask = np.zeros(ctx.shape, dtype=bool)
    mask[rows] = True
    a = (1.0 + k) * float(np.mean(amplitude))
    j = np.arange(c)[None, :]
    freq = rng.uniform(0.05, 0.45, size=(len(rows), 1))
    psi = rng.uniform(0, 2 * np.pi, size=(len(rows), 1))
    out = slc.copy()
    out[rows] = (slc[rows] + a * np.exp(1j * (math.tau * freq * j + psi))).astype(slc.dtype)
    return phase, out, mask


def coh(phase, slc, amplitude, k, rng, ctx):
    """Low coherence region: an ellipse (semi-axes 10-20 % of the frame) with noise fraction 0.5/0.8/1.0."""
    i, j = _ij(ctx.shape)
    r, c = ctx.shape
    r0, c0 = rng.uniform(0.25, 0.75) * r, rng.uniform(0.25, 0.75) * c
    a, b = rng.uniform(0.1, 0.2) * r, rng.uniform(0.1, 0.2) * c
    mask = ((i - r0) / a) ** 2 + ((j - c0) / b) ** 2 <= 1.0
    return phase, _blend(slc, amplitude, mask, (0.0, 0.5, 0.8, 1.0)[k], rng, ctx), mask


def uwe(phase, slc, amplitude, k, rng, ctx):
    """Unwrapping-error island: true phase ``+k`` cycles inside, cut off by a decorrelated 6-pixel moat."""
    i, j = _ij(ctx.shape)
    r, c = ctx.shape
    rad = (0.06 + 0.02 * k) * min(r, c)
    r0, c0 = rng.uniform(rad + 8, r - rad - 8), rng.uniform(rad + 8, c - rad - 8)
    d = np.hypot(i - r0, j - c0)
    island = d <= rad
    moat = (d > rad) & (d <= rad + 6)
    out = _blend(slc, amplitude, moat, 1.0, rng, ctx)
    return phase + math.tau * k * island, out, island | moat


Injector = Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray]]
INJECTORS: dict[str, Injector] = {"UWE": uwe, "TNS": tns, "TNT": tnt, "ION": ion, "ORB": orb, "DME": dme,
                                  "PML": pml, "PMR": pmr, "PCE": pce, "RFI": rfi, "COH": coh}
#: types whose phase is part of the truth (added to phase_rad); the others only corrupt the data
PHASE_TYPES = ("TNS", "TNT", "ION", "ORB", "DME", "UWE")
# geophysical signals first, UWE's moat and the data corruptions after them, missing lines last
ORDER = ("TNS", "TNT", "ION", "ORB", "DME", "UWE", "COH", "PMR", "PCE", "RFI", "PML")


def inject(
    kind: str, phase: np.ndarray, slc: np.ndarray, amplitude: np.ndarray, intensity: int,
    rng: np.random.Generator, ctx: ArtefactContext,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Apply the injector of ``kind`` at ``intensity`` (0 = no-op with an empty mask)."""
    if intensity <= 0:
        return phase, slc, np.zeros(ctx.shape, dtype=bool)
    return INJECTORS[kind](phase, slc, amplitude, int(intensity), rng, ctx)
