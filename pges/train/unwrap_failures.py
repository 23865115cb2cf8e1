"""Unwrapping errors as unwrappers make them: part of a product offset by whole cycles, the truth left alone.

The simulator's UWE island (``pges.simulate.artefacts.uwe``) offsets the *true* phase by ``k`` cycles behind a
fully decorrelated moat. Every unwrapper then returns a product that is smooth across the moat, and the cycle
count is in no product: the error is real, but nothing in the data shows it (``docs/qa.md``). Real unwrappers
mostly err the other way round: the true phase is continuous and the unwrapped phase jumps by ``2 pi k`` where
the unwrapper cut the field wrongly, along a branch cut or a tile edge through coherent phase. A tagger sees it
as a colour discontinuity, and MintPy's and ARIA-tools' *bridging* correct it between components as a
``2 pi k`` step where the field should be continuous.

:func:`apply_failure` makes one such error on an unwrapped product: a region of one of two kinds (``island``:
a cut closing on itself; ``edge``: a cut from edge to edge), of a random size, shape and cycle count, offset by
``2 pi k``. Offsetting a whole connected component is not among them: the products are NaN between components,
and the truth references each region that no valid pixel connects on its own, so such an offset is not an
error by its definition. The wrapped phase, the coherence and the components are untouched (the unwrapped
phase stays congruent with the wrapped one, as an unwrapper's output is). The truth is measured afterwards
against the simulator's true phase as for every product, so nothing here decides a label.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

__all__ = ["KINDS", "NO_FAILURE", "Failure", "apply_failure"]

#: region kinds and how often each is drawn
KINDS: tuple[str, ...] = ("island", "edge")
KIND_SHARES = (0.6, 0.4)
#: share of the product (valid pixels) a region covers: log-uniform between these
AREA_RANGE = (0.004, 0.3)


@dataclass(frozen=True)
class Failure:
    """What was done to the product, for the record (``truth.csv``), not for the label."""

    kind: str
    cycles: int  # signed
    area: float  # share of the valid pixels offset


#: the record of a product left as the unwrapper made it
NO_FAILURE = Failure("none", 0, 0.0)


def _smooth_field(shape: tuple[int, int], rng: np.random.Generator, scale: float) -> np.ndarray:
    field = ndimage.gaussian_filter(rng.standard_normal(shape), scale, mode="wrap")
    return (field - field.mean()) / (field.std() + 1e-12)


def _island(valid: np.ndarray, area: float, rng: np.random.Generator) -> np.ndarray:
    """An irregular blob near a random valid pixel: one part of a sublevel set of (distance + a rough field)."""
    shape = valid.shape
    field = _smooth_field(shape, rng, rng.uniform(0.04, 0.12) * min(shape))
    rows, cols = np.nonzero(valid)
    pick = int(rng.integers(rows.size))
    r0, c0 = rows[pick], cols[pick]
    i, j = np.ogrid[: shape[0], : shape[1]]
    # distance to the seed plus a rough field: a blob that is neither a disc nor axis-aligned
    d = np.hypot((i - r0) / shape[0], (j - c0) / shape[1]) + 0.08 * field
    d = np.where(valid, d, np.inf)
    labels, _ = ndimage.label(d <= np.quantile(d[valid], area))
    return labels == labels.flat[np.argmin(d)]  # the part around the field's lowest point, never empty


def _edge(valid: np.ndarray, area: float, rng: np.random.Generator) -> np.ndarray:
    """The part of the frame beyond a wiggly line from edge to edge (a tile edge or a long branch cut)."""
    shape = valid.shape
    i, j = np.ogrid[: shape[0], : shape[1]]
    theta = rng.uniform(0, math.tau)
    ramp = np.cos(theta) * i / shape[0] + np.sin(theta) * j / shape[1]
    d = ramp + 0.05 * _smooth_field(shape, rng, rng.uniform(0.05, 0.2) * min(shape))
    return (d >= np.quantile(d[valid], 1.0 - area)) & valid


def apply_failure(unw: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, Failure]:
    """Offset one region of ``unw`` by ``2 pi k`` (k = +-1..3) as an unwrapper's wrong cut would.

    Args:
        unw: unwrapped phase (rad), NaN where invalid; not modified.
        rng: the generator that draws kind, size, shape and cycles.

    Returns:
        The new unwrapped phase and what was done.
    """
    valid = np.isfinite(unw)
    if not valid.any():
        return unw.copy(), NO_FAILURE
    kind = str(rng.choice(KINDS, p=KIND_SHARES))
    cycles = int(rng.choice([1, 1, 1, 2, 2, 3])) * int(rng.choice([-1, 1]))
    area = float(np.exp(rng.uniform(*np.log(AREA_RANGE))))
    region = _island(valid, area, rng) if kind == "island" else _edge(valid, area, rng)
    out = unw.copy()
    out[region] += math.tau * cycles
    return out, Failure(kind, cycles, round(float(region.sum() / valid.sum()), 5))
