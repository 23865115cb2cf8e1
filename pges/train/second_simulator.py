"""A second simulator of interferograms, independent of ``pges.simulate``, to check that QA models generalise.

Issue 8 asks that a model trained on one simulator's products still work on products made by another, so that
no feature or model rests on the quirks of its own simulator. The labelled set (:mod:`pges.train.dataset`)
comes from ``pges.simulate``: a scene model of dated SLCs, a hidden island whose radius is tied to its cycle
count inside a circular moat, and unwrapper failures pasted onto the product afterwards
(:mod:`pges.train.unwrap_failures`). Here every choice is made otherwise, and no error is pasted in:

- **SLC pairs** drawn directly as correlated circular Gaussian speckle at a coherence map (no scene model, no
  dates, no viewing geometry), on grids of 96-256 pixels a side.
- **Coherence**: land cover from a thresholded fractal field (water, fields, towns), low-coherence lines
  (rivers, roads) as random walks, and rings of irregular shape (a star-shaped curve, not a circle).
- **True phase**: an interseismic fault (arctan profile, often with a decorrelated fault zone), a creeping
  fault segment (a step that ends inside the frame), an elliptical subsidence bowl (Lorentzian), a block inside
  a ring displaced by a non-whole number of cycles (island area and offset drawn independently), a power-law
  turbulent screen, a stratified delay over a fractal relief and a quadratic orbital ramp.
- **Errors arise from the unwrapper** (SNAPHU or the quality-guided one, run by the interferogram PGE's own
  steps): where a ring or a fault zone hides a step, where the phase aliases, where a fault tip leaves
  residues. The truth is then measured as for the labelled set (:func:`pges.train.truth.uwe_class` over
  whole-cycle errors of the coherent pixels, each region of valid pixels referenced on its own).

Only the *definition* of the classes is shared with the labelled set; a model that learned the first
simulator's shapes and sizes finds none of them here. ``scripts/qa_second_simulator.py`` scores these
products with a registered model; docs/qa.md holds the result.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
from scipy import ndimage

from pges.qa.score import ProductInputs

__all__ = ["fractal", "simulate_product", "speckle_pair", "star_ring"]

logger = logging.getLogger(__name__)

def fractal(shape: tuple[int, int], beta: float, rng: np.random.Generator) -> np.ndarray:
    """A zero-mean, unit-std random field with a power spectrum ``k**-beta`` (isotropic, periodic)."""
    ky = np.fft.fftfreq(shape[0])[:, None]
    kx = np.fft.rfftfreq(shape[1])[None, :]
    k = np.hypot(ky, kx)
    k[0, 0] = np.inf
    spec = k ** (-beta / 2.0) * (rng.normal(size=k.shape) + 1j * rng.normal(size=k.shape))
    f = np.fft.irfft2(spec, s=shape)
    return (f - f.mean()) / f.std()


def star_ring(shape: tuple[int, int], centre: tuple[float, float], radius: float, width: float,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """An irregular closed curve r(theta) = radius (1 + sum of harmonics 2-5): its inside and a ring of ``width``.

    Returns ``(inside, ring)`` masks; the ring lies outside the inside mask, so ``inside`` is enclosed by it.
    """
    i, j = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float64)
    di, dj = i - centre[0], j - centre[1]
    theta = np.arctan2(di, dj)
    wobble = np.ones_like(theta)
    for m in range(2, 6):
        wobble += rng.uniform(0.0, 0.25 / m * 2) * np.cos(m * theta + rng.uniform(0, math.tau))
    r = np.hypot(di, dj) / (radius * np.clip(wobble, 0.4, None))  # 1 on the curve
    inside = r <= 1.0
    ring = ~inside & (np.hypot(di, dj) <= (radius * np.clip(wobble, 0.4, None)) + width)
    return inside, ring


def speckle_pair(amplitude: np.ndarray, coherence: np.ndarray, phase: np.ndarray,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Reference and secondary SLCs whose interferogram ``ref * conj(sec)`` has ``phase`` at ``coherence``.

    Circular Gaussian speckle: ``sec = a x``, ``ref = a (g x + sqrt(1 - g^2) y) exp(j phase)`` with ``x``, ``y``
    independent unit complex normals, so that ``E[ref conj(sec)] = a^2 g exp(j phase)``.
    """
    def cn() -> np.ndarray:
        return (rng.normal(size=phase.shape) + 1j * rng.normal(size=phase.shape)) / np.sqrt(2.0)

    x, y = cn(), cn()
    g = np.clip(coherence, 0.0, 1.0)
    sec = amplitude * x
    ref = amplitude * (g * x + np.sqrt(1.0 - g**2) * y) * np.exp(1j * phase)
    return ref.astype(np.complex64), sec.astype(np.complex64)


def _random_walk_line(shape: tuple[int, int], width: float, rng: np.random.Generator) -> np.ndarray:
    """A river or a road: a smooth random walk across the frame, ``width`` pixels wide."""
    r, c = shape
    n = 4 * max(r, c)
    start = np.array([rng.uniform(0, r), 0.0]) if rng.random() < 0.5 else np.array([0.0, rng.uniform(0, c)])
    heading = rng.uniform(0.2, 1.3) if start[1] == 0.0 else rng.uniform(-1.3, -0.2) + np.pi / 2
    turn = np.cumsum(rng.normal(0, 0.05, n))
    steps = np.stack([np.sin(heading + turn), np.cos(heading + turn)], axis=1) * 0.5
    path = start + np.cumsum(steps, axis=0)
    keep = (path[:, 0] >= 0) & (path[:, 0] < r) & (path[:, 1] >= 0) & (path[:, 1] < c)
    mask = np.zeros(shape, bool)
    mask[path[keep, 0].astype(int), path[keep, 1].astype(int)] = True
    return ndimage.distance_transform_edt(~mask) <= width / 2.0


def _scene(rng: np.random.Generator) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The SLC-grid layers of one scene (amplitude, coherence, true phase, relief) and its knobs."""
    r, c = (2 * int(rng.integers(48, 129)) for _ in range(2))
    shape = (r, c)
    i, j = np.mgrid[0:r, 0:c].astype(np.float64)
    size = float(min(r, c))
    k: dict[str, Any] = {"rows": r // 2, "cols": c // 2}
    # land cover: water (dark, incoherent), fields (temporal decorrelation), towns (bright, coherent)
    base = k["coherence"] = float(rng.uniform(0.35, 0.95))
    cover = fractal(shape, 3.0, rng)
    water, fields = float(rng.uniform(0, 0.15)), float(rng.uniform(0, 0.5))
    q_water, q_fields = np.quantile(cover, [water, water + fields])
    coh = np.full(shape, base)
    coh[cover < q_fields] = base * float(rng.uniform(0.2, 0.7))
    coh[cover > np.quantile(cover, 0.9)] = min(0.98, base + 0.2)
    coh[cover < q_water] = 0.03
    amp = np.exp(0.5 * fractal(shape, 2.0, rng))
    amp[cover < q_water] *= 0.05
    k.update(water=round(water, 3), fields=round(fields, 3))
    k["lines"] = int(rng.choice([0, 0, 1, 2, 3]))
    for _ in range(k["lines"]):
        coh[_random_walk_line(shape, float(rng.uniform(1, 5)), rng)] = float(rng.uniform(0.02, 0.15))
    # true phase, radians
    relief = fractal(shape, 4.0, rng)
    relief = (relief - relief.min()) * float(rng.uniform(50, 1500)) / max(np.ptp(relief), 1e-9)
    phase = float(rng.uniform(-0.004, 0.004)) * relief  # stratified troposphere
    phase += float(rng.uniform(0.3, 4.0)) * fractal(shape, float(rng.uniform(2.5, 3.7)), rng)  # turbulence
    ramp = float(rng.uniform(0, 6))
    a, b, q = rng.normal(size=3)
    orbit = a * i / r + b * j / c + q * (i / r) ** 2
    phase += ramp * orbit / max(np.ptp(orbit), 1e-9)
    k["block_cycles"] = k["fault_rad"] = k["creep_rad"] = k["bowl_rad"] = 0.0
    if rng.random() < 0.35:  # interseismic fault: arctan across a line, its trace often decorrelated
        ang, off = rng.uniform(0, np.pi), rng.uniform(-0.3, 0.3) * size
        x = (i - r / 2) * np.cos(ang) - (j - c / 2) * np.sin(ang) - off
        k["fault_rad"] = float(rng.uniform(3, 40) * rng.choice([-1, 1]))
        phase += k["fault_rad"] / np.pi * np.arctan(x / rng.uniform(1.5, 0.15 * size))
        if rng.random() < 0.6:
            coh[np.abs(x) < rng.uniform(1, 5)] = float(rng.uniform(0.03, 0.2))
    if rng.random() < 0.1:  # creeping fault segment: a step that ends inside the frame
        ang = rng.uniform(0, np.pi)
        ci, cj = rng.uniform(0.3, 0.7) * r, rng.uniform(0.3, 0.7) * c
        along = (i - ci) * np.sin(ang) + (j - cj) * np.cos(ang)
        across = (i - ci) * np.cos(ang) - (j - cj) * np.sin(ang)
        k["creep_rad"] = float(rng.uniform(2, 8) * rng.choice([-1, 1]))
        phase += np.where(along < 0, k["creep_rad"] / 2 * np.sign(across), 0.0)
    if rng.random() < 0.4:  # subsidence bowl (aquifer, mine): elliptical Lorentzian, may alias at its centre
        ci, cj = rng.uniform(0.2, 0.8) * r, rng.uniform(0.2, 0.8) * c
        ang, w = rng.uniform(0, np.pi), rng.uniform(0.03, 0.25) * size
        u = ((i - ci) * np.cos(ang) + (j - cj) * np.sin(ang)) / w
        v = (-(i - ci) * np.sin(ang) + (j - cj) * np.cos(ang)) / (w * rng.uniform(0.4, 1.0))
        k["bowl_rad"] = float(rng.uniform(-60, 60))
        phase += k["bowl_rad"] / (1.0 + u**2 + v**2) ** 1.5
    k["rings"] = int(rng.choice([0, 1, 1, 2]))
    hidden = np.zeros(shape, bool)
    for n in range(k["rings"]):  # a coherent block inside a decorrelated ring, displaced by a fraction of cycles
        rad = float(np.exp(rng.uniform(np.log(0.04), np.log(0.2)))) * size
        centre = (rng.uniform(rad, r - rad), rng.uniform(rad, c - rad))
        inside, ring = star_ring(shape, centre, rad, float(rng.uniform(2, 10)), rng)
        cycles = float(rng.uniform(-3.5, 3.5))
        dist = ndimage.distance_transform_edt(~inside)  # 0 inside, rising across the ring
        width = max(float(dist[ring].max()) if ring.any() else 1.0, 1.0)
        phase += math.tau * cycles * np.clip(1.0 - dist / width, 0.0, 1.0)
        coh[ring] = float(rng.uniform(0.02, 0.15))
        hidden |= inside
        if n == 0:
            k["block_cycles"] = round(cycles, 3)
    return {"amplitude": amp, "coherence": coh, "phase": phase, "relief": relief, "hidden": hidden}, k


def simulate_product(seed: int) -> tuple[ProductInputs, dict[str, Any]]:
    """Simulate, form, filter and unwrap one product of the second simulator, and measure its truth.

    Returns:
        The product's layers on the multilooked grid (unwrapped and wrapped phase, coherence, components, relief)
        and its truth: ``UWE`` and ``uwe_outside_rings`` (the class without the pixels inside rings), their
        severities, the unwrapper and the scene's knobs (``rows``, ``cols``, ``rings``, ...).
    """
    from pges.interferogram.config import InterferogramParameters
    from pges.interferogram.geocode import multilook_mean
    from pges.interferogram.pge import process_pair
    from pges.train.truth import error_cycles, multilook_phase, uwe_class

    rng = np.random.default_rng([seed, 4242])
    layers, knobs = _scene(rng)
    ref, sec = speckle_pair(layers["amplitude"], layers["coherence"], layers["phase"], rng)
    method = "snaphu" if rng.random() < 0.7 else "quality"
    ip = InterferogramParameters.model_validate({
        "looks_range": 2, "looks_azimuth": 2, "unwrap": {"method": method},
        "filter": {"strength": float(rng.uniform(0.2, 0.8))}, "verify_checksums": False,
    })
    arr = process_pair(ref, sec, ip, label=f"second-simulator product {seed}")
    true = multilook_phase(layers["phase"], 2)
    carries = multilook_mean(layers["coherence"], 2, 2)  # the coherence the pair was drawn at, on the product's grid
    clean = np.zeros(arr.unwrapped.shape, bool)  # no corrupted pixels: every coherent one is judged
    uwe, frac, sev = uwe_class(error_cycles(arr.unwrapped, true, carries, clean))
    r, c = arr.unwrapped.shape
    rings = np.asarray(layers["hidden"][: 2 * r, : 2 * c].reshape(r, 2, c, 2).any(axis=(1, 3)))
    outside, _, out_sev = uwe_class(error_cycles(arr.unwrapped, true, carries, rings))
    truth = {"UWE": uwe, "uwe_fraction": round(frac, 5), "uwe_severity": round(sev, 5),
             "uwe_outside_rings": outside, "uwe_outside_rings_severity": round(out_sev, 5), "unwrapper": method,
             **knobs}
    product = ProductInputs(
        f"SIM2-{seed:05d}", arr.unwrapped.astype(np.float32), arr.coherence.astype(np.float32),
        np.angle(arr.filtered).astype(np.float32), arr.conncomp,
        multilook_mean(layers["relief"], 2, 2).astype(np.float32),
    )
    return product, truth
