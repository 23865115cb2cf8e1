"""Parts of the coherent field and the whole-cycle offsets between them: islands, step severity, component offsets.

The QA features that read an unwrapping error's area and cycle count off the product: parts cut off from the
largest (by a moat or by |dphi| > pi edges), the cycles by which each part cut off by such edges is off
(``cc_step_severity``), and the phase offsets between components across the gaps that separate them.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from pges.qa.grid import dilate_cross, erode_cross
from pges.qa.labelling import label4

__all__ = ["component_offsets", "islands", "step_severity"]


def islands(mask: np.ndarray, n_valid: int, prefix: str, labels: np.ndarray | None = None) -> dict[str, float]:
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


def step_severity(d: tuple[np.ndarray, np.ndarray], edges: tuple[np.ndarray, np.ndarray],
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
        cycles = np.round(delta[cut] / math.tau)  # phase of b minus a's
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


def component_offsets(labels: np.ndarray, phi: np.ndarray, n_valid: int, regions: np.ndarray | None,
                       most: int = 12) -> dict[str, float]:
    """Phase offsets between coherent components and their neighbours across the gap that separates them.

    For each of the ``most`` largest components after the largest, the median phase of its rim is compared
    with the median phase of the other components within 5 pixels: an unwrapper that crossed a decorrelated
    moat with the wrong cycle count leaves an offset near 2 pi k. Since ``qa-features-7`` only components of
    the same region of valid pixels (``regions``, None when every pixel is valid) are compared: across a band
    of missing lines the offset is unknown, not an error (as in :func:`step_severity`). Returns the largest such
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
            grown = dilate_cross(grown)  # ndimage.binary_dilation(mine, iterations=5), by slices
        ring = grown & ~mine & (sub > 0)
        if regions is not None:
            reg = regions[r0:r1, c0:c1]
            ring &= reg == reg[mine][0]
        if ring.sum() < 4:
            continue
        rim = mine & ~erode_cross(erode_cross(mine))  # ndimage.binary_erosion(mine, iterations=2)
        off = float(np.median(ph[rim if rim.any() else mine]) - np.median(ph[ring])) / math.tau
        k = round(off)
        off_max = max(off_max, abs(off))
        if k != 0 and abs(off - k) < 0.2:
            k_max = max(k_max, float(abs(k)))
            px += int(counts[lab])
    return {"cc_offset_cycles_max": k_max, "cc_offset_fraction": px / n_valid, "cc_offset_abs_max": off_max}
