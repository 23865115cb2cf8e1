"""Phase steps shared by whole azimuth lines: the mark of a misregistered burst (ARIA's PMR tag).

A TOPS burst misregistered in azimuth carries a phase ramp along azimuth and jumps at its boundaries, the same
across the burst's whole width (the spectral-diversity phase of Sentinel-1; the simulator's PMR artefact makes
it so, ``pges.simulate.artefacts.pmr``). Nothing geophysical does that: a deformation or a turbulent atmosphere
changes from column to column, an orbital ramp moves every line alike. Such a burst matters to QA because an
unwrapper has to carry the cycle count across its boundary jumps, and a jump of more than half a cycle is
carried the wrong way, which offsets the rest of the frame (``docs/qa.md``, feature set 7).

For each pair of neighbouring lines (rows of the grid, azimuth in radar geometry) the step of the wrapped phase
is averaged over the columns as a unit phasor: its angle is the line's common step, its length how much the
columns agree on it. The departure of each line's step from the product's typical step, weighted by that
agreement, is the measure; a geocoded product's lines are not azimuth lines, and the measure only weakens.
"""

from __future__ import annotations

import numpy as np

__all__ = ["LINE_STEP_NAMES", "line_steps"]

LINE_STEP_NAMES = ("line_step_max", "line_step_band_max", "line_step_share")
#: lines over which a burst's ramp is averaged (a Sentinel-1 burst is about 8 lines of a 96-line work grid)
BAND_LINES = 5
#: departure (rad) of a line's common step beyond which the line counts as stepped
STEPPED = 0.8


def line_steps(wrapped: np.ndarray, valid: np.ndarray) -> dict[str, float]:
    """Azimuth phase steps common to whole lines, relative to the product's typical step.

    Args:
        wrapped: wrapped phase (rad) on the work grid, any value where not ``valid``.
        valid: where the phase is data.

    Returns:
        ``line_step_max``: the largest departure of one line pair's common step (rad, weighted by agreement);
        ``line_step_band_max``: the largest mean signed departure over :data:`BAND_LINES` consecutive line
        pairs (a burst's ramp); ``line_step_share``: the share of line pairs departing by more than
        :data:`STEPPED` rad. All 0 when fewer than :data:`BAND_LINES` line pairs have half their columns valid.
    """
    d = np.diff(np.asarray(wrapped, dtype=np.float32), axis=0)  # float32 trigonometry: 4x faster than float64
    ok = valid[1:] & valid[:-1]
    cos, sin = np.cos(d), np.sin(d)
    if not ok.all():
        cos[~ok] = sin[~ok] = 0.0
    n = ok.sum(axis=1)
    re = cos.sum(axis=1, dtype=np.float64) / np.maximum(n, 1)
    im = sin.sum(axis=1, dtype=np.float64) / np.maximum(n, 1)
    lines = n >= 0.5 * ok.shape[1]
    if lines.sum() < BAND_LINES:
        return dict.fromkeys(LINE_STEP_NAMES, 0.0)
    typical = np.angle(np.median(re[lines]) + 1j * np.median(im[lines]))
    departure = np.angle((re + 1j * im) * np.exp(-1j * typical)) * np.hypot(re, im)
    departure = np.where(lines, departure, 0.0)
    band = np.convolve(departure, np.full(BAND_LINES, 1.0 / BAND_LINES), mode="valid")
    return {"line_step_max": float(np.abs(departure).max()),
            "line_step_band_max": float(np.abs(band).max()),  # >= BAND_LINES line pairs: never empty
            "line_step_share": float((np.abs(departure) > STEPPED).sum()) / int(lines.sum())}
