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
coherence features are null; no DEM -> the DEM correlation is null. :attr:`Features.missing` names what was
missing. Everything is NaN- and nodata-safe (NaN = no data; a product without one valid pixel is an error).

Products larger than :data:`WORK_SIZE` pixels on a side are subsampled to it first (pointwise, so that
congruence and 2 pi steps stay exact), which makes the cost independent of the product size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from pges.errors import InputValidationError
from pges.qa.itoh import itoh_disagreement
from pges.qa.labelling import enclosed_best_level, label4, label8
from pges.qa.line_steps import LINE_STEP_NAMES, line_steps

__all__ = ["FEATURE_NAMES", "FEATURE_SET", "Features", "compute_features"]

#: Version of the feature set (stored with every row of ``qa_features`` and every model).
FEATURE_SET = "qa-features-7"
#: Largest side of the working grid, pixels.
WORK_SIZE = 96
#: Coherence above which a pixel is "high coherence".
HIGH_COHERENCE = 0.3
#: Phase coherence (|3x3 mean of exp(j phase)|) above which a pixel's phase is "coherent".
PHASE_COHERENT = 0.5
TWO_PI = 2.0 * math.pi

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
#: Thresholds of the 3x3 mean coherence at which coherent parts enclosed by low coherence are looked for.
ENCLOSED_THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65)


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

    def vector(self) -> np.ndarray:
        """Values in :data:`FEATURE_NAMES` order (float64, NaN for missing)."""
        return np.array([self.values.get(n, np.nan) for n in FEATURE_NAMES], dtype=np.float64)

    def as_json(self) -> dict[str, float | None]:
        """Values with NaN as None (JSON has no NaN)."""
        return {k: (None if not np.isfinite(v) else round(float(v), 6)) for k, v in self.values.items()}


def _wrap(x: np.ndarray) -> np.ndarray:
    """Wrap to [-pi, pi] (rounding to the nearest cycle: several times faster than a floating modulo)."""
    return x - TWO_PI * np.rint(x * (1.0 / TWO_PI))


def _subsample(a: np.ndarray | None, step: int) -> np.ndarray | None:
    return None if a is None else a[::step, ::step]


def _as_float(a: np.ndarray | None, nodata: float | None = None) -> np.ndarray | None:
    if a is None:
        return None
    out = np.asarray(a, dtype=np.float32)
    if nodata is not None and np.isfinite(nodata):
        out = np.where(out == nodata, np.nan, out)
    return out


def _quantile99(x: np.ndarray) -> float:
    """``np.quantile(x, 0.99)`` (linear interpolation, the same value to the bit) by one partition of ``x``.

    ``np.quantile`` costs four times the partition it does on a few thousand values, in argument handling.
    """
    n = x.size
    at = n * 0.99 + (1.0 + 0.99 * (1.0 - 1.0 - 1.0)) - 1.0  # numpy's virtual index for alpha = beta = 1
    lo = int(math.floor(at))
    hi = min(lo + 1, n - 1)
    part = np.partition(x, [lo, hi] if hi != lo else lo)
    a, b, t = part[lo], part[hi], at - lo
    return float(b - (b - a) * (1 - t)) if t >= 0.5 else float(a + (b - a) * t)  # numpy's two-sided lerp


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if x.size else float("nan")


def _box3(a: np.ndarray) -> np.ndarray:
    """Sum over each pixel's 3x3 neighbourhood (zero outside), by shifted slices (faster than a filter here)."""
    r, c = a.shape
    p = np.zeros((r + 2, c + 2), dtype=a.dtype)  # np.pad, without its cost on a small grid
    p[1:-1, 1:-1] = a
    rows = p[:-2] + p[1:-1] + p[2:]
    return rows[:, :c] + rows[:, 1 : c + 1] + rows[:, 2:]


def _phase_coherence(w: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """|mean of exp(j w)| over each pixel's valid 3x3 neighbourhood (0 where there is no valid pixel)."""
    w32 = w.astype(np.float32)
    re, im = np.where(valid, np.cos(w32), 0.0), np.where(valid, np.sin(w32), 0.0)  # exp(j w), as two real parts
    n = _box3(valid.astype(np.float32))
    return np.where(n > 0, np.hypot(_box3(re), _box3(im)) / np.maximum(n, 1.0), 0.0)


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


def _islands(mask: np.ndarray, n_valid: int, prefix: str, labels: np.ndarray | None = None) -> dict[str, float]:
    """Share of the valid pixels in parts of ``mask`` cut off from its largest part, and how many such parts.

    An area cut off by a decorrelated moat (or by |dphi| > pi edges) is where an unwrapper must guess the
    cycle count: the larger the share, the more an error can cost. Parts under 0.2 % of the product are noise.
    """
    if labels is None:
        labels, _ = label4(mask)
    counts = np.bincount(labels.ravel())
    counts[0] = 0
    if counts.size < 2 or counts.max() == 0:
        return {f"{prefix}_fraction": 0.0, f"{prefix}_count": 0.0}
    counts = np.sort(counts[1:])[::-1][1:]
    big = counts[counts >= max(0.002 * n_valid, 4)]
    return {f"{prefix}_fraction": float(big.sum()) / n_valid, f"{prefix}_count": float(big.size)}


def _dilate_cross(m: np.ndarray) -> np.ndarray:
    """Binary dilation by the 4-neighbour cross (as ``ndimage.binary_dilation(m)``), by slices."""
    out = m.copy()
    out[1:] |= m[:-1]
    out[:-1] |= m[1:]
    out[:, 1:] |= m[:, :-1]
    out[:, :-1] |= m[:, 1:]
    return out


def _erode_cross(m: np.ndarray) -> np.ndarray:
    """Binary erosion by the 4-neighbour cross, outside the grid False (``ndimage.binary_erosion(m)``), by slices."""
    out = m.copy()
    out[0] = out[-1] = False
    out[:, 0] = out[:, -1] = False
    out[1:] &= m[:-1]
    out[:-1] &= m[1:]
    out[:, 1:] &= m[:, :-1]
    out[:, :-1] &= m[:, 1:]
    return out


def _min_cross(a: np.ndarray) -> np.ndarray:
    """Minimum over each pixel's 4-neighbour cross (pixels outside the grid ignored), by slices."""
    out = a.copy()
    np.minimum(out[1:], a[:-1], out=out[1:])
    np.minimum(out[:-1], a[1:], out=out[:-1])
    np.minimum(out[:, 1:], a[:, :-1], out=out[:, 1:])
    np.minimum(out[:, :-1], a[:, 1:], out=out[:, :-1])
    return out


def _beyond_footprint(valid: np.ndarray) -> np.ndarray | None:
    """Pixels within two of the no-data that reaches the grid's edge (what lies beyond the footprint), or None.

    A geocoded product's footprint sits in a frame of no data. That frame is outside the product, like what lies
    past the grid's edge, not a decorrelated moat: a part of the coherent area that reaches it is not enclosed.
    Two pixels, because the parts are taken one pixel inside the dilated low mask. No-data holes inside the
    footprint (masked water, missing lines: :func:`_missing_lines`, since ``qa-features-6``) still count as low
    coherence.
    """
    if valid.all():
        return None
    labels, _ = label4(~valid & ~_missing_lines(valid))
    ids = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    ids = ids[ids > 0]
    if ids.size == 0:
        return None
    return _dilate_cross(_dilate_cross(np.isin(labels, ids)))


def _missing_lines(valid: np.ndarray) -> np.ndarray:
    """Rows and columns with no valid pixel that have valid ones on both sides: lines lost inside the footprint.

    A band of missing lines runs from edge to edge of a radar-geometry grid, but it is a hole in the product
    (a dropped burst, a gap in the raw data), not what lies beyond its footprint.
    """
    rows, cols = _inner_gaps(valid.any(axis=1)), _inner_gaps(valid.any(axis=0))
    return rows[:, None] | cols[None, :]


def _inner_gaps(mask: npt.ArrayLike) -> np.ndarray:
    """Entries of a 1-D mask that are False and lie between its first and last True entries."""
    has = np.asarray(mask, bool)
    idx = np.flatnonzero(has)
    gaps = np.zeros(has.shape, bool)
    if idx.size:
        gaps[idx[0] : idx[-1]] = ~has[idx[0] : idx[-1]]
    return gaps


def _coherence_enclosed(coh: np.ndarray, valid: np.ndarray, n_valid: int) -> dict[str, float]:
    """Coherent parts fully enclosed by low coherence: the area an unwrapper must connect by a guess.

    An island cut off by a decorrelated moat has its cycle count unknowable from the data, so the area of
    such islands bounds what an unwrapping error can cost. A moat shows in the coherence (the filtered phase
    smooths it over), but a multilooked coherence estimate of noise is biased up (about 0.3 for 4 looks), so
    no fixed threshold finds it in every product: the 3x3 mean coherence is cut at each of
    :data:`ENCLOSED_THRESHOLDS` (no data counts as low), the low mask is dilated by the 4-neighbour cross (closing
    a moat with a few noisy gaps), and the threshold whose parts touching no edge enclose the most is kept. The
    no-data frame around a geocoded footprint is an edge too (:func:`_beyond_footprint`, since
    ``qa-features-4``: before it, every geocoded product was one enclosed island).
    Returns the share of the valid pixels in enclosed parts of at least 0.3 % of the product (grown back by
    the pixel the moat was dilated by), and the largest part's share.

    Cost: the dilated low masks of all thresholds come from one cross-minimum ``m`` of the mean coherence (-inf
    where invalid): at threshold ``t`` the parts are ``m >= t``. Only levels that can enclose something are
    labelled: none when ``m >= t`` is empty or fills the grid (one part, touching every edge), nor when it is the
    same mask as the level below (nested levels: then it encloses the same).
    """
    c = np.where(valid, np.nan_to_num(coh, nan=0.0), 0.0)
    beyond = _beyond_footprint(valid)
    mean = _box3(c) / np.maximum(_box3(valid.astype(np.float32)), 1.0)
    level = np.where(valid, mean, -np.inf)
    m = _min_cross(level)
    best_i, labels, counts = enclosed_best_level(m, ENCLOSED_THRESHOLDS, beyond, max(0.003 * n_valid, 4))
    if best_i < 0:
        return {"coherence_enclosed_fraction": 0.0, "coherence_enclosed_largest": 0.0}
    best_t = ENCLOSED_THRESHOLDS[best_i]
    keep = counts >= max(0.003 * n_valid, 4)
    keep[0] = False
    inner = _dilate_cross(keep[labels]) & ~((level < best_t) | ~valid) & valid
    grown, _ = label4(inner)
    sizes = np.bincount(grown.ravel())[1:]
    return {"coherence_enclosed_fraction": float(inner.sum()) / n_valid,
            "coherence_enclosed_largest": float(sizes.max()) / n_valid if sizes.size else 0.0}


def _step_severity(d: tuple[np.ndarray, np.ndarray], edges: tuple[np.ndarray, np.ndarray],
                   cuts: tuple[np.ndarray, np.ndarray], ok: np.ndarray, regions: np.ndarray | None,
                   n_valid: int) -> float:
    """Cycles per valid pixel by which the parts of the field cut off by |dphi| > pi edges are off.

    The pixels ``ok`` are joined across their ``edges`` (along rows, along columns; ``d`` the phase steps
    across them) that are not ``cuts`` (|dphi| > pi), labelled on a grid of twice the resolution whose odd
    cells are the edges, so no pixel is lost to the cut as it is in the pixel-based components. Each part other
    than the largest of its region (``regions``: labels of the connected regions of the valid pixels, None when
    every pixel is valid; since ``qa-features-6``: a band of missing lines or a masked river leaves the offset
    between its sides unknown, not wrong) gets the mean whole-cycle step across the cuts it shares with other
    parts (neighbouring pixels, so the phase gradient does not bias it as a distance would), rounded; the
    severity is
    ``sum |k| x pixels / valid pixels`` over parts of at least 0.2 % of the product: what the UWE classes cut,
    read off the product.
    """
    (dx, dy), (ex, ey), (cut_x, cut_y) = d, edges, cuts
    if not (cut_x.any() or cut_y.any()):
        return 0.0
    r, c = ok.shape
    grid = np.zeros((2 * r - 1, 2 * c - 1), bool)
    grid[::2, ::2] = ok
    grid[::2, 1::2] = ex & ~cut_x
    grid[1::2, ::2] = ey & ~cut_y
    labels, n = label4(grid)
    part = labels[::2, ::2]
    owner, step = [], []
    for a, b, delta, cut in ((part[:, :-1], part[:, 1:], dx, cut_x), (part[:-1, :], part[1:, :], dy, cut_y)):
        cut = cut & (a != b)
        cycles = np.round(delta[cut] / TWO_PI)  # phase of b minus a's
        owner += [a[cut], b[cut]]
        step += [-cycles, cycles]
    own = np.concatenate(owner)
    if not own.size:
        return 0.0
    counts = np.bincount(part[ok], minlength=n + 1)
    counts[0] = 0
    k = np.round(np.bincount(own, np.concatenate(step), n + 1) / np.maximum(np.bincount(own, minlength=n + 1), 1))
    # the largest part of each region is its reference: regions no valid pixel connects have no known offset
    region_of = np.zeros(n + 1, np.int64)
    region_of[part[ok]] = 1 if regions is None else regions[ok]
    by_size = np.lexsort((counts, region_of))  # by region, then by size: the last of each region is its largest
    last = np.r_[region_of[by_size][1:] != region_of[by_size][:-1], True]
    k[by_size[last]] = 0
    k[counts < max(0.002 * n_valid, 4)] = 0
    return float((np.abs(k) * counts).sum()) / n_valid


def _component_offsets(labels: np.ndarray, phi: np.ndarray, n_valid: int, regions: np.ndarray | None,
                       most: int = 12) -> dict[str, float]:
    """Phase offsets between coherent components and their neighbours across the gap that separates them.

    For each of the ``most`` largest components after the largest, the median phase of its rim is compared
    with the median phase of the other components within 5 pixels: an unwrapper that crossed a decorrelated
    moat with the wrong cycle count leaves an offset near 2 pi k. Since ``qa-features-7`` only components of
    the same region of valid pixels (``regions``, None when every pixel is valid) are compared: across a band
    of missing lines the offset is unknown, not an error (as in :func:`_step_severity`). Returns the largest such
    k, the share of pixels in components offset by a whole non-zero k, and the largest offset in cycles, whole or
    not.
    """
    counts = np.bincount(labels.ravel())
    counts[0] = 0
    order = np.argsort(counts)[::-1]
    objects = ndimage.find_objects(labels)
    k_max, off_max, px = 0.0, 0.0, 0
    for lab in order[1 : most + 1]:
        if counts[lab] < max(0.002 * n_valid, 4):
            break
        sl = objects[lab - 1]
        if sl is None:
            continue
        r0, r1 = max(sl[0].start - 6, 0), sl[0].stop + 6
        c0, c1 = max(sl[1].start - 6, 0), sl[1].stop + 6
        sub, ph = labels[r0:r1, c0:c1], phi[r0:r1, c0:c1]
        mine = sub == lab
        grown = mine
        for _ in range(5):
            grown = _dilate_cross(grown)  # ndimage.binary_dilation(mine, iterations=5), by slices
        ring = grown & ~mine & (sub > 0)
        if regions is not None:
            reg = regions[r0:r1, c0:c1]
            ring &= reg == reg[mine][0]
        if ring.sum() < 4:
            continue
        rim = mine & ~_erode_cross(_erode_cross(mine))  # ndimage.binary_erosion(mine, iterations=2)
        off = float(np.median(ph[rim if rim.any() else mine]) - np.median(ph[ring])) / TWO_PI
        k = round(off)
        off_max = max(off_max, abs(off))
        if k != 0 and abs(off - k) < 0.2:
            k_max = max(k_max, float(abs(k)))
            px += int(counts[lab])
    return {"cc_offset_cycles_max": k_max, "cc_offset_fraction": px / n_valid, "cc_offset_abs_max": off_max}


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
    w = np.where(valid, wrp if wrp is not None else _wrap(np.where(valid, phi, 0.0)), 0.0)
    pc = _phase_coherence(w, valid)
    coherent_phase = valid & (pc >= PHASE_COHERENT)
    v["phase_coherence_mean"] = float(pc[valid].mean())
    v["phase_coherence_low_fraction"] = float((pc[valid] < PHASE_COHERENT).mean())
    v.update(_islands(coherent_phase, n_valid, "phase_island"))
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
        v.update(_islands(high, n_valid, "coherence_island"))
        v.update(_coherence_enclosed(coh, valid, n_valid))
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
    v["grad_p99"] = _quantile99(g) if g.size else np.nan
    hx, hy = ex & high[:, 1:] & high[:, :-1], ey & high[1:, :] & high[:-1, :]
    jx, jy = hx & (np.abs(dx) > np.pi), hy & (np.abs(dy) > np.pi)
    n_edges = max(int(hx.sum() + hy.sum()), 1)
    jumps = np.concatenate([dx[jx], dy[jy]])
    v["jump_fraction"] = jumps.size / n_edges
    resid = np.abs(jumps - TWO_PI * np.round(jumps / TWO_PI))
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
    hole = _dilate_cross(~valid) & valid  # ndimage.binary_dilation(~valid) & valid, by slices
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
    v.update(_component_offsets(derived, phi0, n_valid, regions))
    v["cc_step_severity"] = _step_severity((dx, dy), (hx, hy), (jx, jy), high, regions, n_valid)
    # steps of whole cycles across |dphi| > pi edges: the cycle count of the largest such step
    v["cc_step_cycles_max"] = float(np.abs(np.round(jumps[cyc] / TWO_PI)).max()) if cyc.any() else 0.0

    v.update(_islands(derived > 0, n_valid, "jump_island", labels=derived))
    # residues of the wrapped phase (given, else re-wrapped): circulation of wrapped differences around 2x2 loops
    wx, wy = _wrap(np.diff(w, axis=1)), _wrap(np.diff(w, axis=0))
    circ = wx[:-1, :] + wy[:, 1:] - wx[1:, :] - wy[:, :-1]
    loop_ok = high[:-1, :-1] & high[1:, :-1] & high[:-1, 1:] & high[1:, 1:]
    v["residue_fraction"] = float((np.abs(circ[loop_ok]) > np.pi).sum()) / max(int(loop_ok.sum()), 1)

    if wrp is not None:
        # relative to the product's constant offset: a referenced product (a point's phase subtracted, as
        # every processor does) is still congruent, but wrap(unw - wrapped) is that constant, not 0
        c = _wrap(phi - wrp)[valid & np.isfinite(wrp)]
        c64 = c.astype(np.float64)
        c0 = math.atan2(float(np.sin(c64).sum()), float(np.cos(c64).sum())) if c.size else 0.0  # mean phasor
        cong = np.abs(_wrap(c - c0))
        v["congruence_mean"] = _mean(cong)
        v["congruence_fraction"] = float((cong > 0.5).mean()) if cong.size else np.nan
        # a second unwrapping (Itoh integration along rows and along columns): where both disagree with the product
        v["unwrapper_disagreement"] = itoh_disagreement(w, phi0, high)
    else:
        v["congruence_mean"] = v["congruence_fraction"] = v["unwrapper_disagreement"] = np.nan

    if h is not None:
        ok = valid & np.isfinite(h)
        if ok.sum() > 10 and np.std(h[ok]) > 0 and np.std(phi[ok]) > 0:
            v["dem_correlation"] = abs(float(np.corrcoef(phi[ok], h[ok])[0, 1]))
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
