"""Browse image: wrapped fringes (hue) over amplitude (brightness) beside coherence (grey), as a PNG.

Layout (white background, nodata light grey)::

    title (track, direction, dates, temporal baseline)
    [ fringes over amplitude ]  [ coherence ]
    [ hue bar -pi .. pi, mm/cycle ]  [ grey bar 0 .. 1 ]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["fringe_rgb", "write_browse"]

NODATA_RGB = (225, 225, 225)


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
    if hi - lo > 1e-12 * max(abs(hi), 1.0):
        v = np.clip((amp - lo) / (hi - lo), 0, 1) * 0.6 + 0.4
    else:  # flat amplitude: full brightness
        v = np.ones_like(amp, dtype=float)
    rgb = _hsv_to_rgb((np.nan_to_num(phase) + np.pi) / (2 * np.pi), v)
    alpha = valid.astype(float)
    return (np.concatenate([rgb, alpha[..., None]], axis=-1) * 255).astype(np.uint8)


def _panel(rgba: np.ndarray, size: tuple[int, int]):
    """An RGB PIL image of ``rgba`` scaled to ``size``, transparent pixels shown as light grey."""
    from PIL import Image

    img = Image.fromarray(rgba, mode="RGBA")
    if img.size != size:
        img = img.resize(size, Image.Resampling.BILINEAR)
    base = Image.new("RGB", size, NODATA_RGB)
    base.paste(img, (0, 0), img)
    return base


def write_browse(
    path: Path,
    phase: np.ndarray,
    amplitude: np.ndarray,
    coherence: np.ndarray,
    max_size: int,
    title: str = "",
    mm_per_cycle: float | None = None,
) -> Path:
    """Write the browse PNG: fringes over amplitude (left), coherence 0..1 (right), title and colour bars.

    Args:
        path: PNG to write.
        phase: wrapped phase (rad), geocoded; NaN = nodata.
        amplitude: amplitude on the same grid.
        coherence: coherence 0..1 on the same grid.
        max_size: largest side of each panel, pixels.
        title: one line above the panels (dates, track).
        mm_per_cycle: LOS displacement of one colour cycle, written under the phase bar.
    """
    from PIL import Image, ImageDraw, ImageFont

    rows, cols = phase.shape
    scale = max_size / max(rows, cols)  # small products are enlarged, so the labels stay legible
    pw, ph = max(1, round(cols * scale)), max(1, round(rows * scale))
    font_px = int(np.clip(max(pw, 200) / 28, 11, 18))
    font = ImageFont.load_default(size=font_px)
    small = ImageFont.load_default(size=max(10, font_px - 2))
    pad, gap, bar_h = font_px, font_px, max(8, font_px)
    label_h = font_px + 6
    title_h = font_px + 10
    width = 2 * pw + gap + 2 * pad
    height = title_h + label_h + ph + 6 + bar_h + 4 + 2 * label_h + pad // 2
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    draw.text((pad, 4), title, fill="black", font=font)

    valid = np.isfinite(coherence)
    grey = (np.clip(np.nan_to_num(coherence), 0, 1) * 255).astype(np.uint8)
    coh_rgba = np.stack([grey, grey, grey, (valid * 255).astype(np.uint8)], axis=-1)
    y0 = title_h + label_h
    x_left, x_right = pad, pad + pw + gap
    for x, name, rgba in ((x_left, "wrapped phase over amplitude", fringe_rgb(phase, amplitude)),
                          (x_right, "coherence", coh_rgba)):
        draw.text((x, title_h), name, fill="black", font=small)
        img.paste(_panel(rgba, (pw, ph)), (x, y0))
        draw.rectangle([x - 1, y0 - 1, x + pw, y0 + ph], outline=(90, 90, 90))

    # colour bars
    yb = y0 + ph + 6
    ramp = np.linspace(0.0, 1.0, pw)[None, :].repeat(bar_h, 0)
    hue = (_hsv_to_rgb(ramp, np.ones_like(ramp)) * 255).astype(np.uint8)
    img.paste(Image.fromarray(hue, mode="RGB"), (x_left, yb))
    greys = (ramp * 255).astype(np.uint8)
    img.paste(Image.fromarray(np.stack([greys] * 3, axis=-1), mode="RGB"), (x_right, yb))
    for x in (x_left, x_right):
        draw.rectangle([x - 1, yb - 1, x + pw, yb + bar_h], outline=(90, 90, 90))
    yl = yb + bar_h + 3
    for x, labels in ((x_left, ("-pi", "0", "+pi")), (x_right, ("0", "0.5", "1"))):
        for k, text in enumerate(labels):
            w = draw.textlength(text, font=small)
            tx = x + k * (pw - 1) / 2 - (w / 2 if k == 1 else (0 if k == 0 else w))
            draw.text((tx, yl), text, fill="black", font=small)
    cycle = "phase, rad" + (f" (one cycle = {mm_per_cycle:.1f} mm LOS)" if mm_per_cycle else "")
    draw.text((x_left, yl + label_h), cycle, fill=(60, 60, 60), font=small)
    draw.text((x_right, yl + label_h), "coherence", fill=(60, 60, 60), font=small)
    img.save(path, optimize=True)
    return path
