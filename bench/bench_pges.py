"""Benchmarks of the interferogram PGE: each step on a 2048 x 2048 complex64 pair, unwrapping on a
simulated 1024 x 1024 interferogram with truth, and a whole PGE run on a 2048 x 2048 SLC pair.

``run() -> list[dict]`` rows ``{name, value, unit, target, reference}``; ``python bench/bench_pges.py``
prints them. Each optimised step is measured beside a straightforward reference measured in the same run
(and, for the fused kernel, beside one memory copy of an SLC: the bandwidth ceiling). Steps run on one
core (``NUMBA_NUM_THREADS=1``, FFT ``workers=1``) unless the row says otherwise.

The unwrapping scene is synthetic with known truth: SLCs of correlation 0.6 carrying a subsidence bowl
(~6 fringes) plus a Kolmogorov-like turbulent screen (1.5 rad rms), formed with 3 x 3 looks and
Goldstein-filtered as in the PGE; the wrong-cycle share is the fraction of unwrapped pixels with
``round((unw - truth - median) / 2 pi) != 0``. The geocoding reference is the previous whole-array numpy
version (``radar_coords_reference`` + ``map_coordinates``) on the same lookups; the Goldstein reference (a loop
over patches) filters the same whole 2048 x 2048 interferogram. Unwrapping rows show as reference SNAPHU's
default (smooth/mcf) on the same input in the same run; end-to-end rows show as reference the compute
alone (``process_pair`` in memory: form, filter, unwrap, reference), so the rest is I/O, geocoding and COGs.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

N = 2048
N_UNW = 1024


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


def scene(n: int, coherence: float = 0.6, fringes: float = 6.0, atmo_rad: float = 1.5,
          seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A simulated SLC pair ``(ref, sec, phi)`` of ``n x n`` with ``arg(ref conj(sec)) = phi`` + noise."""
    rng = np.random.default_rng(seed)
    y, x = (np.mgrid[:n, :n].astype(np.float32) - n / 2) / n
    phi = -2 * np.pi * fringes * np.exp(-(x**2 + y**2) / (2 * 0.18**2))
    k = np.fft.fftfreq(n)
    kk = np.hypot(*np.meshgrid(k, k, indexing="ij"))
    kk[0, 0] = 1.0
    amp = kk ** (-11 / 6)
    amp[0, 0] = 0.0
    screen = np.fft.ifft2(amp * np.exp(2j * np.pi * rng.random((n, n)))).real
    phi += (atmo_rad * screen / screen.std()).astype(np.float32)

    def cn() -> np.ndarray:
        return ((rng.standard_normal((n, n), np.float32) + 1j * rng.standard_normal((n, n), np.float32))
                / np.float32(np.sqrt(2))).astype(np.complex64)

    c = cn()
    sec = ((coherence * c + np.float32(np.sqrt(1 - coherence**2)) * cn()) * np.exp(-1j * phi)).astype(np.complex64)
    return c, sec, phi


def _wrong_cycles(unw: np.ndarray, cc: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    ok = (cc > 0) & np.isfinite(unw)
    d = (unw - truth)[ok]
    d -= np.median(d)
    return float(np.mean(np.round(d / (2 * np.pi)) != 0)), float(ok.mean())


def _write_slc_product(root: Path, pid: str, start: str, slc: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> Path:
    """A minimal L1_SLC product (met.json + radar rasters), as the simulate PGE writes it."""
    from pges.raster import write_radar

    out = root / pid
    out.mkdir(parents=True)
    for name, arr in (("slc", slc), ("lat", lat), ("lon", lon)):
        write_radar(out / f"{name}.tif", arr)
    item = {
        "type": "Feature", "id": pid, "bbox": [float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())],
        "properties": {"sarlake:product_type": "L1_SLC", "start_datetime": start, "platform": "sentinel-1a",
                       "sat:relative_orbit": 44, "sat:orbit_state": "ascending", "sarlake:frame": "BENCH",
                       "sarlake:grid": {"id": "bench", "shape": list(slc.shape)}, "sarlake:wavelength_m": 0.05546576},
        "assets": {name: {"href": f"{name}.tif"} for name in ("slc", "lat", "lon")},
    }
    met = out / f"{pid}.met.json"
    met.write_text(json.dumps(item))
    return met


def _lookups(n: int) -> tuple[np.ndarray, np.ndarray]:
    r, c = np.mgrid[:n, :n].astype(np.float64)
    h = np.deg2rad(-10)
    lon = 14.0 + (r * np.sin(h) + c * np.cos(h)) * 1e-3 / 3
    lat = 40.0 + (r * np.cos(h) - c * np.sin(h)) * 1e-3 / 3
    return lat, lon


def _steps(rows: list[dict]) -> None:
    from pges.interferogram.form import form_multilook, form_multilook_numpy
    from pges.interferogram.geocode import geocode, geogrid_for, radar_coords, radar_coords_reference
    from pges.interferogram.goldstein import goldstein, goldstein_reference

    ref, sec = _pair(N)
    mpix = N * N / 1e6
    form_multilook(ref[:64, :64], sec[:64, :64], 3, 3)  # compile / load the cache
    t_fast = _best(lambda: form_multilook(ref, sec, 3, 3))
    t_np = _best(lambda: form_multilook_numpy(ref, sec, 3, 3), 2)
    t_copy = _best(lambda: ref.copy())
    rows += [
        {"name": "form+multilook+coherence (numba, 3x3 looks)", "value": round(mpix / t_fast, 1), "unit": "Mpix/s",
         "target": 100.0, "reference": f"numpy reference, same pair: {mpix / t_np:.1f} Mpix/s"},
        {"name": "form+multilook+coherence (numpy reference)", "value": round(mpix / t_np, 1), "unit": "Mpix/s",
         "target": None, "reference": None},
        {"name": "memory copy of one SLC", "value": round(mpix / t_copy, 1), "unit": "Mpix/s", "target": None,
         "reference": None},
    ]
    ifg, _, _ = form_multilook(ref, sec, 1, 1)
    goldstein(ifg[:64, :64], 0.5, 32)
    t_g = _best(lambda: goldstein(ifg, 0.5, 32), 5)
    t_g2 = _best(lambda: goldstein(ifg, 0.5, 32, workers=2), 5)
    t_gr = _best(lambda: goldstein_reference(ifg, 0.5, 32), 1)  # the whole 2048 x 2048, like the fast one
    rows += [
        {"name": "Goldstein filter (batched patch FFT + numba weighting, 1 core)", "value": round(mpix / t_g, 2),
         "unit": "Mpix/s", "target": 10.0, "reference": f"loop over patches, same input: {mpix / t_gr:.2f} Mpix/s"},
        {"name": "Goldstein filter (same, FFT workers=2)", "value": round(mpix / t_g2, 2), "unit": "Mpix/s",
         "target": None, "reference": f"loop over patches, same input: {mpix / t_gr:.2f} Mpix/s"},
        {"name": "Goldstein filter (loop over patches, reference)", "value": round(mpix / t_gr, 2),
         "unit": "Mpix/s", "target": None, "reference": None},
    ]
    lat, lon = _lookups(N)
    grid = geogrid_for(lat, lon, 1e-3 / 3)
    values = np.random.default_rng(1).random((N, N)).astype(np.float32)
    small = np.s_[:64, :64]
    geocode(values[small], radar_coords(lat[small], lon[small], geogrid_for(lat[small], lon[small], 1e-3 / 3)))
    out_mpix = grid.rows * grid.cols / 1e6
    t_geo = _best(lambda: geocode(values, radar_coords(lat, lon, grid)), 2)
    coords = radar_coords(lat, lon, grid)
    t_layer = _best(lambda: geocode(values, coords), 3)
    t_mc = _best(lambda: _map_coordinates_reference(values, coords), 1)
    t_geo_ref = _best(lambda: _map_coordinates_reference(values, radar_coords_reference(lat, lon, grid)), 1)
    rows += [
        {"name": f"geocode {N}x{N} -> {grid.rows}x{grid.cols} (inverse map + bilinear, numba)",
         "value": round(out_mpix / t_geo, 2), "unit": "Mpix/s (output)", "target": None,
         "reference": f"numpy inverse map + scipy map_coordinates, same lookups: {out_mpix / t_geo_ref:.2f} Mpix/s"},
        {"name": "geocode one more layer with the same inverse map", "value": round(out_mpix / t_layer, 1),
         "unit": "Mpix/s (output)", "target": None,
         "reference": f"scipy map_coordinates, same inverse map: {out_mpix / t_mc:.1f} Mpix/s"},
    ]


def _map_coordinates_reference(values: np.ndarray, coords) -> np.ndarray:
    from scipy.ndimage import map_coordinates

    inside = coords.inside
    r, c = np.where(inside, coords.rows, -10.0), np.where(inside, coords.cols, -10.0)
    return map_coordinates(values.astype(np.float64), [r, c], order=1, mode="constant", cval=np.nan, prefilter=False)


def _unwrapping(rows: list[dict]) -> None:
    from pges.interferogram.config import InterferogramParameters
    from pges.interferogram.form import form_multilook
    from pges.interferogram.geocode import multilook_mean
    from pges.interferogram.goldstein import goldstein
    from pges.interferogram.unwrap import unwrap

    ref, sec, phi = scene(3 * N_UNW)
    ifg, coh, _ = form_multilook(ref, sec, 3, 3)
    truth = multilook_mean(phi, 3, 3)
    del ref, sec, phi
    filt = goldstein(ifg, 0.5, 32)
    mask = np.ones(coh.shape, bool)
    cases = [
        ("SNAPHU smooth/mcf (default)", {"method": "snaphu"}),
        ("SNAPHU smooth/mst", {"method": "snaphu", "init": "mst"}),
        ("SNAPHU smooth/mcf, 2x2 tiles, overlap 64, nproc 2", {"method": "snaphu", "ntiles": [2, 2],
                                                             "tile_overlap": 64, "nproc": 2}),
        ("SNAPHU defo/mcf", {"method": "snaphu", "cost": "defo"}),
        ("quality-guided (Herraez 2002, numba)", {"method": "quality"}),
    ]
    warm = InterferogramParameters(unwrap={"method": "quality"}).unwrap
    unwrap(filt[:32, :32], coh[:32, :32], 9.0, mask[:32, :32], warm)  # compile / load the numba cache
    measured = []
    for label, u in cases:
        cfg = InterferogramParameters(unwrap=u).unwrap
        t = time.perf_counter()
        res = unwrap(filt, coh, 9.0, mask, cfg)
        dt = time.perf_counter() - t
        wrong, valid = _wrong_cycles(res.phase, res.conncomp, truth)
        measured.append((label, dt, wrong, valid))
    # reference of every row: SNAPHU's default (the first case), on this same input, in this same run
    t_ref = measured[0][1]
    for i, (label, dt, wrong, valid) in enumerate(measured):
        rows += [
            {"name": f"unwrap {N_UNW}x{N_UNW} coh {np.nanmean(coh):.2f}: {label} ({N_UNW**2 / 1e6 / dt:.2f} Mpix/s)",
             "value": round(dt, 2), "unit": "s", "target": 30.0,
             "reference": f"SNAPHU smooth/mcf, same input: {t_ref:.2f} s" if i else None},
            {"name": f"  wrong-cycle share ({label}), unwrapped {100 * valid:.1f} %", "value": round(100 * wrong, 3),
             "unit": "%", "target": 1.0,
             "reference": f"SNAPHU smooth/mcf, same input: {100 * measured[0][2]:.3g} %" if i else None},
        ]
    # the previous benchmark's input: single-look, unfiltered, nlooks 1 (what took SNAPHU 30-40 s); each row's
    # reference is SNAPHU smooth/mcf on this same single-look input
    ref1, sec1 = _pair(N)
    raw, coh1, _ = form_multilook(ref1[:N_UNW, :N_UNW], sec1[:N_UNW, :N_UNW], 1, 1)
    t_raw = 0.0
    tiled = {"ntiles": [2, 2], "tile_overlap": 64, "nproc": 2}
    for label, u in (("smooth/mcf", {}), ("smooth/mst", {"init": "mst"}), ("smooth/mcf, 2x2 tiles, nproc 2", tiled)):
        t = time.perf_counter()
        unwrap(raw, coh1, 1.0, np.ones(raw.shape, bool), InterferogramParameters(unwrap=u).unwrap)
        dt = time.perf_counter() - t
        t_raw = t_raw or dt
        rows.append({"name": f"unwrap {N_UNW}x{N_UNW} single-look unfiltered (old bench input), SNAPHU {label}",
                     "value": round(dt, 2), "unit": "s", "target": None,
                     "reference": f"SNAPHU smooth/mcf, same input: {t_raw:.2f} s" if u else None})


def _end_to_end(rows: list[dict]) -> None:
    from pges.cli import main
    from pges.interferogram.config import InterferogramParameters
    from pges.interferogram.pge import process_pair

    ref, sec, _ = scene(N, coherence=0.7, fringes=8.0)
    lat, lon = _lookups(N)
    compute: dict[str, float] = {}
    for method in ("snaphu", "quality"):
        p = InterferogramParameters(unwrap={"method": method})
        t = time.perf_counter()
        process_pair(ref, sec, p)
        compute[method] = round(time.perf_counter() - t, 2)
    with tempfile.TemporaryDirectory(prefix="bench-ifg-") as tmp:
        root = Path(tmp)
        os.environ.setdefault("SARLAKE_HOME", str(root / "home"))
        m_ref = _write_slc_product(root / "archive", "BENCH_20240115", "2024-01-15T05:00:00Z", ref, lat, lon)
        m_sec = _write_slc_product(root / "archive", "BENCH_20240103", "2024-01-03T05:00:00Z", sec, lat, lon)
        del ref, sec
        for label, unw in (("SNAPHU", {"method": "snaphu"}), ("quality-guided", {"method": "quality"})):
            p = InterferogramParameters(unwrap=unw, posting_deg=1e-3)
            cfg = {"pge": "interferogram", "run_id": "bench", "inputs": [str(m_ref), str(m_sec)],
                   "output_dir": str(root / f"out-{unw['method']}"), "parameters": p.model_dump(mode="json")}
            t = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):  # the PGE prints its result JSON
                code = main(["interferogram", "--run-config-json", json.dumps(cfg),
                             "--result-file", str(root / "res.json")])
            dt = time.perf_counter() - t
            if code != 0:
                raise RuntimeError(f"interferogram PGE failed in the benchmark: {(root / 'res.json').read_text()}")
            rows.append({"name": f"interferogram PGE end to end, {N}x{N} SLC pair, 3x3 looks, {label}",
                         "value": round(dt, 2), "unit": "s/frame", "target": None,
                         "reference": f"process_pair in memory, same pair: {compute[unw['method']]:.2f} s"})


def run() -> list[dict]:
    """Measure every step; return the rows."""
    rows: list[dict] = []
    _steps(rows)
    _unwrapping(rows)
    _end_to_end(rows)
    return rows


if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.WARNING)
    for row in run():
        print(json.dumps(row))
