"""Browse image: wrapped fringes (hue) over amplitude (brightness) beside coherence (grey), as a PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["fringe_rgb", "write_browse"]


def _hsv_to_rgb(h: np.ndarray, v: np.ndarray) -> np.ndarray:
    """HSV with full saturation to RGB floats in [0, 1] (vectorised)."""
    h6 = (h % 1.0) * 6.0
    i = np.floor(h6).astype(int) % 6
    f = h6 - np.floor(h6)
    q, t, z = v * (1 - f), v * f, np.zeros_like(v)
    r = np.choose(i, [v, q, z, z, t, v])
    g = np.choose(i, [t, v, v, q, z, z])
    b = np.choose(i, [z, z, t, v, v, q])
    return np.stack([r, g, b], axis=-1)


def fringe_rgb(phase: np.ndarray, amplitude: np.ndarray) -> np.ndarray:
    """RGBA uint8: one colour cycle per 2 pi of wrapped phase, brightness from the amplitude."""
    valid = np.isfinite(phase) & np.isfinite(amplitude)
    amp = np.where(valid, amplitude, 0.0)
    lo, hi = (np.percentile(amp[valid], [2, 98]) if valid.any() else (0.0, 1.0))
    v = np.clip((amp - lo) / max(hi - lo, 1e-12), 0, 1) * 0.7 + 0.3
    rgb = _hsv_to_rgb((np.nan_to_num(phase) + np.pi) / (2 * np.pi), v)
    alpha = valid.astype(float)
    return (np.concatenate([rgb, alpha[..., None]], axis=-1) * 255).astype(np.uint8)


def write_browse(path: Path, phase: np.ndarray, amplitude: np.ndarray, coherence: np.ndarray, max_size: int) -> Path:
    """Write the browse PNG: fringes over amplitude (left), coherence 0..1 black to white (right)."""
    from PIL import Image

    left = fringe_rgb(phase, amplitude)
    valid = np.isfinite(coherence)
    grey = (np.clip(np.nan_to_num(coherence), 0, 1) * 255).astype(np.uint8)
    right = np.stack([grey, grey, grey, (valid * 255).astype(np.uint8)], axis=-1)
    gap = np.zeros((left.shape[0], max(4, left.shape[1] // 50), 4), np.uint8)
    img = Image.fromarray(np.concatenate([left, gap, right], axis=1), mode="RGBA")
    scale = max_size / max(left.shape[0], left.shape[1])
    if scale < 1:
        img = img.resize((int(img.width * scale), int(img.height * scale)), Image.Resampling.BILINEAR)
    img.save(path, optimize=True)
    return path
