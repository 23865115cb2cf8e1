"""Phase unwrapping behind one seam: ``unwrap(ifg, coherence, nlooks, mask, config) -> Unwrapped``.

Unwrappers register in ``UNWRAPPERS`` by the ``method`` of their config (a tagged union in
``config.py``): ``snaphu`` (statistical-cost network flow, the default) and ``quality``
(reliability-sorted path following, :mod:`pges.interferogram.unwrap_quality`; ~5x faster than SNAPHU,
but with no statistical cost model it is less robust on very noisy or discontinuous phase). Another
unwrapper adds a config model to the union and a function here. The unwrapped phase (rad) has the same
convention as the wrapped one; connected components are labels > 0, with 0 = not unwrapped.

References: Chen, C. W. & Zebker, H. A. (2001), Two-dimensional phase unwrapping with use of statistical
models for cost functions in nonlinear optimization, JOSA A 18(2), 338-351. Herráez, M. A. et al.
(2002), Applied Optics 41(35), 7437-7444.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from pges.errors import ProcessingError
from pges.fd_capture import captured_fd
from pges.interferogram.config import QualityGuidedConfig, SnaphuConfig

__all__ = ["UNWRAPPERS", "Unwrapped", "unwrap", "unwrap_quality", "unwrap_snaphu"]

logger = logging.getLogger(__name__)


def _log_snaphu(lines: list[str], shape: tuple[int, ...]) -> None:
    """SNAPHU's lines at DEBUG; at INFO its version, solution cost and times in one line."""
    for line in lines:
        if line.strip():
            logger.debug("snaphu: %s", line)
    keep = ("snaphu v", "Total solution cost", "Elapsed wall clock time")
    summary = [line.strip() for line in lines if line.strip().startswith(keep)]
    logger.info("SNAPHU on %dx%d: %s", *shape[:2], "; ".join(summary) or "no output")


@dataclass
class Unwrapped:
    """Unwrapped phase (float32, rad) and connected-component labels (uint16, 0 = not unwrapped)."""

    phase: np.ndarray
    conncomp: np.ndarray
    software: dict[str, str]


def unwrap_snaphu(
    ifg: np.ndarray, coherence: np.ndarray, nlooks: float, mask: np.ndarray, cfg: SnaphuConfig
) -> Unwrapped:
    """Unwrap with SNAPHU (``snaphu.unwrap`` of the snaphu-py package, which bundles the binary)."""
    import snaphu

    igram = np.nan_to_num(ifg).astype(np.complex64)
    corr = np.clip(np.nan_to_num(coherence), 0.0, 1.0).astype(np.float32)
    lines: list[str] = []
    try:
        with captured_fd(1, lines):  # SNAPHU's progress, off the PGE's result channel
            unw, cc = snaphu.unwrap(
                igram,
                corr,
                nlooks=float(nlooks),
                cost=cfg.cost,
                init=cfg.init,
                mask=mask.astype(np.uint8) if mask is not None and not mask.all() else None,
                min_conncomp_frac=cfg.min_conncomp_frac,
                ntiles=cfg.ntiles,
                tile_overlap=cfg.tile_overlap,
                nproc=cfg.nproc,
            )
    except Exception as exc:  # the binary failed: retryable
        tail = "\n".join(line for line in lines[-20:] if line.strip())
        raise ProcessingError(f"SNAPHU failed: {exc}" + (f"\nits last lines:\n{tail}" if tail else "")) from exc
    _log_snaphu(lines, igram.shape)
    return Unwrapped(unw.astype(np.float32), cc.astype(np.uint16), {"snaphu": getattr(snaphu, "__version__", "?")})


def unwrap_quality(
    ifg: np.ndarray, coherence: np.ndarray, nlooks: float, mask: np.ndarray, cfg: QualityGuidedConfig
) -> Unwrapped:
    """Unwrap by reliability-sorted region growing; components from a coherence threshold (see unwrap_quality)."""
    from scipy.ndimage import uniform_filter

    from pges.interferogram.unwrap_quality import label_components, quality_unwrap

    m = np.ones(ifg.shape, bool) if mask is None else mask.astype(bool)
    m &= np.isfinite(ifg) & (np.abs(np.nan_to_num(ifg)) > 0)
    coh = np.clip(np.nan_to_num(coherence), 0.0, 1.0).astype(np.float32)
    phase = quality_unwrap(np.angle(ifg), m, coh if cfg.weight_coherence else None)
    smooth = uniform_filter(coh, size=5, mode="nearest")  # a 5x5 mean: no salt-and-pepper holes in the components
    cc = label_components(m & (smooth >= cfg.conncomp_min_coherence), cfg.min_conncomp_frac)
    return Unwrapped(np.nan_to_num(phase).astype(np.float32), cc, {"quality-unwrap": "herraez2002"})


UNWRAPPERS: dict[str, Callable[..., Unwrapped]] = {"snaphu": unwrap_snaphu, "quality": unwrap_quality}


def unwrap(ifg: np.ndarray, coherence: np.ndarray, nlooks: float, mask: np.ndarray, cfg: Any) -> Unwrapped:
    """Unwrap with the method named by ``cfg.method``."""
    fn = UNWRAPPERS[cfg.method]
    logger.info("unwrapping %dx%d with %s (%s)", *ifg.shape, cfg.method, cfg.model_dump(exclude={"method"}))
    return fn(ifg, coherence, nlooks, mask, cfg)
