"""Reference point of an unwrapped interferogram, and conversion of phase to LOS displacement.

LOS displacement (mm) ``d = -lambda / (4 pi) * phi * 1000``: positive = motion towards the satellite
(range shortening, e.g. uplift), for interferograms ``ref * conj(sec)`` of SLCs with phase
``+4 pi r / lambda`` (ARIA's GUNW sign).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter

from pges.errors import InputValidationError

__all__ = ["apply_reference", "find_reference_coherence", "find_reference_latlon", "phase_to_los_mm"]


def find_reference_coherence(coherence: np.ndarray, valid: np.ndarray, window: int) -> tuple[int, int]:
    """``(row, col)`` at the centre of the ``window x window`` area of highest mean coherence within ``valid``."""
    c = np.where(valid, np.nan_to_num(coherence), 0.0).astype(np.float64)
    score = uniform_filter(c, size=window, mode="constant")
    frac = uniform_filter(valid.astype(np.float64), size=window, mode="constant")
    score = np.where(frac > 0.999, score, -1.0)
    if score.max() < 0:  # no full window is valid: fall back to the best single pixel
        score = np.where(valid, c, -1.0)
    r, col = np.unravel_index(int(np.argmax(score)), score.shape)
    return int(r), int(col)


def find_reference_latlon(lat: np.ndarray, lon: np.ndarray, ref_lat: float, ref_lon: float) -> tuple[int, int]:
    """``(row, col)`` of the radar pixel nearest to (``ref_lat``, ``ref_lon``).

    Raises:
        InputValidationError: the point is outside the interferogram.
    """
    if not (np.nanmin(lat) <= ref_lat <= np.nanmax(lat) and np.nanmin(lon) <= ref_lon <= np.nanmax(lon)):
        raise InputValidationError(f"reference point ({ref_lat}, {ref_lon}) is outside the interferogram")
    coslat = np.cos(np.deg2rad(ref_lat))
    d2 = (lat - ref_lat) ** 2 + ((lon - ref_lon) * coslat) ** 2
    r, c = np.unravel_index(int(np.nanargmin(d2)), d2.shape)
    return int(r), int(c)


def apply_reference(unw: np.ndarray, valid: np.ndarray, rc: tuple[int, int], window: int) -> tuple[np.ndarray, float]:
    """Subtract the mean unwrapped phase of the valid pixels in the window around ``rc``; return it too."""
    h = window // 2
    r, c = rc
    patch = unw[max(r - h, 0) : r + h + 1, max(c - h, 0) : c + h + 1]
    ok = valid[max(r - h, 0) : r + h + 1, max(c - h, 0) : c + h + 1]
    value = float(np.mean(patch[ok])) if ok.any() else float(unw[r, c])
    return (unw - value).astype(np.float32), value


def phase_to_los_mm(phase: np.ndarray, wavelength_m: float) -> np.ndarray:
    """LOS displacement in mm (positive towards the satellite) from unwrapped phase in radians."""
    return (-wavelength_m / (4.0 * np.pi) * 1000.0 * phase).astype(np.float32)
