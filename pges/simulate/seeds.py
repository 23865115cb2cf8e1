"""Deterministic random generators keyed by what a field depends on (never by run order)."""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["rng_for"]


def rng_for(*keys: object) -> np.random.Generator:
    """A PCG64 generator seeded from the sha256 of the keys, e.g. ``rng_for(seed, frame, track, "scene")``.

    The same keys give the same stream in any process, on any machine, whatever else the run simulates.
    """
    digest = hashlib.sha256("|".join(str(k) for k in keys).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "little"))
