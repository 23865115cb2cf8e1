"""Coherent parts enclosed by low coherence: the area an unwrapper must connect across a decorrelated moat.

``coherence_enclosed_fraction`` and ``coherence_enclosed_largest`` of the QA features (since ``qa-features-3``),
with the footprint rules of feature sets 4 and 6: the no-data frame around a geocoded footprint is outside the
product like the grid's edge, while a band of missing lines inside it is a hole.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pges.qa.grid import box3, dilate_cross, min_cross
from pges.qa.labelling import enclosed_best_level, label4

__all__ = ["ENCLOSED_THRESHOLDS", "coherence_enclosed", "enclosed_parts", "missing_lines"]

#: Thresholds of the 3x3 mean coherence at which coherent parts enclosed by low coherence are looked for.
ENCLOSED_THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65)


def beyond_footprint(valid: np.ndarray) -> np.ndarray | None:
    """Pixels within two of the no-data that reaches the grid's edge (what lies beyond the footprint), or None.

    A geocoded product's footprint sits in a frame of no data. That frame is outside the product, like what lies
    past the grid's edge, not a decorrelated moat: a part of the coherent area that reaches it is not enclosed.
    Two pixels, because the parts are taken one pixel inside the dilated low mask. No-data holes inside the
    footprint (masked water, missing lines: :func:`missing_lines`, since ``qa-features-6``) still count as low
    coherence.
    """
    if valid.all():
        return None
    labels, _ = label4(~valid & ~missing_lines(valid))
    ids = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    ids = ids[ids > 0]
    if ids.size == 0:
        return None
    return dilate_cross(dilate_cross(np.isin(labels, ids)))


def missing_lines(valid: np.ndarray) -> np.ndarray:
    """Rows and columns with no valid pixel that have valid ones on both sides: lines lost inside the footprint.

    A band of missing lines runs from edge to edge of a radar-geometry grid, but it is a hole in the product
    (a dropped burst, a gap in the raw data), not what lies beyond its footprint.
    """
    rows, cols = inner_gaps(valid.any(axis=1)), inner_gaps(valid.any(axis=0))
    return rows[:, None] | cols[None, :]


def inner_gaps(mask: npt.ArrayLike) -> np.ndarray:
    """Entries of a 1-D mask that are False and lie between its first and last True entries."""
    has = np.asarray(mask, bool)
    idx = np.flatnonzero(has)
    gaps = np.zeros(has.shape, bool)
    if idx.size:
        gaps[idx[0] : idx[-1]] = ~has[idx[0] : idx[-1]]
    return gaps


def coherence_enclosed(coh: np.ndarray, valid: np.ndarray, n_valid: int, n3: np.ndarray) -> dict[str, float]:
    """Coherent parts fully enclosed by low coherence: the area an unwrapper must connect by a guess.

    An island cut off by a decorrelated moat has its cycle count unknowable from the data, so the area of
    such islands bounds what an unwrapping error can cost. A moat shows in the coherence (the filtered phase
    smooths it over), but a multilooked coherence estimate of noise is biased up (about 0.3 for 4 looks), so
    no fixed threshold finds it in every product: the 3x3 mean coherence is cut at each of
    :data:`ENCLOSED_THRESHOLDS` (no data counts as low), the low mask is dilated by the 4-neighbour cross (closing
    a moat with a few noisy gaps), and the threshold whose parts touching no edge enclose the most is kept. The
    no-data frame around a geocoded footprint is an edge too (:func:`beyond_footprint`, since
    ``qa-features-4``: before it, every geocoded product was one enclosed island).
    ``n3``: the valid pixels of each 3x3 neighbourhood (``box3`` of ``valid``, as the phase coherence uses it).
    Returns the share of the valid pixels in enclosed parts of at least 0.3 % of the product (grown back by
    the pixel the moat was dilated by), and the largest part's share.

    The search is :func:`enclosed_parts`.
    """
    found = enclosed_parts(coh, valid, n_valid, n3)
    if found is None:
        return {"coherence_enclosed_fraction": 0.0, "coherence_enclosed_largest": 0.0}
    level, best_t, labels, keep = found
    inner = dilate_cross(keep[labels]) & ~((level < best_t) | ~valid) & valid
    grown, _ = label4(inner)
    sizes = np.bincount(grown.ravel())[1:]
    return {"coherence_enclosed_fraction": float(inner.sum()) / n_valid,
            "coherence_enclosed_largest": float(sizes.max()) / n_valid if sizes.size else 0.0}


def enclosed_parts(coh: np.ndarray, valid: np.ndarray, n_valid: int,
                   n3: np.ndarray) -> tuple[np.ndarray, float, np.ndarray, np.ndarray] | None:
    """The enclosed coherent parts :func:`coherence_enclosed` measures, before they are grown back.

    Returns:
        None when nothing is enclosed; else the 3x3 mean coherence (-inf where invalid), the threshold kept, the
        parts' labels (of the cross-minimum at that threshold) and, per label, whether it is an enclosed part of
        at least 0.3 % of the valid pixels.

    Cost: the dilated low masks of all thresholds come from one cross-minimum ``m`` of the mean coherence (-inf
    where invalid): at threshold ``t`` the parts are ``m >= t``. Only levels that can enclose something are
    labelled: none when ``m >= t`` is empty or fills the grid (one part, touching every edge), nor when it is the
    same mask as the level below (nested levels: then it encloses the same).
    """
    c = np.where(valid, np.nan_to_num(coh, nan=0.0), 0.0)
    beyond = beyond_footprint(valid)
    mean = box3(c) / np.maximum(n3, 1.0)
    level = np.where(valid, mean, -np.inf)
    m = min_cross(level)
    smallest = max(0.003 * n_valid, 4)
    best_i, labels, counts = enclosed_best_level(m, ENCLOSED_THRESHOLDS, beyond, smallest)
    if best_i < 0:
        return None
    keep = counts >= smallest  # counts are 0 already for parts that touch an edge or reach past the footprint
    keep[0] = False
    return level, ENCLOSED_THRESHOLDS[best_i], labels, keep
