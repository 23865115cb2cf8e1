"""SBAS inversion, temporal coherence and velocity of a stack too large for memory, in blocks of rows.

The stack is anything sliceable as ``stack[:, r0:r1, :]`` (an ``h5py`` dataset, a ``numpy.memmap``, an
array), read one block of rows at a time. Each block is inverted with
:func:`pges.timeseries.sbas.invert_pixels` (pixels grouped by their valid-interferogram pattern, one solve
with many right-hand sides per group, as MintPy's ``ifgram_inversion`` does), its temporal coherence and
velocity computed, and its time series handed to an optional sink (e.g. written to an HDF5 or GeoTIFF file);
only the per-pixel maps (velocity, error, temporal coherence, count, connectivity) are kept for the whole
grid. Peak memory is therefore ``max_memory_mb`` plus those maps, whatever the number of interferograms and
pixels. Each pixel is solved on its own, so the result equals :func:`pges.timeseries.sbas.invert_sbas` on the
whole stack, whatever the block size.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from pges.timeseries.quality import mm_to_rad, temporal_coherence
from pges.timeseries.sbas import (
    BYTES_PER_DATE,
    BYTES_PER_IFG,
    Pair,
    check_network,
    design_matrix,
    invert_pixels,
    velocity,
)

__all__ = ["BlocksResult", "invert_blocks", "rows_per_block"]

logger = logging.getLogger(__name__)

#: Extra bytes per pixel and interferogram for the block as read (float32) and as prepared (float64).
READ_BYTES_PER_IFG = 12


@dataclass
class BlocksResult:
    """Per-pixel maps of :func:`invert_blocks`, ``(rows, cols)``."""

    velocity: np.ndarray  # float32, input units per year; NaN where the network is not connected
    velocity_sigma: np.ndarray  # float32
    temporal_coherence: np.ndarray  # float32, 0..1
    ifg_count: np.ndarray  # int16: interferograms used
    connected: np.ndarray  # bool: every date in one network component
    rows_per_block: int


def rows_per_block(max_memory_mb: float, n_ifg: int, n_dates: int, cols: int) -> int:
    """Rows of ``cols`` pixels whose reading and inversion fit in ``max_memory_mb`` (at least one)."""
    per_pixel = (BYTES_PER_IFG + READ_BYTES_PER_IFG) * n_ifg + BYTES_PER_DATE * n_dates
    return max(1, int(max_memory_mb * 2**20 // (per_pixel * cols)))


def invert_blocks(
    stack: Any,
    pairs: Sequence[Pair],
    dates: Sequence[date],
    wavelength_m: float,
    *,
    max_memory_mb: float,
    prepare: Callable[[np.ndarray], np.ndarray] | None = None,
    sink: Callable[[slice, np.ndarray], None] | None = None,
) -> BlocksResult:
    """Invert ``stack`` ``(n_ifg, rows, cols)`` in blocks of rows that fit in ``max_memory_mb``.

    Args:
        stack: LOS mm (after ``prepare``), NaN = no data, referenced to one point.
        pairs: ``(i, j)`` date indices of each interferogram, as for :func:`pges.timeseries.sbas.invert_sbas`.
        dates: the acquisition dates, ascending.
        wavelength_m: radar wavelength, for the temporal coherence (residuals in radians).
        max_memory_mb: working-memory bound of one block (read, prepare, invert, coherence, velocity).
        prepare: applied to each block as read (e.g. radians -> referenced LOS mm); identity by default.
        sink: called with ``(row slice, time series block (n_dates, r, cols) float64)`` for each block.
    """
    n_ifg, rows, cols = stack.shape
    n_dates = len(dates)
    check_network(n_ifg, pairs, dates)
    A = design_matrix(pairs, n_dates)
    step = rows_per_block(max_memory_mb, n_ifg, n_dates, cols)
    out = BlocksResult(
        velocity=np.full((rows, cols), np.nan, np.float32),
        velocity_sigma=np.full((rows, cols), np.nan, np.float32),
        temporal_coherence=np.full((rows, cols), np.nan, np.float32),
        ifg_count=np.zeros((rows, cols), np.int16),
        connected=np.zeros((rows, cols), bool),
        rows_per_block=step,
    )
    logger.info("inverting %d x %d x %d in blocks of %d rows (%.0f MB)", n_ifg, rows, cols, step, max_memory_mb)
    for r0 in range(0, rows, step):
        cut = slice(r0, min(r0 + step, rows))
        block = np.asarray(stack[:, cut, :])
        if prepare is not None:
            block = prepare(block)
        h = block.shape[1]
        flat = block.reshape(n_ifg, -1)
        del block
        ts = np.full((n_dates, flat.shape[1]), np.nan)
        resid = np.full(flat.shape, np.nan)
        comp = np.full((n_dates, flat.shape[1]), -1, np.int16)
        ncomp = np.zeros(flat.shape[1], np.int16)
        invert_pixels(flat, A, pairs, ts, resid, comp, ncomp)
        out.ifg_count[cut] = np.isfinite(flat).sum(axis=0).reshape(h, cols)
        del flat
        connected = (comp >= 0).all(axis=0) & (comp.max(axis=0) == 0)
        out.connected[cut] = connected.reshape(h, cols)
        out.temporal_coherence[cut] = temporal_coherence(mm_to_rad(resid, wavelength_m)).reshape(h, cols)
        del resid
        ts3 = ts.reshape(n_dates, h, cols)
        v, s = velocity(ts3, dates, comp.reshape(n_dates, h, cols))
        out.velocity[cut] = np.where(out.connected[cut], v, np.nan)
        out.velocity_sigma[cut] = np.where(out.connected[cut], s, np.nan)
        if sink is not None:
            sink(cut, ts3)
    return out
