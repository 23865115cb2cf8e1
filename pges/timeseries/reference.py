"""Where to reference a time series, and which pixels deform: both from a first, provisional inversion.

A reference point inside a deforming area puts the negative of its motion into every other pixel, so it
is chosen, not defaulted. The automatic choice follows MintPy's reasoning (Yunjun et al. 2019, section
4.1: a coherent pixel away from deformation) and adds the temporal stability of the stack:

1. **Provisional inversion.** Each interferogram is referenced to its own median over the pixels valid in
   all of them, and the network is inverted (:func:`pges.timeseries.sbas.invert_sbas`). That gives, per
   pixel, the temporal coherence (:mod:`pges.timeseries.quality`), the linear velocity and the temporal
   standard deviation of the displacement series relative to the scene median.
2. **Deforming mask.** Pixels whose provisional velocity departs from the scene median by more than
   ``max(n_sigma * 1.4826 * MAD, floor)`` mm/yr, grown by a few pixels. It is also the mask the
   stratified troposphere fit leaves out.
3. **Candidates**: valid in every interferogram over the whole reference window, not deforming, mean
   spatial coherence >= ``min_coherence`` and temporal coherence >= ``min_temporal_coherence`` (each
   window-averaged). The reference is the candidate with the lowest window-averaged temporal standard
   deviation plus its provisional rate (relative to the scene's median rate) times the time span (mm), both
   averaged over a (2 smooth_px + 1)^2
   window so that one pixel's noise does not decide: the most stable
   coherent spot. The rate term matters at the rim of a deforming area, where a slow trend (below the
   mask's threshold) adds less to the std than the noise elsewhere: a trend of ``v`` over ``T`` years
   adds ``|v| T / sqrt(12)`` to the std but ``|v| T`` to the score.

When a criterion leaves no candidate it is relaxed, and the relaxation is logged and recorded in
``warnings`` (the product's met.json keeps them); missing coherence is one such warning, never silent.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from scipy.ndimage import binary_dilation, uniform_filter

from pges.errors import InputValidationError
from pges.timeseries.quality import finite_mean, mm_to_rad, temporal_coherence
from pges.timeseries.sbas import invert_sbas, velocity

__all__ = ["ReferenceChoice", "Stability", "choose_reference", "deforming_mask", "provisional_stability"]

logger = logging.getLogger(__name__)

Pair = tuple[int, int]


@dataclass
class Stability:
    """What the provisional inversion says about every pixel (``(rows, cols)`` arrays)."""

    common: np.ndarray  # bool: valid in every interferogram
    velocity_mm_yr: np.ndarray  # relative to the scene median
    span_years: float  # first to last date
    temporal_std_mm: np.ndarray  # std over dates of the displacement relative to the scene median
    temporal_coherence: np.ndarray  # 0..1


@dataclass
class ReferenceChoice:
    """The chosen reference pixel and how it was chosen (recorded in the product)."""

    row: int
    col: int
    method: str  # "auto", "lat/lon", "gnss:<station>"
    criteria: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def provisional_stability(
    los_mm: np.ndarray, pairs: Sequence[Pair], dates: Sequence[date], wavelength_m: float
) -> Stability:
    """First inversion of a median-referenced stack (LOS mm, NaN = no data) over the pixels valid in all.

    Raises:
        InputValidationError: no pixel is valid in every interferogram.
    """
    s = np.asarray(los_mm, dtype=np.float64)
    common = np.asarray(np.isfinite(s).all(axis=0), dtype=bool)
    if not common.any():
        raise InputValidationError(
            f"no pixel is valid in all {s.shape[0]} interferograms (no overlap); cannot reference the stack"
        )
    med = np.array([np.median(s[k][common]) for k in range(s.shape[0])])
    obs = (s - med[:, None, None])[:, common]  # (n_ifg, n_common): one validity pattern, one pinv
    sb = invert_sbas(obs[:, :, None], pairs, dates)
    ts = sb.timeseries[:, :, 0]
    v, _ = velocity(ts[:, :, None], dates)
    tcoh = temporal_coherence(mm_to_rad(sb.residual[:, :, 0], wavelength_m)[:, :, None])[:, 0]
    rows_cols = s.shape[1:]

    def put(values: np.ndarray) -> np.ndarray:
        out = np.full(rows_cols, np.nan, np.float64)
        out[common] = values
        return out

    return Stability(
        common=common,
        velocity_mm_yr=put(v[:, 0]),
        span_years=(dates[-1] - dates[0]).days / 365.25,
        temporal_std_mm=put(np.std(ts, axis=0)),
        temporal_coherence=put(tcoh),
    )


def deforming_mask(
    velocity_mm_yr: np.ndarray, *, n_sigma: float = 3.0, floor_mm_yr: float = 3.0, grow_px: int = 3
) -> np.ndarray:
    """Pixels whose velocity departs from the median by more than ``max(n_sigma * robust std, floor)``.

    The robust std is ``1.4826 * MAD`` of the finite velocities; the mask is dilated by ``grow_px`` so the
    flanks of a deforming area, below the threshold but not stable, are left out too.
    """
    v = np.asarray(velocity_mm_yr, dtype=np.float64)
    finite = np.isfinite(v)
    if not finite.any():
        return np.zeros(v.shape, bool)
    med = float(np.median(v[finite]))
    sigma = 1.4826 * float(np.median(np.abs(v[finite] - med)))
    thr = max(n_sigma * sigma, floor_mm_yr)
    mask = finite & (np.abs(v - med) > thr)
    if grow_px > 0 and mask.any():
        mask = binary_dilation(mask, iterations=grow_px)
    return mask


def _window_mean(a: np.ndarray, radius: int) -> np.ndarray:
    """Mean over a (2r+1)^2 window, NaN-aware (NaN where the window holds no finite value)."""
    if radius <= 0:
        return a.astype(np.float64)
    size = 2 * radius + 1
    finite = np.isfinite(a)
    num = uniform_filter(np.where(finite, a, 0.0), size, mode="constant")
    den = uniform_filter(finite.astype(np.float64), size, mode="constant")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def choose_reference(
    stab: Stability,
    coherence: np.ndarray | None,
    deforming: np.ndarray,
    *,
    radius_px: int = 1,
    min_coherence: float = 0.5,
    min_temporal_coherence: float = 0.85,
    smooth_px: int = 4,
) -> ReferenceChoice:
    """Pick the reference pixel automatically (see the module docstring for the rules).

    Args:
        stab: the provisional inversion.
        coherence: ``(n_ifg, rows, cols)`` spatial coherence, or None when the inputs have none.
        deforming: ``(rows, cols)`` bool, pixels never to use.
        radius_px: half-size of the reference window.
        min_coherence: window-mean spatial coherence a candidate needs.
        min_temporal_coherence: window-mean temporal coherence a candidate needs.
        smooth_px: half-size of the window over which temporal std and rate are averaged for the ranking.

    Raises:
        InputValidationError: no pixel whose whole window is valid in every interferogram.
    """
    warnings: list[str] = []
    size = 2 * radius_px + 1
    full = uniform_filter(stab.common.astype(np.float64), size, mode="constant") > 1 - 1e-9
    if not full.any():
        full = stab.common.copy()
        warnings.append("no reference window is fully valid in every interferogram: using single valid pixels")
    tcoh = _window_mean(stab.temporal_coherence, radius_px)
    # stability is judged over a wider neighbourhood than the reference window: one pixel's std and rate are
    # noisy, and the minimum over thousands of candidates would pick the one whose noise cancelled its motion
    wide = max(radius_px, smooth_px)
    std = _window_mean(stab.temporal_std_mm, wide)
    v = stab.velocity_mm_yr
    background = float(np.nanmedian(v)) if np.isfinite(v).any() else 0.0  # the rate of the typical pixel
    drift = np.abs(_window_mean(v, wide) - background) * stab.span_years
    mean_coh = None
    if coherence is not None and np.isfinite(coherence).any():
        mean_coh = _window_mean(finite_mean(coherence), radius_px)
    else:
        warnings.append(
            "the inputs have no coherence: the reference was chosen from temporal stability alone "
            "(ingest coherence with the interferograms, or give reference lat/lon)"
        )
    base = full & ~deforming
    if not base.any():
        base = full
        warnings.append("every fully valid pixel is flagged as deforming: the reference may move")
    cand = base.copy()
    ok_t = base & (tcoh >= min_temporal_coherence)
    if ok_t.any():
        cand = ok_t
    else:
        warnings.append(f"no candidate has temporal coherence >= {min_temporal_coherence}: criterion dropped")
    if mean_coh is not None:
        ok_c = cand & (mean_coh >= min_coherence)
        if ok_c.any():
            cand = ok_c
        else:
            warnings.append(f"no candidate has mean coherence >= {min_coherence}: criterion dropped")
    stability = std + drift
    score = np.where(cand, np.where(np.isfinite(stability), stability, np.inf), np.inf)
    r, c = (int(x) for x in np.unravel_index(int(np.argmin(score)), score.shape))
    for w in warnings:
        logger.warning("reference point: %s", w)
    criteria = {
        "temporal_std_mm": round(float(std[r, c]), 3),
        "provisional_drift_mm": round(float(drift[r, c]), 3),
        "temporal_coherence": round(float(tcoh[r, c]), 4),
        "mean_coherence": None if mean_coh is None else round(float(mean_coh[r, c]), 4),
        "provisional_velocity_mm_yr": round(float(stab.velocity_mm_yr[r, c]), 3),
        "candidates": int(cand.sum()),
        "deforming_pixels_excluded": int((full & deforming).sum()),
        "coherence_used": mean_coh is not None,
    }
    return ReferenceChoice(r, c, "auto", criteria, warnings)
