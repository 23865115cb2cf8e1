"""Fixed-size images of a product for the image models: an 8-bit RGB browse and a masked phase tile.

Both are resampled (nearest pixel) to a fixed size, so products of any size give the same input shape.

* :func:`browse_rgb` (``uint8``, 32x32x3): red = unwrapped phase stretched between its 2nd and 98th
  percentiles, green = coherence (255 when unknown), blue = the unwrapped phase re-wrapped (fringes); black
  where there is no data. What a scientist sees in a browse, at thumbnail size.
* :func:`phase_tile` (``float16``, 64x64x2): channel 0 = unwrapped phase minus its median, in units of
  2 cycles, clipped to +-4; channel 1 = coherence (1 when unknown); both 0 where there is no data (the mask).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["BROWSE_SIZE", "TILE_SIZE", "browse_rgb", "phase_tile", "resample"]

BROWSE_SIZE = 32
TILE_SIZE = 64

def resample(a: np.ndarray, size: int) -> np.ndarray:
    """``a`` at ``size`` x ``size`` pixels (the nearest pixel), as both images sample a product."""
    rows = np.linspace(0, a.shape[0] - 1, size).round().astype(int)
    cols = np.linspace(0, a.shape[1] - 1, size).round().astype(int)
    return a[np.ix_(rows, cols)]


def browse_rgb(unw: np.ndarray, coherence: np.ndarray | None = None, size: int = BROWSE_SIZE) -> np.ndarray:
    """8-bit RGB thumbnail of an unwrapped product (see the module docstring)."""
    phi = resample(np.asarray(unw, dtype=np.float32), size)
    valid = np.isfinite(phi)
    out = np.zeros((size, size, 3), dtype=np.uint8)
    if not valid.any():
        return out
    lo, hi = np.percentile(phi[valid], [2, 98])
    red = np.clip((phi - lo) / max(hi - lo, 1e-6), 0, 1)
    if coherence is not None:
        green = np.clip(np.nan_to_num(resample(np.asarray(coherence, dtype=np.float32), size)), 0, 1)
    else:
        green = np.ones_like(phi)
    blue = ((phi + np.pi) % math.tau) / math.tau
    rgb = np.stack([red, green, blue], axis=-1)
    out[valid] = (np.nan_to_num(rgb[valid]) * 255).round().astype(np.uint8)
    return out


def phase_tile(unw: np.ndarray, coherence: np.ndarray | None = None, size: int = TILE_SIZE) -> np.ndarray:
    """Masked phase tile for the ConvNet (see the module docstring)."""
    phi = resample(np.asarray(unw, dtype=np.float32), size)
    valid = np.isfinite(phi)
    tile = np.zeros((size, size, 2), dtype=np.float16)
    if not valid.any():
        return tile
    ch0 = np.clip((phi - np.median(phi[valid])) / (2 * math.tau), -4, 4)
    if coherence is not None:
        ch1 = np.clip(np.nan_to_num(resample(np.asarray(coherence, dtype=np.float32), size)), 0, 1)
    else:
        ch1 = np.ones_like(phi)
    tile[..., 0] = np.where(valid, ch0, 0)
    tile[..., 1] = np.where(valid, ch1, 0)
    return tile
