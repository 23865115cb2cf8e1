"""The truth of a simulated product's unwrapping: its whole-cycle error map, severity and UWE class.

The unwrapped phase is compared with the simulator's true pair phase (``phase_rad(ref) - phase_rad(sec)``,
multilooked as the product is), so errors the unwrapper makes by itself count as well as injected ones. Only
pixels whose data carry the phase are judged: an unwrapper's cycle slips in noise are not errors (the data there
holds no phase to get right). Which pixels are noise is read from :func:`pair_coherence`, the coherence the
simulator gave the pair; not from the product's own 4-look estimate, which reads about 0.46 on pure noise (its
bias, ``Gamma(N) Gamma(3/2) / Gamma(N + 1/2)`` for ``N`` looks: Touzi et al. 1999) and so would judge most
decorrelated pixels as coherent, nor from any estimate: a class starts at 0.5 % of the pixels a cycle off, so the
few pixels an estimate misjudges decide classes.

Reference: Touzi, R. et al. (1999), Coherence estimation for SAR imagery, IEEE TGRS 37(1), 135-149.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import numpy as np

__all__ = ["CORRUPTIONS", "JUDGED_COHERENCE", "TRUTH_RULE", "TRUTH_RULE_BEFORE", "UWE_SEVERITY", "corrupted_pixels",
           "error_cycles", "error_map", "error_tile", "linked_error_cycles", "multilook_phase",
           "observable_error_cycles", "pair_coherence", "uwe_class"]

#: UWE intensity from the severity ``E``: mean absolute unwrapping error, cycles per coherent pixel
#: (area share in error weighted by the cycle count). Class k when E >= UWE_SEVERITY[k-1].
UWE_SEVERITY = (0.005, 0.035, 0.09)

#: pixels of at least this :func:`pair_coherence` are judged (below it the phase is mostly noise)
JUDGED_COHERENCE = 0.25

#: the rule that picks the judged pixels, recorded by every labelled set (``sarlake:truth_rule`` in its met.json)
#: and training run (``dataset.truth_rule``): the coherence the simulator gave the pair
TRUTH_RULE = "pair-coherence"
#: the rule of sets made before the record (commit 3868135): the product's own 2 x 2-look coherence >= 0.25, which
#: counts cycle slips in noise as errors (docs/qa.md, "Cycle slips in noise are not errors")
TRUTH_RULE_BEFORE = "product-coherence"

#: artefacts that corrupt the data (the data departs from the true phase inside their mask by design)
CORRUPTIONS = ("PML", "PMR", "PCE", "RFI", "COH")


def uwe_class(error_cycles: np.ndarray) -> tuple[int, float, float]:
    """Intensity 0-3 of an unwrapping-error map, the share of pixels in error and the severity.

    The severity ``E = mean |error cycles|`` over the coherent pixels is what a product's user loses: the
    share of the area that is wrong, weighted by how wrong (a 3-cycle error is 3 times as bad as a 1-cycle
    one over the same area). The intensity cuts it at :data:`UWE_SEVERITY`: UWE_0 under 0.5 % of a cycle per
    pixel (a few stray pixels), UWE_1 under 3.5 % (a small 1-cycle patch, ~2 % of the area), UWE_2 under 9 %
    (a 1-cycle error over up to 9 % of the area, or 2 cycles over up to 4.5 %), UWE_3 above.

    Args:
        error_cycles: integer cycle errors on the coherent valid pixels (1-D).

    Returns:
        ``(class, fraction, severity)``.
    """
    if error_cycles.size == 0:
        return 0, 0.0, 0.0
    a = np.abs(error_cycles)
    frac, sev = float((a != 0).mean()), float(a.mean())
    return int(np.searchsorted(UWE_SEVERITY, sev, side="right")), frac, sev


def multilook_phase(phase: np.ndarray, looks: int) -> np.ndarray:
    """Phase of the complex ``looks x looks`` mean of ``exp(j phase)``, unwrapped around the mean phase.

    This is what an error-free unwrapping of the multilooked interferogram gives, even where the phase
    varies within a window.
    """
    r, c = (phase.shape[0] // looks) * looks, (phase.shape[1] // looks) * looks
    blocks = phase[:r, :c].reshape(r // looks, looks, c // looks, looks)
    mean = blocks.mean(axis=(1, 3))
    dev = np.exp(1j * (blocks - mean[:, None, :, None])).mean(axis=(1, 3))
    return mean + np.angle(dev)


def pair_coherence(decorrelation: Any, ref: Any, sec: Any, ref_day: date, sec_day: date, looks: int = 2) -> np.ndarray:
    """The pair's coherence on the product's grid, as the simulator made it (not estimated from the data).

    ``pges.simulate.decorrelation.expected_coherence`` of the two dates (temporal, baseline, land cover, water), 0
    where either date's scattering was replaced with independent speckle (``Scene.decorrelated``: UWE's moat),
    averaged over each ``looks x looks`` product pixel.

    Args:
        decorrelation: the frame's ``FrameDecorrelation`` (``FrameScene.decorrelation``).
        ref: the reference date's ``Scene``.
        sec: the secondary date's ``Scene``.
        ref_day: the reference date.
        sec_day: the secondary date.
        looks: looks a side of the product's pixels.
    """
    from pges.interferogram.geocode import multilook_mean
    from pges.simulate.decorrelation import expected_coherence

    g = expected_coherence(decorrelation, ref_day, ref.perpendicular_baseline_m, sec_day,
                           sec.perpendicular_baseline_m).astype(np.float64)
    for scene in (ref, sec):
        if scene.decorrelated is not None:
            g[scene.decorrelated] = 0.0
    return multilook_mean(g, looks, looks)


def corrupted_pixels(ref: Any, sec: Any, shape: tuple[int, int]) -> np.ndarray:
    """Pixels of the (2x2 multilooked) product inside a corruption mask of either date."""
    out = np.zeros(shape, dtype=bool)
    for scene in (ref, sec):
        for t in CORRUPTIONS:
            mask = scene.artefacts.get(t, (None, 0))[0]
            if mask is not None and mask.any():
                r, c = shape
                out |= mask[: 2 * r, : 2 * c].reshape(r, 2, c, 2).any(axis=(1, 3))
    return out


def error_map(unw: np.ndarray, true: np.ndarray, coherence: np.ndarray, corrupted: np.ndarray) -> np.ndarray:
    """Whole-cycle unwrapping errors as a map: cycles on the coherent, uncorrupted pixels, NaN elsewhere.

    ``coherence`` says which pixels carry phase (:func:`pair_coherence` for a simulated pair).

    Each region of valid pixels that no valid pixel connects to another (a band of missing lines cuts a
    product in two) is referenced on its own: the offset between such regions is unknowable from the data
    and not an unwrapping error. Pixels inside a corruption mask (misregistered burst, RFI, edge noise) are
    not judged: there the data itself departs from the truth, correctly unwrapped or not.
    """
    judged = judged_pixels(unw, coherence, corrupted)
    return cycles_by_region(unw, true, judged, regions_of=np.isfinite(unw))


def error_cycles(unw: np.ndarray, true: np.ndarray, coherence: np.ndarray, corrupted: np.ndarray) -> np.ndarray:
    """The judged pixels' whole-cycle errors of :func:`error_map` (1-D): what :func:`uwe_class` takes."""
    m = error_map(unw, true, coherence, corrupted)
    return m[np.isfinite(m)]


def observable_error_cycles(unw: np.ndarray, true: np.ndarray, coherence: np.ndarray,
                            corrupted: np.ndarray) -> np.ndarray:
    """Whole-cycle errors that the product can show: each *coherent* connected region referenced on its own.

    :func:`error_map` references each region of valid pixels on its own, so an island cut off by a
    decorrelated moat (coherence < 0.25) or by a corrupted band counts as wrong when its cycle offset is. That
    offset is not in the data: the wrapped phase is the same for every offset. Here the regions are those of
    the judged pixels (coherent, uncorrupted), so only errors inside one coherent region, where the unwrapper
    broke a field that the data connects, are counted. The difference is what no product-only method can see.
    """
    judged = judged_pixels(unw, coherence, corrupted)
    m = cycles_by_region(unw, true, judged, regions_of=judged)
    return m[np.isfinite(m)]


def linked_error_cycles(unw: np.ndarray, true: np.ndarray, coherence: np.ndarray,
                        corrupted: np.ndarray) -> np.ndarray:
    """Whole-cycle errors with each region that pixels carrying *some* phase link referenced on its own (1-D).

    Between :func:`error_map` (only missing pixels part regions) and :func:`observable_error_cycles` (every pixel
    under the judged coherence parts them): a pixel of coherence 0 (its scattering replaced with independent
    speckle, water) carries no phase, as a missing one carries none, so an island behind a moat of such pixels is
    referenced on its own, while a band of low but nonzero coherence still links its sides. A reading recorded
    beside the truth (``uwe_linked``), not the truth: docs/qa.md, "The linked truth (trial, not adopted)".
    """
    judged = judged_pixels(unw, coherence, corrupted)
    m = cycles_by_region(unw, true, judged, regions_of=np.isfinite(unw) & (coherence > 0))
    return m[np.isfinite(m)]


def judged_pixels(unw: np.ndarray, coherence: np.ndarray, corrupted: np.ndarray) -> np.ndarray:
    """The pixels whose unwrapping is judged: valid, coherent (errors in noise are not errors), uncorrupted."""
    return np.isfinite(unw) & (coherence >= JUDGED_COHERENCE) & ~corrupted


def cycles_by_region(unw: np.ndarray, true: np.ndarray, judged: np.ndarray, regions_of: np.ndarray) -> np.ndarray:
    """Map of whole cycles of ``unw - true`` on the judged pixels (NaN elsewhere), by region of ``regions_of``.

    Each region is referenced to its own median; regions with fewer than 10 judged pixels are left out (NaN).
    """
    from scipy import ndimage

    regions, n = ndimage.label(regions_of)
    out = np.full(unw.shape, np.nan)
    for k in range(1, n + 1):
        sel = judged & (regions == k)
        if sel.sum() < 10:
            continue
        diff = (unw - true)[sel]
        out[sel] = np.round((diff - np.median(diff)) / math.tau)
    return out


def error_tile(cycles: np.ndarray) -> np.ndarray:
    """An :func:`error_map` resampled like the phase tile (``pges.qa.images``): |cycles| as int8, -1 not judged."""
    from pges.qa.images import TILE_SIZE, resample

    m = resample(cycles, TILE_SIZE)
    return np.where(np.isfinite(m), np.clip(np.abs(np.nan_to_num(m)), 0, 100), -1).astype(np.int8)
