"""QA features of an unwrapped interferogram, computed from the product alone (no simulator truth).

ARIA's 2016 features (Hua et al., "Machine learning for InSAR quality assessment", AGU 2016): unwrapped-phase
gradient statistics, connected components (count, high-coherence share of the largest, components needed to
cover 50 % and 90 %), cyclic residues, correlation with the DEM, coherence mean and std. Added here:

* congruence ``|wrap(unw - wrapped)|`` (an unwrapper may only add multiples of 2 pi to the wrapped phase);
* density of ``|dphi| > pi`` edges inside coherent areas, and the size of the largest chain of such edges
  (a closed chain bounds a region unwrapped with the wrong cycle count);
* step offsets near ``2 pi k`` across |dphi| > pi edges and the share of pixels outside the largest component;
* disagreement with a second, independent unwrapping (Itoh path integration of the wrapped phase along rows
  and along columns, Itoh 1982): the share of coherent pixels whose cycle count differs;
* the share of non-closing triplets the product belongs to, when the caller knows its network;
* phase steps shared by whole azimuth lines, a misregistered burst's mark (:mod:`pges.qa.line_steps`).

Missing inputs degrade the feature set, never crash: no wrapped phase -> it is re-wrapped from the unwrapped
one (congruence and unwrapper disagreement become null); no connected components -> derived from the valid,
coherent pixels cut along ``|dphi| > pi`` edges; no coherence -> every valid pixel counts as coherent and the
coherence features are null; no DEM -> the DEM correlation is null (a flat DEM, the sea, gives 0: it is not
missing). :attr:`Features.missing` names what was missing. Everything is NaN- and nodata-safe (NaN = no data; a
product without one valid pixel is an error).

Products larger than :data:`WORK_SIZE` pixels on a side are subsampled to it first (pointwise, so that
congruence and 2 pi steps stay exact), which makes the cost independent of the product size.

This module assembles the features; the parts live beside it: :mod:`pges.qa.enclosure` (coherent parts enclosed
by low coherence), :mod:`pges.qa.components` (islands, step severity, component offsets), :mod:`pges.qa.itoh`
(the second unwrapping), :mod:`pges.qa.line_steps`, :mod:`pges.qa.labelling` (numba connected components) and
:mod:`pges.qa.grid` (operations sized for the work grid).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from pges.errors import InputValidationError
from pges.qa.components import component_offsets, islands, step_severity
from pges.qa.enclosure import coherence_enclosed
from pges.qa.grid import box3, dilate_cross, quantile99, wrap
from pges.qa.itoh import itoh_disagreement
from pges.qa.labelling import label4, label8
from pges.qa.line_steps import LINE_STEP_NAMES, line_steps

__all__ = ["COHERENCE_IGNORED", "FEATURE_NAMES", "FEATURE_SET", "Features", "compute_features"]

#: Version of the feature set (stored with every row of ``qa_features`` and every model).
FEATURE_SET = "qa-features-7"
#: Largest side of the working grid, pixels.
WORK_SIZE = 96
#: Coherence above which a pixel is "high coherence".
HIGH_COHERENCE = 0.3
#: Phase coherence (|3x3 mean of exp(j phase)|) above which a pixel's phase is "coherent".
PHASE_COHERENT = 0.5
#: Why a coherence layer is left out (``coherence_ignored``; :func:`_coherence_consistent`).
COHERENCE_IGNORED = ("it does not follow the phase: the phase is no less noisy where it says high (>= 0.5) than "
                     "where it says low (< 0.3), so it tells nothing of this product's quality")

FEATURE_NAMES: tuple[str, ...] = (
    "valid_fraction",
    "grad_mean", "grad_std", "grad_p99",
    "jump_fraction", "jump_cycle_fraction", "jump_cycle_residual", "jump_chain_max", "jump_near_discontinuity",
    "cc_count", "cc_largest_high_coh", "cc_cover50", "cc_cover90",
    "cc_step_cycles_max", "cc_step_fraction", "cc_offset_cycles_max", "cc_offset_fraction", "cc_offset_abs_max",
    "residue_fraction",
    "dem_correlation",
    "coherence_mean", "coherence_std", "coherence_low_fraction",
    "congruence_mean", "congruence_fraction",
    "unwrapper_disagreement",
    "laplacian_mean", "row_nodata_fraction",
    "triplet_misclosure_share",
    "phase_coherence_mean", "phase_coherence_low_fraction", "phase_island_fraction", "phase_island_count",
    "coherence_island_fraction", "coherence_island_count", "jump_island_fraction", "jump_island_count",
    "coherence_ignored",
    "coherence_enclosed_fraction", "coherence_enclosed_largest",
    "cc_step_severity",
    *LINE_STEP_NAMES,  # since qa-features-7
)


@dataclass
class Features:
    """Feature values (NaN where an input was missing) and which inputs were missing."""

    values: dict[str, float]
    missing: list[str] = field(default_factory=list)
    feature_set: str = FEATURE_SET

    @property
    def degraded(self) -> bool:
        """Whether some inputs were missing."""
        return bool(self.missing)

    @property
    def ignored(self) -> dict[str, str]:
        """The inputs given but left out (and so also missing), each with why."""
        return {"coherence": COHERENCE_IGNORED} if self.values.get("coherence_ignored") else {}

    def vector(self) -> np.ndarray:
        """Values in :data:`FEATURE_NAMES` order (float64, NaN for missing)."""
        return np.array([self.values.get(n, np.nan) for n in FEATURE_NAMES], dtype=np.float64)

    def as_json(self) -> dict[str, float | None]:
        """Values with NaN as None (JSON has no NaN)."""
        return {k: (None if not np.isfinite(v) else round(float(v), 6)) for k, v in self.values.items()}


def _subsample(a: np.ndarray | None, step: int) -> np.ndarray | None:
    return None if a is None else a[::step, ::step]


def _as_float(a: np.ndarray | None, nodata: float | None = None) -> np.ndarray | None:
    if a is None:
        return None
    out = np.asarray(a, dtype=np.float32)
    if nodata is not None and np.isfinite(nodata):
        out = np.where(out == nodata, np.nan, out)
    return out


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if x.size else float("nan")


def _phase_coherence(w: np.ndarray, valid: np.ndarray, n: np.ndarray) -> np.ndarray:
    """|mean of exp(j w)| over each pixel's valid 3x3 neighbourhood (0 where there is no valid pixel).

    ``n``: the valid pixels of each 3x3 neighbourhood (``box3`` of ``valid``).
    """
    w32 = w.astype(np.float32)
    re, im = np.where(valid, np.cos(w32), 0.0), np.where(valid, np.sin(w32), 0.0)  # exp(j w), as two real parts
    return np.where(n > 0, np.hypot(box3(re), box3(im)) / np.maximum(n, 1.0), 0.0)


def _coherence_consistent(coh: np.ndarray, pc: np.ndarray, valid: np.ndarray) -> bool:
    """Whether a coherence layer tells noisy phase from clean: its low pixels must have a noisier phase.

    Undecidable (True) when under 5 % of the pixels are low (< 0.3) or under 5 % high (>= 0.5).
    """
    c = np.where(valid, np.nan_to_num(coh, nan=-1.0), -1.0)
    low, high = valid & (c >= 0) & (c < HIGH_COHERENCE), valid & (c >= 0.5)
    n = max(int(valid.sum()), 1)
    if low.sum() < 0.05 * n or high.sum() < 0.05 * n:
        return True
    return float(pc[high].mean()) - float(pc[low].mean()) > 0.02


def compute_features(
    unw: np.ndarray,
    coherence: np.ndarray | None = None,
    wrapped: np.ndarray | None = None,
    conncomp: np.ndarray | None = None,
    dem: np.ndarray | None = None,
    triplet_misclosure_share: float | None = None,
    nodata: float | None = None,
    label: str = "the product",
) -> Features:
    """Compute the QA features of one product.

    Args:
        unw: unwrapped phase, radians (NaN or ``nodata`` where there is no data).
        coherence: coherence 0-1 on the same grid, or None.
        wrapped: wrapped phase, radians (the phase that was unwrapped), or None.
        conncomp: connected-component labels (0 = not unwrapped), or None.
        dem: heights, metres, or None.
        triplet_misclosure_share: share (0-1) of this product's triplets that do not close, or None.
        nodata: a no-data value of ``unw`` besides NaN (ROI_PAC and GAMMA use 0).
        label: how to name the product in errors.

    Returns:
        The features and the list of missing inputs.

    Raises:
        InputValidationError: ``unw`` is not 2-D, an input's shape differs, or no pixel is valid.
    """
    unw = np.asarray(unw)
    if unw.ndim != 2:
        raise InputValidationError(f"unwrapped phase of {label} must be 2-D, got shape {unw.shape}")
    for name, a in (("coherence", coherence), ("wrapped", wrapped), ("conncomp", conncomp), ("dem", dem)):
        if a is not None and np.shape(a) != unw.shape:
            raise InputValidationError(f"{name} of {label} has shape {np.shape(a)}, the unwrapped phase {unw.shape}")
    step = max(1, math.ceil(max(unw.shape) / WORK_SIZE))
    phi = _as_float(_subsample(unw, step), nodata)
    assert phi is not None
    valid = np.isfinite(phi)
    n_valid = int(valid.sum())
    if n_valid == 0:
        raise InputValidationError(f"the unwrapped phase of {label} has no valid pixel (all NaN or no-data)")
    missing: list[str] = []
    coh = _as_float(_subsample(coherence, step))
    wrp = _as_float(_subsample(wrapped, step))
    cc = _subsample(conncomp, step)
    h = _as_float(_subsample(dem, step))
    for name, a in (("coherence", coh), ("wrapped", wrp), ("conncomp", cc), ("dem", h)):
        if a is None:
            missing.append(name)
    v: dict[str, float] = {"valid_fraction": n_valid / valid.size}

    # phase coherence: |3x3 mean of exp(j wrapped)|, from the phase itself (no processor's convention)
    w = np.where(valid, wrp if wrp is not None else wrap(np.where(valid, phi, 0.0)), 0.0)
    n3 = box3(valid.astype(np.float32))  # valid pixels per 3x3 neighbourhood (phase coherence, enclosure)
    pc = _phase_coherence(w, valid, n3)
    coherent_phase = valid & (pc >= PHASE_COHERENT)
    v["phase_coherence_mean"] = float(pc[valid].mean())
    v["phase_coherence_low_fraction"] = float((pc[valid] < PHASE_COHERENT).mean())
    v.update(islands(coherent_phase, n_valid, "phase_island"))
    v["coherence_ignored"] = 0.0
    if coh is not None and not _coherence_consistent(coh, pc, valid):
        # a coherence layer that says nothing about the phase's quality (its low pixels are no noisier than its
        # high ones) is left out, as if missing: its features would describe the layer, not the product
        coh, v["coherence_ignored"] = None, 1.0
        missing.append("coherence")
    if coh is not None:
        coh = np.where(valid & np.isfinite(coh), coh, np.nan)
        cv = coh[np.isfinite(coh)]
        v["coherence_mean"], v["coherence_std"] = (float(cv.mean()), float(cv.std())) if cv.size else (np.nan,) * 2
        v["coherence_low_fraction"] = float((cv < HIGH_COHERENCE).mean()) if cv.size else np.nan
        high = valid & (np.nan_to_num(coh) >= HIGH_COHERENCE)
        v.update(islands(high, n_valid, "coherence_island"))
        v.update(coherence_enclosed(coh, valid, n_valid, n3))
    else:
        v["coherence_island_fraction"] = v["coherence_island_count"] = np.nan
        v["coherence_enclosed_fraction"] = v["coherence_enclosed_largest"] = np.nan
        v["coherence_mean"] = v["coherence_std"] = v["coherence_low_fraction"] = np.nan
        high = valid
    phi0 = np.where(valid, phi, 0.0)

    # gradients and |dphi| > pi edges (both ends valid; "coherent" edges have both ends high-coherence)
    dx, dy = np.diff(phi0, axis=1), np.diff(phi0, axis=0)
    ex, ey = valid[:, 1:] & valid[:, :-1], valid[1:, :] & valid[:-1, :]
    g = np.concatenate([np.abs(dx[ex]), np.abs(dy[ey])])
    v["grad_mean"], v["grad_std"] = _mean(g), float(g.std()) if g.size else np.nan
    v["grad_p99"] = quantile99(g) if g.size else np.nan
    hx, hy = ex & high[:, 1:] & high[:, :-1], ey & high[1:, :] & high[:-1, :]
    jx, jy = hx & (np.abs(dx) > np.pi), hy & (np.abs(dy) > np.pi)
    n_edges = max(int(hx.sum() + hy.sum()), 1)
    jumps = np.concatenate([dx[jx], dy[jy]])
    v["jump_fraction"] = jumps.size / n_edges
    resid = np.abs(jumps - math.tau * np.round(jumps / math.tau))
    cyc = resid < 1.0
    v["jump_cycle_fraction"] = float(cyc.sum()) / n_edges
    v["jump_cycle_residual"] = _mean(resid) if jumps.size else np.pi
    jump_px = np.zeros_like(valid)
    jump_px[:, 1:] |= jx
    jump_px[:, :-1] |= jx
    jump_px[1:, :] |= jy
    jump_px[:-1, :] |= jy
    if jump_px.any():
        lab, n = label8(jump_px)
        sizes = np.bincount(lab.ravel())[1:]
        v["jump_chain_max"] = float(sizes.max()) / math.sqrt(n_valid)
    else:
        v["jump_chain_max"] = 0.0
    # large gradients next to discontinuities: |dphi| of valid edges that touch a no-data pixel
    hole = dilate_cross(~valid) & valid  # ndimage.binary_dilation(~valid) & valid, by slices
    near = np.concatenate([np.abs(dx[ex & (hole[:, 1:] | hole[:, :-1])]),
                           np.abs(dy[ey & (hole[1:, :] | hole[:-1, :])])])
    v["jump_near_discontinuity"] = float((near > np.pi).mean()) if near.size else 0.0

    # connected components: given, or derived from coherent pixels cut along |dphi| > pi edges
    derived, _ = label4(high & ~jump_px)
    labels = np.where(valid, np.asarray(cc), 0).astype(np.int64) if cc is not None else derived
    counts = np.bincount(labels.ravel())
    counts[0] = 0
    order = np.argsort(counts)[::-1]
    sizes = counts[order]
    sizes = sizes[sizes > 0]
    total = max(int(sizes.sum()), 1)
    significant = sizes >= max(0.005 * n_valid, 4)
    v["cc_count"] = float(significant.sum())
    if sizes.size:
        big = order[0]
        v["cc_largest_high_coh"] = float((high & (labels == big)).sum()) / max(int(high.sum()), 1)
        cum = np.cumsum(sizes) / total
        v["cc_cover50"] = float(np.searchsorted(cum, 0.5) + 1)
        v["cc_cover90"] = float(np.searchsorted(cum, 0.9) + 1)
        v["cc_step_fraction"] = float(sizes[1:][significant[1:]].sum()) / n_valid
    else:
        v.update(cc_largest_high_coh=0.0, cc_cover50=0.0, cc_cover90=0.0, cc_step_fraction=0.0)
    # connected regions of the valid pixels: no phase path joins two of them (a band of missing lines between)
    regions = None if valid.all() else label4(valid)[0]
    v.update(component_offsets(derived, phi0, n_valid, regions))
    v["cc_step_severity"] = step_severity((dx, dy), (hx, hy), (jx, jy), high, regions, n_valid)
    # steps of whole cycles across |dphi| > pi edges: the cycle count of the largest such step
    v["cc_step_cycles_max"] = float(np.abs(np.round(jumps[cyc] / math.tau)).max()) if cyc.any() else 0.0

    v.update(islands(derived > 0, n_valid, "jump_island", labels=derived))
    # residues of the wrapped phase (given, else re-wrapped): circulation of wrapped differences around 2x2 loops
    wx, wy = wrap(np.diff(w, axis=1)), wrap(np.diff(w, axis=0))
    circ = wx[:-1, :] + wy[:, 1:] - wx[1:, :] - wy[:, :-1]
    loop_ok = high[:-1, :-1] & high[1:, :-1] & high[:-1, 1:] & high[1:, 1:]
    v["residue_fraction"] = float((np.abs(circ[loop_ok]) > np.pi).sum()) / max(int(loop_ok.sum()), 1)

    if wrp is not None:
        # relative to the product's constant offset: a referenced product (a point's phase subtracted, as
        # every processor does) is still congruent, but wrap(unw - wrapped) is that constant, not 0
        c = wrap(phi - wrp)[valid & np.isfinite(wrp)]
        c64 = c.astype(np.float64)
        c0 = math.atan2(float(np.sin(c64).sum()), float(np.cos(c64).sum())) if c.size else 0.0  # mean phasor
        cong = np.abs(wrap(c - c0))
        v["congruence_mean"] = _mean(cong)
        v["congruence_fraction"] = float((cong > 0.5).mean()) if cong.size else np.nan
        # a second unwrapping (Itoh integration along rows and along columns): where both disagree with the product
        v["unwrapper_disagreement"] = itoh_disagreement(w, phi0, high)
    else:
        v["congruence_mean"] = v["congruence_fraction"] = v["unwrapper_disagreement"] = np.nan

    if h is not None:
        ok = valid & np.isfinite(h)
        # flat heights (the sea) or a flat phase: nothing to correlate, 0. np.corrcoef works in float64, where a
        # constant's std is 0 even when the float32 one is not (123.4 m everywhere): tested in float64, by its range
        hv, pv = h[ok].astype(np.float64), phi[ok].astype(np.float64)
        if hv.size > 10 and np.ptp(hv) > 0 and np.ptp(pv) > 0:
            v["dem_correlation"] = abs(float(np.corrcoef(pv, hv)[0, 1]))
        else:
            v["dem_correlation"] = 0.0
    else:
        v["dem_correlation"] = np.nan

    lap = np.abs(phi0[1:-1, 2:] + phi0[1:-1, :-2] + phi0[2:, 1:-1] + phi0[:-2, 1:-1] - 4 * phi0[1:-1, 1:-1])
    inner = valid[1:-1, 2:] & valid[1:-1, :-2] & valid[2:, 1:-1] & valid[:-2, 1:-1] & valid[1:-1, 1:-1]
    v["laplacian_mean"] = _mean(lap[inner])
    v["row_nodata_fraction"] = float((~valid).all(axis=1).mean())
    v["triplet_misclosure_share"] = np.nan if triplet_misclosure_share is None else float(triplet_misclosure_share)
    v.update(line_steps(w, valid))
    return Features({n: float(v[n]) for n in FEATURE_NAMES}, missing)
