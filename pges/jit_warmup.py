"""Compile every numba kernel of the PGEs once and leave it in numba's cache: ``python -m pges.jit_warmup``.

A PGE pod starts from the image with an empty home and, unless the image holds compiled kernels, spends its
first seconds in LLVM: about 5 s for the QA features' kernels alone, more with the interferogram's. The images
run this at build time with ``NUMBA_CACHE_DIR`` set to a directory the pod's user can write
(``deploy/pge.Dockerfile``, ``deploy/airflow.Dockerfile``); a cached kernel then loads in about 10 ms, after the
0.7 s numba spends once per process on its first kernel. Every kernel is compiled for the argument types the
PGEs pass (float32 rasters, boolean masks): numba caches one entry per type signature.
"""

from __future__ import annotations

import sys
import time

import numpy as np


def warm() -> list[str]:
    """Call each numba-compiled entry point once on a small product; return what was warmed."""
    from pges.interferogram.goldstein import goldstein
    from pges.interferogram.unwrap_quality import quality_unwrap
    from pges.qa.features import compute_features

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:64, 0:64].astype(np.float32)
    phase = (0.3 * xx + 0.2 * yy + rng.normal(0, 0.3, xx.shape)).astype(np.float32)
    ifg = np.exp(1j * phase).astype(np.complex64)
    wrapped = np.angle(goldstein(ifg, 0.5, patch=32)).astype(np.float32)
    unw = quality_unwrap(wrapped, np.ones(wrapped.shape, bool), np.full(wrapped.shape, 0.8, np.float32))
    # an island off by a cycle behind a decorrelated moat, so that every QA kernel runs (a coherence layer that
    # does not follow the phase would be ignored, and the enclosure kernel with it)
    ring = np.hypot(yy - 32, xx - 32)
    moat = (ring > 10) & (ring < 14)
    wrapped = np.where(moat, rng.uniform(-np.pi, np.pi, xx.shape), wrapped).astype(np.float32)
    unw = np.where(moat, wrapped, unw + np.where(ring <= 10, np.float32(2 * np.pi), 0)).astype(np.float32)
    coherence = np.where(moat, 0.1, 0.9).astype(np.float32)
    if "coherence" in compute_features(unw, coherence, wrapped).missing:  # not an assert: python -O drops those
        raise RuntimeError("the warm-up product's coherence was ignored, so the enclosure kernel was not compiled")
    return ["goldstein", "quality_unwrap", "qa features"]


def main() -> int:
    """Warm every kernel and say how long it took (exit 0)."""
    t0 = time.perf_counter()
    done = warm()
    print(f"numba kernels compiled and cached for {', '.join(done)} in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
