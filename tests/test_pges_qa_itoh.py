"""The Itoh cross-check: analytic cases, and the numpy formulation it replaced."""

from __future__ import annotations

import numpy as np

from pges.qa.grid import wrap as _wrap
from pges.qa.itoh import itoh_disagreement

TWO_PI = 2 * np.pi


def _numpy_disagreement(w, phi0, high):
    """Itoh along rows and columns with numpy (qa-features-1 to 7 computed it so)."""
    dis = []
    for axis in (1, 0):
        d = _wrap(np.diff(w, axis=axis))
        ok = (high[:, 1:] & high[:, :-1]) if axis == 1 else (high[1:, :] & high[:-1, :])
        integ = np.cumsum(np.where(ok, d, 0.0), axis=axis)
        integ = np.concatenate([np.zeros_like(integ.take([0], axis=axis)), integ], axis=axis)
        off = np.where(high, phi0 - integ, np.nan)
        srt = np.sort(off, axis=axis)
        n = np.isfinite(off).sum(axis=axis, keepdims=True)
        med = np.where(n > 0, np.take_along_axis(srt, np.maximum((n - 1) // 2, 0), axis=axis), 0.0)
        k = np.round((off - med) / TWO_PI)
        dis.append(high & (np.nan_to_num(k) != 0))
    return float((dis[0] & dis[1]).sum()) / max(int(high.sum()), 1)


def _field(n=80, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32)
    phi = (0.15 * xx + 0.1 * yy + 3 * np.sin(yy / 9) + rng.normal(0, 0.2, (n, n))).astype(np.float32)
    return phi, yy, xx


def test_a_product_unwrapped_right_has_no_disagreement_and_an_island_off_by_a_cycle_is_all_of_it():
    phi, yy, xx = _field()
    w = _wrap(phi).astype(np.float32)
    high = np.ones(phi.shape, bool)
    assert itoh_disagreement(w, phi, high) == 0.0
    island = np.hypot(yy - 30, xx - 50) < 12  # under half of every row and column it crosses
    wrong = np.where(island, phi + np.float32(TWO_PI), phi).astype(np.float32)
    assert itoh_disagreement(w, wrong, high) == island.sum() / island.size


def test_it_gives_what_the_numpy_formulation_gives_to_the_pixel():
    shares = []
    for seed in range(25):
        phi, yy, xx = _field(seed=seed)
        rng = np.random.default_rng(seed)
        w = _wrap(phi + rng.normal(0, 0.6, phi.shape).astype(np.float32)).astype(np.float32)
        high = rng.random(phi.shape) < rng.uniform(0.5, 1.0)
        off = np.round(rng.normal(0, 0.5, phi.shape)).astype(np.float32) * np.float32(TWO_PI)
        unw = np.where(high, phi + off, 0.0).astype(np.float32)
        shares.append(itoh_disagreement(np.where(high, w, 0.0), unw, high))
        assert shares[-1] == _numpy_disagreement(np.where(high, w, 0.0).astype(np.float32), unw, high)
    assert min(shares) > 0.01  # every case has disagreements to count
