"""Benchmarks of the interferogram steps on a 2048 x 2048 complex64 pair (single core).

``run() -> list[dict]`` rows ``{name, value, unit, target, reference}``; ``python bench/bench_pges.py``
prints them. Each optimised step is measured beside a straightforward reference measured in the same run
(and, for the fused kernel, beside one memory copy of an SLC: the bandwidth ceiling).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

N = 2048


def _best(fn: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _pair(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y, x = np.mgrid[:n, :n]
    phase = 0.02 * x + 2e-5 * (y - n / 2) ** 2
    c = (rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))).astype(np.complex64)
    d = (rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))).astype(np.complex64)
    return c, ((0.9 * c + 0.43 * d) * np.exp(-1j * phase)).astype(np.complex64)


def run() -> list[dict]:
    """Measure every step; return the rows."""
    from pges.interferogram.form import form_multilook, form_multilook_numpy
    from pges.interferogram.geocode import geocode, geogrid_for, radar_coords
    from pges.interferogram.goldstein import goldstein, goldstein_reference
    from pges.interferogram.config import SnaphuConfig
    from pges.interferogram.unwrap import unwrap_snaphu

    ref, sec = _pair(N)
    mpix = N * N / 1e6
    rows: list[dict] = []
    form_multilook(ref[:64, :64], sec[:64, :64], 3, 3)  # compile / load the cache
    t_fast = _best(lambda: form_multilook(ref, sec, 3, 3))
    t_np = _best(lambda: form_multilook_numpy(ref, sec, 3, 3), 2)
    t_copy = _best(lambda: ref.copy())
    rows += [
        {"name": "form+multilook+coherence (numba, 3x3 looks)", "value": round(mpix / t_fast, 1), "unit": "Mpix/s",
         "target": 100.0, "reference": None},
        {"name": "form+multilook+coherence (numpy reference)", "value": round(mpix / t_np, 1), "unit": "Mpix/s",
         "target": None, "reference": None},
        {"name": "memory copy of one SLC", "value": round(mpix / t_copy, 1), "unit": "Mpix/s", "target": None,
         "reference": None},
    ]
    for row in rows[:1]:
        row["reference"] = rows[1]["value"]
    ifg, coh, _ = form_multilook(ref, sec, 1, 1)
    t_g = _best(lambda: goldstein(ifg, 0.5, 32), 2)
    sub = ifg[:512, :512]
    t_gr = _best(lambda: goldstein_reference(sub, 0.5, 32), 1) * (N * N) / (512 * 512)
    rows += [
        {"name": "Goldstein filter (batched patch FFT)", "value": round(mpix / t_g, 2), "unit": "Mpix/s",
         "target": 10.0, "reference": round(mpix / t_gr, 2)},
        {"name": "Goldstein filter (loop over patches, reference)", "value": round(mpix / t_gr, 2),
         "unit": "Mpix/s", "target": None, "reference": None},
    ]
    n_u = 1024
    t_u = _best(lambda: unwrap_snaphu(ifg[:n_u, :n_u], coh[:n_u, :n_u], 1.0, np.ones((n_u, n_u), bool), SnaphuConfig()), 1)
    rows.append({"name": "unwrap 1024x1024 (SNAPHU smooth/mcf)", "value": round(t_u, 2), "unit": "s", "target": None,
                 "reference": None})
    r, c = np.mgrid[:N, :N].astype(np.float64)
    h = np.deg2rad(-10)
    lon = 14.0 + (r * np.sin(h) + c * np.cos(h)) * 1e-3
    lat = 40.0 + (r * np.cos(h) - c * np.sin(h)) * 1e-3
    grid = geogrid_for(lat, lon, 1e-3)
    values = np.abs(ifg).astype(np.float32)

    def _geo() -> None:
        geocode(values, radar_coords(lat, lon, grid))

    t_geo = _best(_geo, 1)
    rows.append({"name": f"geocode {N}x{N} -> {grid.rows}x{grid.cols} (inverse map + bilinear)",
                 "value": round(grid.rows * grid.cols / 1e6 / t_geo, 2), "unit": "Mpix/s (output)", "target": None,
                 "reference": None})
    return rows


if __name__ == "__main__":
    for row in run():
        print(json.dumps(row))
